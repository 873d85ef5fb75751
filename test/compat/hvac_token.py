"""hvac (Debian's python3-hvac) against a real Arca dev server: the token auth method.

Run by hvac-token.test.ts with VAULT_ADDR pointing at a dev server whose root token is "root".
Exits non-zero with a message on the first failed expectation.
"""
import os
import sys

import hvac

addr = os.environ["VAULT_ADDR"]
client = hvac.Client(url=addr, token="root")


def check(cond, msg):
    if not cond:
        print("FAILED: " + msg, file=sys.stderr)
        sys.exit(1)


check(client.is_authenticated(), "root token authenticates")

created = client.auth.token.create(policies=["dev"], ttl="1h", meta={"team": "a"}, display_name="hvac")
auth = created["auth"]
tok = auth["client_token"]
check(tok.startswith("s.") and auth["accessor"], "create answers a token and an accessor")
check(auth["policies"] == ["default", "dev"], "create policies: %r" % auth["policies"])
check(auth["lease_duration"] == 3600 and auth["renewable"] is True, "create lease")
check(auth["metadata"] == {"team": "a"} and auth["orphan"] is False, "create metadata/orphan")
check(auth["token_type"] == "service", "token type")
check(created["warnings"] == ['Policy "dev" does not exist'], "missing-policy warning: %r" % created["warnings"])

looked = client.auth.token.lookup(tok)["data"]
check(looked["id"] == tok and looked["display_name"] == "token-hvac", "lookup by token")
check(looked["meta"] == {"team": "a"} and 3590 <= looked["ttl"] <= 3600, "lookup meta/ttl: %r" % looked)
legacy = client.lookup_token(tok)["data"]
check(legacy["accessor"] == auth["accessor"], "legacy lookup_token")

by_accessor = client.auth.token.lookup_accessor(auth["accessor"])["data"]
check(by_accessor["id"] == "" and by_accessor["policies"] == ["default", "dev"], "lookup_accessor hides the token")

renewed = client.auth.token.renew(tok, increment="30m")["auth"]
check(renewed["client_token"] == tok and renewed["lease_duration"] == 1800, "renew with increment: %r" % renewed)

child_client = hvac.Client(url=addr, token=tok)
self_info = child_client.auth.token.lookup_self()["data"]
check(self_info["id"] == tok, "lookup_self as the new token")
self_renew = child_client.auth.token.renew_self()["auth"]
check(self_renew["lease_duration"] == 3600, "renew_self gives the creation TTL again: %r" % self_renew)

client.auth.token.create_or_update_role("svc", allowed_policies=["svc-read"], orphan=True, path_suffix="v1")
role = client.auth.token.read_role("svc")["data"]
check(role["allowed_policies"] == ["svc-read"] and role["orphan"] is True and role["path_suffix"] == "v1", "role read: %r" % role)
check(client.auth.token.list_roles()["data"]["keys"] == ["svc"], "list roles")
from_role = client.auth.token.create(role_name="svc")["auth"]
check(from_role["policies"] == ["default", "svc-read"] and from_role["orphan"] is True, "create with role: %r" % from_role)
role_info = client.auth.token.lookup(from_role["client_token"])["data"]
check(role_info["path"] == "auth/token/create/svc/v1" and role_info["role"] == "svc", "role token path")

accessors = client.auth.token.list_accessors()["data"]["keys"]
check(auth["accessor"] in accessors and from_role["accessor"] in accessors, "list accessors")

client.auth.token.revoke(tok)
try:
    client.auth.token.lookup(tok)
    check(False, "revoked token still looks up")
except hvac.exceptions.Forbidden:
    pass
check(child_client.is_authenticated() is False, "revoked token no longer authenticates")

client.auth.token.revoke_accessor(from_role["accessor"])
try:
    client.auth.token.lookup_accessor(from_role["accessor"])
    check(False, "revoked accessor still looks up")
except hvac.exceptions.InvalidRequest:
    pass

try:
    client.auth.token.create(policies=["x"], num_uses=-1)
    check(False, "negative num_uses accepted")
except hvac.exceptions.InvalidRequest as e:
    check("number of uses cannot be negative" in str(e), "negative num_uses message: %s" % e)

client.auth.token.delete_role("svc")
tidy = client.auth.token.tidy()
check(set(tidy["data"]) == {"tokens_revoked", "parent_index_entries_removed", "accessors_removed"}, "tidy summary: %r" % tidy)

print("all checks passed")
