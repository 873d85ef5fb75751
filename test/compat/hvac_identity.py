"""hvac (Debian's python3-hvac) against a real Arca dev server: the identity secrets engine.

Run by hvac-identity.test.ts with VAULT_ADDR and VAULT_TOKEN (root) of a dev server.
Exits non-zero with a message on the first failed expectation.
"""
import os
import sys

import hvac

client = hvac.Client(url=os.environ["VAULT_ADDR"], token=os.environ["VAULT_TOKEN"])
identity = client.secrets.identity


def check(cond, msg):
    if not cond:
        print("FAILED: " + msg, file=sys.stderr)
        sys.exit(1)


def status_of(resp):
    return getattr(resp, "status_code", 200)


client.sys.enable_auth_method("userpass")
methods = client.sys.list_auth_methods()
accessor = methods["data"]["userpass/"]["accessor"]

# Entities
created = identity.create_or_update_entity(name="bob", policies=["p1"], metadata={"team": "ops"})
entity_id = created["data"]["id"]
check(created["data"]["name"] == "bob", "create entity answers the name")
read = identity.read_entity(entity_id=entity_id)["data"]
check(read["name"] == "bob" and read["policies"] == ["p1"] and read["metadata"] == {"team": "ops"}, "read entity")
check(read["aliases"] == [] and read["group_ids"] == [] and read["disabled"] is False, "read entity lists")
updated = identity.create_or_update_entity_by_name(name="bob", policies=["p2"])
check(status_of(updated) == 204, "update by name answers 204")
check(identity.read_entity_by_name(name="bob")["data"]["policies"] == ["p2"], "policies updated by name")
identity.update_entity(entity_id=entity_id, name="bobby", metadata={"team": "dev"})
check(identity.read_entity(entity_id=entity_id)["data"]["name"] == "bobby", "renamed by id")
check(entity_id in identity.list_entities()["data"]["keys"], "LIST entity/id")
check(entity_id in identity.list_entities(method="GET")["data"]["keys"], "GET entity/id?list=true")
check(identity.list_entities_by_name()["data"]["keys"] == ["bobby"], "LIST entity/name")
try:
    identity.create_or_update_entity(name="x", policies=["root"])
    check(False, "root policy accepted")
except hvac.exceptions.InvalidRequest as e:
    check("policies cannot contain root" in str(e), "root policy error text")

# Entity aliases
alias = identity.create_or_update_entity_alias(name="bob", canonical_id=entity_id, mount_accessor=accessor)
alias_id = alias["data"]["id"]
check(alias["data"]["canonical_id"] == entity_id, "alias canonical id")
a = identity.read_entity_alias(alias_id=alias_id)["data"]
check(a["name"] == "bob" and a["mount_accessor"] == accessor and a["mount_path"] == "auth/userpass/", "read alias")
check(identity.list_entity_aliases()["data"]["keys"] == [alias_id], "list aliases")
identity.update_entity_alias(alias_id=alias_id, name="bob", canonical_id=entity_id, mount_accessor=accessor)

# Lookups
check(identity.lookup_entity(name="bobby")["data"]["id"] == entity_id, "lookup entity by name")
check(identity.lookup_entity(entity_id=entity_id)["data"]["name"] == "bobby", "lookup entity by id")
check(identity.lookup_entity(alias_id=alias_id)["data"]["id"] == entity_id, "lookup entity by alias id")
check(identity.lookup_entity(alias_name="bob", alias_mount_accessor=accessor)["data"]["id"] == entity_id, "lookup by alias factors")
check(status_of(identity.lookup_entity(name="nobody")) == 204, "lookup of nothing answers 204")

# Groups
group = identity.create_or_update_group(name="eng", policies=["kv-read"], member_entity_ids=[entity_id], metadata={"t": "1"})
group_id = group["data"]["id"]
g = identity.read_group(group_id=group_id)["data"]
check(g["name"] == "eng" and g["type"] == "internal" and g["member_entity_ids"] == [entity_id], "read group")
check(identity.read_group_by_name(name="eng")["data"]["id"] == group_id, "read group by name")
parent = identity.create_or_update_group(name="parent", member_group_ids=[group_id])
parent_id = parent["data"]["id"]
try:
    identity.update_group(group_id=group_id, name="eng", member_group_ids=[parent_id])
    check(False, "group cycle accepted")
except hvac.exceptions.InvalidRequest as e:
    check("cyclic relationship detected" in str(e), "cycle error text")
e = identity.read_entity(entity_id=entity_id)["data"]
check(e["direct_group_ids"] == [group_id] and e["inherited_group_ids"] == [parent_id], "entity group ids")
check(sorted(identity.list_groups()["data"]["keys"]) == sorted([group_id, parent_id]), "list groups")
check(identity.list_groups_by_name()["data"]["keys"] == ["eng", "parent"], "list groups by name")
check(identity.lookup_group(name="eng")["data"]["id"] == group_id, "lookup group")

ext = identity.create_or_update_group(name="ext", group_type="external")
ext_id = ext["data"]["id"]
galias = identity.create_or_update_group_alias(name="devs", mount_accessor=accessor, canonical_id=ext_id)
galias_id = galias["data"]["id"]
check(identity.read_group_alias(alias_id=galias_id)["data"]["canonical_id"] == ext_id, "read group alias")
check(identity.list_group_aliases()["data"]["keys"] == [galias_id], "list group aliases")
check(identity.read_group(group_id=ext_id)["data"]["alias"]["name"] == "devs", "group shows its alias")
check(identity.lookup_group(alias_name="devs", alias_mount_accessor=accessor)["data"]["id"] == ext_id, "lookup group by alias")
identity.delete_group_alias(galias_id)

# A userpass login lands on the entity; the group's policy applies to the token.
client.sys.create_or_update_policy(name="kv-read", policy='path "secret/data/shared" { capabilities = ["read"] }')
client.secrets.kv.v2.create_or_update_secret(path="shared", secret={"v": "1"})
client.auth.userpass.create_or_update_user(username="bob", password="pw")
user = hvac.Client(url=os.environ["VAULT_ADDR"])
login = user.auth.userpass.login(username="bob", password="pw")
check(login["auth"]["entity_id"] == entity_id, "login maps to the aliased entity")
check(login["auth"]["identity_policies"] == ["kv-read", "p2"], "identity policies in the auth block")
check(user.secrets.kv.v2.read_secret_version(path="shared")["data"]["data"] == {"v": "1"}, "group policy grants access")
check(user.lookup_token()["data"]["entity_id"] == entity_id, "lookup-self shows entity_id")

# Merge and delete
other = identity.create_or_update_entity(name="other")["data"]["id"]
identity.merge_entities(from_entity_ids=[other], to_entity_id=entity_id)
check(identity.read_entity(entity_id=entity_id)["data"]["merged_entity_ids"] == [other], "merged ids")
identity.delete_group(group_id=parent_id)
identity.delete_group_by_name(name="ext")
identity.delete_entity_alias(alias_id=alias_id)
identity.delete_entity_by_name(name="bobby")
try:
    identity.list_entities()
    check(False, "empty entity list did not 404")
except hvac.exceptions.InvalidPath:
    pass
print("all checks passed")
