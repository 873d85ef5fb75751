"""hvac (Debian's python3-hvac 0.11.x) drives performance replication between two real Arca
clusters. hvac 0.11 has no replication helpers, so the activation goes through client.write /
client.read on the sys/replication paths, exactly as scripts written for Vault do.

Run by hvac-replication.test.ts with PRIMARY_ADDR, PRIMARY_TOKEN, PRIMARY_UNSEAL_KEY,
SECONDARY_ADDR and SECONDARY_TOKEN set. Exits non-zero with a message on the first failed
expectation.
"""
import base64
import os
import sys
import time
import warnings

import hvac

warnings.simplefilter("ignore", DeprecationWarning)

primary = hvac.Client(url=os.environ["PRIMARY_ADDR"], token=os.environ["PRIMARY_TOKEN"])
secondary = hvac.Client(url=os.environ["SECONDARY_ADDR"], token=os.environ["SECONDARY_TOKEN"])
unseal_key = os.environ["PRIMARY_UNSEAL_KEY"]
PERF = "sys/replication/performance"


def check(cond, msg):
    if not cond:
        print("FAILED: " + msg, file=sys.stderr)
        sys.exit(1)


def expect_invalid(fn, pattern, msg):
    try:
        fn()
    except hvac.exceptions.InvalidRequest as e:
        check(pattern in str(e), msg + ": " + str(e))
        return
    check(False, msg + ": no error")


def eventually(fn, what, timeout=20):
    deadline = time.time() + timeout
    while True:
        try:
            v = fn()
            if v:
                return v
        except Exception:  # not replicated yet
            pass
        check(time.time() < deadline, "timed out waiting for " + what)
        time.sleep(0.1)


check(primary.read(PERF + "/status")["data"]["mode"] == "disabled", "disabled before enable")
primary.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
primary.secrets.kv.v2.create_or_update_secret(path="app/db", secret={"password": "hunter2"}, mount_point="secret")

primary.write(PERF + "/primary/enable")
expect_invalid(lambda: primary.write(PERF + "/primary/enable"), "already a performance primary", "enable twice")
check(primary.sys.read_health_status(method="GET")["replication_performance_mode"] == "primary", "health mode primary")

resp = primary.write(PERF + "/primary/secondary-token", id="hvac-secondary", ttl="10m")
wrap = resp["wrap_info"]
check(wrap["ttl"] == 600, "activation token ttl")
check(wrap["creation_path"] == PERF + "/primary/secondary-token", "creation path")
activation = wrap["token"]

expect_invalid(lambda: secondary.write(PERF + "/secondary/enable", token="garbage"), "invalid secondary activation token", "garbage token")
expect_invalid(lambda: secondary.write(PERF + "/primary/secondary-token", id="x"), "not a performance primary", "wrong kind of cluster")

secondary.write(PERF + "/secondary/enable", token=activation)
check(secondary.sys.is_sealed(), "sealed after activation")
secondary.sys.submit_unseal_key(unseal_key)
check(not secondary.sys.is_sealed(), "unsealed with the primary's key")

# A root token on the secondary, from generate-root with the primary's key (tokens are local).
attempt = secondary.sys.start_root_token_generation()
otp = attempt["otp"]
done = secondary.sys.generate_root(key=unseal_key, nonce=attempt["nonce"])
check(done["complete"], "generate-root complete")
raw = done["encoded_token"]
encoded = base64.b64decode(raw + "=" * (-len(raw) % 4))  # Vault encodes without padding
secondary.token = bytes(b ^ ord(otp[i]) for i, b in enumerate(encoded)).decode()

got = eventually(lambda: secondary.secrets.kv.v2.read_secret_version(path="app/db", mount_point="secret"), "catch-up")
check(got["data"]["data"] == {"password": "hunter2"}, "data written before activation")
primary.secrets.kv.v2.create_or_update_secret(path="app/api", secret={"key": "k-1"}, mount_point="secret")
got = eventually(lambda: secondary.secrets.kv.v2.read_secret_version(path="app/api", mount_point="secret"), "stream")
check(got["data"]["data"] == {"key": "k-1"}, "data written after activation")

status = eventually(lambda: (lambda s: s if s["state"] == "stream-wals" else None)(secondary.read(PERF + "/status")["data"]), "stream-wals")
check(status["mode"] == "secondary" and status["secondary_id"] == "hvac-secondary", "secondary status")
pstatus = primary.read("sys/replication/status")["data"]["performance"]
check(pstatus["known_secondaries"] == ["hvac-secondary"], "known_secondaries")
check(pstatus["cluster_id"] == status["cluster_id"], "same cluster id")
check(secondary.sys.read_health_status(method="GET")["replication_performance_mode"] == "secondary", "health mode secondary")

primary.write(PERF + "/primary/revoke-secondary", id="hvac-secondary")
check(primary.read(PERF + "/status")["data"]["known_secondaries"] == [], "revoked")
print("all checks passed")
