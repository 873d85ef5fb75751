"""hvac (Debian's python3-hvac 0.11.x) against a real Arca dev server: response wrapping
(wrap_ttl on reads, writes and token creation; sys.unwrap with and without a token argument;
the deprecated client.unwrap) and the cubbyhole.

Run by hvac-wrapping.test.ts with VAULT_ADDR and VAULT_TOKEN (root) set.
Exits non-zero with a message on the first failed expectation.
"""
import os
import sys
import warnings

import hvac

warnings.simplefilter("ignore", DeprecationWarning)

addr = os.environ["VAULT_ADDR"]
root = os.environ["VAULT_TOKEN"]
client = hvac.Client(url=addr, token=root)


def check(cond, msg):
    if not cond:
        print("FAILED: " + msg, file=sys.stderr)
        sys.exit(1)


def expect_invalid(fn, msg):
    try:
        fn()
    except hvac.exceptions.InvalidRequest as e:
        check("wrapping token is not valid or does not exist" in str(e), msg + ": " + str(e))
        return
    check(False, msg + ": no error")


# A wrapped KV v2 read.
client.secrets.kv.v2.create_or_update_secret(path="app", secret={"pw": "s3cr3t"}, mount_point="secret")
wrapped = client.read("secret/data/app", wrap_ttl="2m")
info = wrapped["wrap_info"]
check(wrapped["data"] is None and info["ttl"] == 120, "wrapped read shape")
check(info["creation_path"] == "secret/data/app", "creation_path")
unwrapped = client.sys.unwrap(token=info["token"])
check(unwrapped["data"]["data"] == {"pw": "s3cr3t"}, "unwrap with token argument")
expect_invalid(lambda: client.sys.unwrap(token=info["token"]), "second unwrap")

# A wrapped write (sys/wrapping/wrap through the adapter) and the deprecated client.unwrap.
wrapped = client.adapter.post("/v1/sys/wrapping/wrap", json={"k": "v"}, wrap_ttl=60)
check(wrapped["wrap_info"]["ttl"] == 60, "wrap ttl")
check(client.unwrap(wrapped["wrap_info"]["token"])["data"] == {"k": "v"}, "client.unwrap")

# A wrapped token creation, unwrapped by a client whose token is the wrapping token.
wrapped = client.create_token(policies=["default"], ttl="1h", wrap_ttl="5m")
info = wrapped["wrap_info"]
check(info.get("wrapped_accessor"), "wrapped_accessor present")
unwrapper = hvac.Client(url=addr, token=info["token"])
secret = unwrapper.sys.unwrap()
check(secret["auth"]["accessor"] == info["wrapped_accessor"], "wrapped accessor matches")
child = hvac.Client(url=addr, token=secret["auth"]["client_token"])
check(child.is_authenticated(), "unwrapped token authenticates")
expect_invalid(lambda: unwrapper.sys.unwrap(), "second first-party unwrap")

# The cubbyhole: private to each token.
child.write("cubbyhole/note", text="mine")
check(child.read("cubbyhole/note")["data"] == {"text": "mine"}, "cubbyhole round trip")
check(client.read("cubbyhole/note") is None, "root cannot see the child's cubbyhole")
check(child.list("cubbyhole")["data"]["keys"] == ["note"], "cubbyhole list")
child.delete("cubbyhole/note")
check(child.read("cubbyhole/note") is None, "cubbyhole delete")

print("all checks passed")
