"""hvac (Debian's python3-hvac) against a real Arca server: init, unseal, mounts, KV v1/v2.

Run by hvac.test.ts with VAULT_ADDR pointing at a fresh, uninitialised server.
Exits non-zero with a message on the first failed expectation.
"""
import os
import sys

import hvac

addr = os.environ["VAULT_ADDR"]
client = hvac.Client(url=addr)


def check(cond, msg):
    if not cond:
        print("FAILED: " + msg, file=sys.stderr)
        sys.exit(1)


check(client.sys.is_initialized() is False, "fresh server reports initialized")
result = client.sys.initialize(secret_shares=3, secret_threshold=2)
keys = result["keys"]
root = result["root_token"]
check(len(keys) == 3 and root.startswith("s."), "init result shape")
check(client.sys.is_initialized() is True, "initialized after init")
check(client.sys.is_sealed() is True, "sealed after init")

status = client.sys.submit_unseal_key(keys[0])
check(status["sealed"] is True and status["progress"] == 1, "progress after one key")
status = client.sys.submit_unseal_keys(keys[1:3])
check(status["sealed"] is False, "unsealed after threshold")

health = client.sys.read_health_status(method="GET")
check(health["initialized"] and not health["sealed"], "health")

client.token = root
check(client.is_authenticated(), "root token authenticates")

client.sys.enable_secrets_engine("kv", path="kv1", options={"version": "1"})
client.sys.enable_secrets_engine("kv", path="kv2", options={"version": "2"})
mounts = client.sys.list_mounted_secrets_engines()
data = mounts.get("data", mounts)
check("kv1/" in data and "kv2/" in data, "mounts listed")

client.secrets.kv.v1.create_or_update_secret(path="app/one", secret={"k": "v1"}, mount_point="kv1")
read = client.secrets.kv.v1.read_secret(path="app/one", mount_point="kv1")
check(read["data"] == {"k": "v1"}, "kv v1 round trip")
listed = client.secrets.kv.v1.list_secrets(path="app", mount_point="kv1")
check(listed["data"]["keys"] == ["one"], "kv v1 list")
client.secrets.kv.v1.delete_secret(path="app/one", mount_point="kv1")

client.secrets.kv.v2.create_or_update_secret(path="svc", secret={"pw": "a"}, mount_point="kv2")
client.secrets.kv.v2.create_or_update_secret(path="svc", secret={"pw": "b"}, mount_point="kv2", cas=1)
read = client.secrets.kv.v2.read_secret_version(path="svc", mount_point="kv2")
check(read["data"]["data"] == {"pw": "b"} and read["data"]["metadata"]["version"] == 2, "kv v2 latest")
read = client.secrets.kv.v2.read_secret_version(path="svc", version=1, mount_point="kv2")
check(read["data"]["data"] == {"pw": "a"}, "kv v2 version 1")
try:
    client.secrets.kv.v2.create_or_update_secret(path="svc", secret={"pw": "c"}, mount_point="kv2", cas=1)
    check(False, "cas mismatch accepted")
except hvac.exceptions.InvalidRequest:
    pass
client.secrets.kv.v2.patch(path="svc", secret={"extra": "x"}, mount_point="kv2")
read = client.secrets.kv.v2.read_secret_version(path="svc", mount_point="kv2")
check(read["data"]["data"] == {"pw": "b", "extra": "x"}, "kv v2 patch")
meta = client.secrets.kv.v2.read_secret_metadata(path="svc", mount_point="kv2")
check(meta["data"]["current_version"] == 3, "kv v2 metadata")
client.secrets.kv.v2.delete_latest_version_of_secret(path="svc", mount_point="kv2")
client.secrets.kv.v2.undelete_secret_versions(path="svc", versions=[3], mount_point="kv2")
client.secrets.kv.v2.destroy_secret_versions(path="svc", versions=[1], mount_point="kv2")
listed = client.secrets.kv.v2.list_secrets(path="", mount_point="kv2")
check(listed["data"]["keys"] == ["svc"], "kv v2 list")
client.secrets.kv.v2.delete_metadata_and_all_versions(path="svc", mount_point="kv2")
try:
    client.secrets.kv.v2.read_secret_version(path="svc", mount_point="kv2")
    check(False, "deleted secret still readable")
except hvac.exceptions.InvalidPath:
    pass

client.sys.tune_mount_configuration(path="kv1", default_lease_ttl="1h")
tuned = client.sys.read_mount_configuration(path="kv1")
check(tuned["data"]["default_lease_ttl"] == 3600, "tune")
client.sys.move_backend("kv1", "kv1-moved")
client.sys.disable_secrets_engine("kv1-moved")

# Rekey 3/2 -> 4/3 with verification (sys/rekey/*), then prove the new shares at an unseal.
client.sys.create_or_update_policy(name="kept", policy='path "kv2/*" { capabilities = ["read"] }')
progress = client.sys.read_rekey_progress()
check(progress["started"] is False and progress["required"] == 2, "rekey idle status")
started = client.sys.start_rekey(secret_shares=4, secret_threshold=3, require_verification=True)
check(started["started"] is True and started["n"] == 4 and started["t"] == 3 and started["verification_required"] is True, "rekey start")
try:
    client.sys.start_rekey(secret_shares=4, secret_threshold=3)
    check(False, "second rekey accepted")
except hvac.exceptions.InvalidRequest as e:
    check("rekey already in progress" in str(e), "second rekey error: " + str(e))
done = client.sys.rekey_multi(keys[0:2], nonce=started["nonce"])
check(done["complete"] is True and len(done["keys"]) == 4 and done["verification_required"] is True, "rekey complete, pending verification")
new_keys = done["keys_base64"]
verify = client.sys.read_rekey_verify_progress()
check(verify["nonce"] == done["verification_nonce"] and verify["t"] == 3 and verify["progress"] == 0, "verification status")
result = None
for k in new_keys[1:4]:
    result = client.sys.rekey_verify(k, verify["nonce"])
check(result["complete"] is True, "verification complete")
check(client.sys.read_seal_status()["n"] == 4, "seal status shows the new share count")
client.sys.seal()
try:
    client.sys.submit_unseal_keys(keys[0:3])
    check(False, "old keys unsealed after the rekey")
except hvac.exceptions.InvalidRequest:
    pass
client.sys.submit_unseal_keys(new_keys[0:3])
check(client.sys.is_sealed() is False, "new keys unseal")
check("kept" in client.sys.list_policies()["data"]["policies"], "data survives the rekey")

# Barrier key: status, rotation, automatic rotation settings (sys/rotate/config through the adapter).
status = client.sys.get_encryption_key_status()["data"]
check(status["term"] >= 1 and status["encryptions"] > 0, "key status counts encryptions: " + str(status))
client.sys.rotate_encryption_key()
check(client.sys.get_encryption_key_status()["data"]["term"] == status["term"] + 1, "rotation adds a term")
check("kept" in client.sys.list_policies()["data"]["policies"], "data readable after the rotation")
config = client.adapter.get("/v1/sys/rotate/config")["data"]
check(config == {"max_operations": 3865470566, "interval": "0s", "enabled": True}, "default rotation config: " + str(config))
client.adapter.post("/v1/sys/rotate/config", json={"interval": "720h", "max_operations": 2000000000})
config = client.adapter.get("/v1/sys/rotate/config")["data"]
check(config == {"max_operations": 2000000000, "interval": "720h0m0s", "enabled": True}, "rotation config written: " + str(config))
try:
    client.adapter.post("/v1/sys/rotate/config", json={"interval": "1h"})
    check(False, "an interval under 24h was accepted")
except hvac.exceptions.InvalidRequest as e:
    check("interval must be at least 24h" in str(e), "interval error text")

# The OpenAPI document (raw JSON, as Vault answers it).
spec = client.adapter.get("/v1/sys/internal/specs/openapi")
check(spec["openapi"] == "3.0.2" and "/sys/rotate/config" in spec["paths"], "openapi document")

client.sys.seal()
check(client.sys.is_sealed() is True, "sealed via API")
print("hvac: all checks passed")
