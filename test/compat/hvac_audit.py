"""hvac (Debian's python3-hvac 0.11.x) against a real Arca dev server: audit devices.

Run by hvac-audit.test.ts with VAULT_ADDR, VAULT_TOKEN (root) and AUDIT_DIR set.
Exits non-zero with a message on the first failed expectation.
"""
import json
import os
import sys

import hvac

addr = os.environ["VAULT_ADDR"]
audit_dir = os.environ["AUDIT_DIR"]
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


log_path = os.path.join(audit_dir, "hvac-audit.log")
client.sys.enable_audit_device(
    device_type="file",
    description="hvac test device",
    options={"file_path": log_path},
)
client.sys.enable_audit_device(device_type="file", path="second", options={"file_path": os.path.join(audit_dir, "second.log")}, local=True)

listed = client.sys.list_enabled_audit_devices()
check("file/" in listed["data"], "list_enabled_audit_devices data: %r" % listed)
check("file/" in listed, "legacy top-level keys: %r" % listed)
device = listed["data"]["file/"]
check(device["type"] == "file", "type: %r" % device)
check(device["description"] == "hvac test device", "description: %r" % device)
check(device["options"] == {"file_path": log_path}, "options: %r" % device)
check(listed["data"]["second/"]["local"] is True, "local flag: %r" % listed["data"]["second/"])
check("salt" not in json.dumps(listed), "the device key is never listed")

raises(hvac.exceptions.InvalidRequest, lambda: client.sys.enable_audit_device(device_type="file", options={"file_path": log_path}), "path in use")

client.secrets.kv.v2.create_or_update_secret(path="hvac-audit", secret={"password": "hvac-secret-value"})
hashed = client.sys.calculate_hash(path="file", input_to_hash="hvac-secret-value")
check(hashed["data"]["hash"].startswith("hmac-sha256:"), "calculate_hash: %r" % hashed)
check(hashed["hash"] == hashed["data"]["hash"], "calculate_hash legacy top-level hash")
other = client.sys.calculate_hash(path="second", input_to_hash="hvac-secret-value")
check(other["data"]["hash"] != hashed["data"]["hash"], "each device has its own key")

with open(log_path) as f:
    text = f.read()
check("hvac-secret-value" not in text, "plaintext secret in the audit log")
check(hashed["data"]["hash"] in text, "the secret's hash is in the audit log")
entries = [json.loads(line) for line in text.splitlines() if line]
writes = [e for e in entries if e["request"]["path"] == "secret/data/hvac-audit" and e["type"] == "request"]
check(len(writes) == 1 and writes[0]["request"]["data"]["data"]["password"] == hashed["data"]["hash"], "write entry: %r" % writes)

client.sys.disable_audit_device(path="second")
check("second/" not in client.sys.list_enabled_audit_devices()["data"], "disable_audit_device")
raises(hvac.exceptions.InvalidRequest, lambda: client.sys.calculate_hash(path="second", input_to_hash="x"), "hash on a disabled device")

print("all checks passed")
