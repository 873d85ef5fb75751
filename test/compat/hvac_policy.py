"""hvac (Debian's python3-hvac 0.11.x) against a real Arca dev server: ACL policies and capabilities.

Run by hvac-policy.test.ts with VAULT_ADDR and VAULT_TOKEN (root) set.
Exits non-zero with a message on the first failed expectation.
"""
import json
import os
import sys

import hvac

addr = os.environ["VAULT_ADDR"]
client = hvac.Client(url=addr, token=os.environ["VAULT_TOKEN"])


def check(cond, msg):
    if not cond:
        print("FAILED: " + msg, file=sys.stderr)
        sys.exit(1)


def raises(exc, fn, msg):
    try:
        fn()
    except exc:
        return
    except Exception as e:  # noqa: BLE001 - report what came instead
        check(False, "%s: raised %r instead of %s" % (msg, e, exc.__name__))
    check(False, "%s: no %s raised" % (msg, exc.__name__))


HCL = 'path "secret/data/app/*" {\n  capabilities = ["read"]\n}\n'
client.sys.create_or_update_policy(name="hvac-app", policy=HCL)
# A dict is sent as JSON policy text.
client.sys.create_or_update_policy(
    name="hvac-json", policy={"path": {"secret/data/json/*": {"capabilities": ["read", "list"]}}}
)

listed = client.sys.list_policies()
check(listed["data"]["policies"] == ["default", "hvac-app", "hvac-json", "root"], "list_policies: %r" % listed)
check(client.list_policies() == ["default", "hvac-app", "hvac-json", "root"], "v1 list_policies")

read = client.sys.read_policy(name="hvac-app")
check(read["data"]["rules"] == HCL and read["data"]["name"] == "hvac-app", "read_policy data: %r" % read)
check(read["rules"] == HCL, "read_policy legacy top-level rules")
check(client.get_policy("hvac-app") == HCL, "v1 get_policy")
check(client.get_policy("no-such-policy") is None, "v1 get_policy of an unknown name")
parsed = json.loads(client.sys.read_policy(name="hvac-json")["data"]["rules"])
check(parsed["path"]["secret/data/json/*"]["capabilities"] == ["read", "list"], "JSON policy round trip")

raises(hvac.exceptions.InvalidPath, lambda: client.sys.read_policy(name="no-such-policy"), "read unknown")
raises(hvac.exceptions.InvalidRequest, lambda: client.sys.create_or_update_policy(name="root", policy=HCL), "write root")
raises(hvac.exceptions.InvalidRequest, lambda: client.sys.delete_policy(name="default"), "delete default")
raises(
    hvac.exceptions.InvalidRequest,
    lambda: client.sys.create_or_update_policy(name="bad", policy='path "x" { capabilities = ["fly"] }'),
    "malformed policy",
)

# A token holding the policy: capabilities and enforcement agree.
client.secrets.kv.v2.create_or_update_secret(path="app/one", secret={"k": "v"}, mount_point="secret")
created = client.auth.token.create(policies=["hvac-app"], ttl="1h")
child_token = created["auth"]["client_token"]
child_accessor = created["auth"]["accessor"]
child = hvac.Client(url=addr, token=child_token)

caps = child.sys.get_capabilities(paths=["secret/data/app/one"])
check(caps["capabilities"] == ["read"] and caps["data"]["secret/data/app/one"] == ["read"], "capabilities-self: %r" % caps)
caps = client.sys.get_capabilities(paths=["secret/data/app/one", "secret/data/other"], token=child_token)
check(caps["data"]["secret/data/app/one"] == ["read"], "capabilities (token): %r" % caps)
check(caps["data"]["secret/data/other"] == ["deny"], "capabilities (token) of a denied path: %r" % caps)
caps = client.sys.get_capabilities(paths=["secret/data/app/one"], accessor=child_accessor)
check(caps["data"]["secret/data/app/one"] == ["read"], "capabilities-accessor: %r" % caps)
check(client.sys.get_capabilities(paths=["anything"])["capabilities"] == ["root"], "root capabilities")

read = child.secrets.kv.v2.read_secret_version(path="app/one", mount_point="secret")
check(read["data"]["data"] == {"k": "v"}, "child reads what its policy allows")
raises(
    hvac.exceptions.Forbidden,
    lambda: child.secrets.kv.v2.create_or_update_secret(path="app/one", secret={"k": "x"}, mount_point="secret"),
    "child write",
)
raises(hvac.exceptions.Forbidden, lambda: child.sys.list_policies(), "child lists policies")

# Deleting the policy takes effect for the token at once.
client.sys.delete_policy(name="hvac-app")
raises(
    hvac.exceptions.Forbidden,
    lambda: child.secrets.kv.v2.read_secret_version(path="app/one", mount_point="secret"),
    "read after the policy was deleted",
)
client.sys.delete_policy(name="hvac-json")
check(client.sys.list_policies()["data"]["policies"] == ["default", "root"], "list after delete")

print("all checks passed")
