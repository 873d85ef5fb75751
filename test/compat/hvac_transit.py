"""hvac (Debian's python3-hvac 0.11.2) against a real Arca dev server: the transit engine.

Run by hvac-transit.test.ts with VAULT_ADDR and VAULT_TOKEN set (a dev server's root token).
Exits non-zero with a message on the first failed expectation.
"""
import base64
import hashlib
import os
import sys

import hvac

client = hvac.Client(url=os.environ["VAULT_ADDR"], token=os.environ["VAULT_TOKEN"])
transit = client.secrets.transit
MOUNT = "transit"


def check(cond, msg):
    if not cond:
        print("FAILED: " + msg, file=sys.stderr)
        sys.exit(1)


def b64(s):
    return base64.b64encode(s if isinstance(s, bytes) else s.encode()).decode()


client.sys.enable_secrets_engine("transit", path=MOUNT)

transit.create_key(name="app", mount_point=MOUNT)
key = transit.read_key(name="app", mount_point=MOUNT)
check(key["data"]["name"] == "app" and key["data"]["latest_version"] == 1, "read_key")
check(key["data"]["type"] == "aes256-gcm96", "default key type")
check(transit.list_keys(mount_point=MOUNT)["data"]["keys"] == ["app"], "list_keys")

enc = transit.encrypt_data(name="app", plaintext=b64("hi itsame hvac"), mount_point=MOUNT)
ciphertext = enc["data"]["ciphertext"]
check(ciphertext.startswith("vault:v1:"), "encrypt_data")
dec = transit.decrypt_data(name="app", ciphertext=ciphertext, mount_point=MOUNT)
check(dec["data"]["plaintext"] == b64("hi itsame hvac"), "decrypt_data")

batch = transit.encrypt_data(
    name="app",
    plaintext="",
    batch_input=[{"plaintext": b64("one")}, {"plaintext": b64("two")}],
    mount_point=MOUNT,
)
results = batch["data"]["batch_results"]
check(len(results) == 2 and all(r["ciphertext"].startswith("vault:v1:") for r in results), "batch encrypt")
try:
    transit.encrypt_data(name="app", plaintext="", batch_input=[{"plaintext": "@@"}], mount_point=MOUNT)
    check(False, "bad batch item accepted")
except hvac.exceptions.InvalidRequest:
    pass

transit.rotate_key(name="app", mount_point=MOUNT)
check(transit.read_key(name="app", mount_point=MOUNT)["data"]["latest_version"] == 2, "rotate_key")
rewrapped = transit.rewrap_data(name="app", ciphertext=ciphertext, mount_point=MOUNT)
check(rewrapped["data"]["ciphertext"].startswith("vault:v2:"), "rewrap_data")
dec = transit.decrypt_data(name="app", ciphertext=rewrapped["data"]["ciphertext"], mount_point=MOUNT)
check(dec["data"]["plaintext"] == b64("hi itsame hvac"), "decrypt rewrapped")

transit.update_key_configuration(name="app", min_decryption_version=2, mount_point=MOUNT)
try:
    transit.decrypt_data(name="app", ciphertext=ciphertext, mount_point=MOUNT)
    check(False, "too-old ciphertext decrypted")
except hvac.exceptions.InvalidRequest as e:
    check("disallowed by policy" in str(e), "too-old error text: %s" % e)

datakey = transit.generate_data_key(name="app", key_type="plaintext", mount_point=MOUNT)
check(len(base64.b64decode(datakey["data"]["plaintext"])) == 32, "generate_data_key plaintext")
wrapped = transit.generate_data_key(name="app", key_type="wrapped", mount_point=MOUNT)
check("plaintext" not in wrapped["data"], "generate_data_key wrapped")

for key_type in ["ed25519", "ecdsa-p256", "rsa-2048"]:
    transit.create_key(name=key_type, key_type=key_type, mount_point=MOUNT)
    signed = transit.sign_data(name=key_type, hash_input=b64("sign me"), hash_algorithm="sha2-256", mount_point=MOUNT)
    signature = signed["data"]["signature"]
    check(signature.startswith("vault:v1:"), "sign_data " + key_type)
    ok = transit.verify_signed_data(
        name=key_type, hash_input=b64("sign me"), signature=signature, hash_algorithm="sha2-256", mount_point=MOUNT
    )
    check(ok["data"]["valid"] is True, "verify_signed_data " + key_type)
    bad = transit.verify_signed_data(
        name=key_type, hash_input=b64("other"), signature=signature, hash_algorithm="sha2-256", mount_point=MOUNT
    )
    check(bad["data"]["valid"] is False, "verify_signed_data rejects " + key_type)

signed = transit.sign_data(
    name="rsa-2048", hash_input=b64("pk"), signature_algorithm="pkcs1v15", hash_algorithm="sha2-512", mount_point=MOUNT
)
ok = transit.verify_signed_data(
    name="rsa-2048",
    hash_input=b64("pk"),
    signature=signed["data"]["signature"],
    signature_algorithm="pkcs1v15",
    hash_algorithm="sha2-512",
    mount_point=MOUNT,
)
check(ok["data"]["valid"] is True, "pkcs1v15 sign/verify")

mac = transit.generate_hmac(name="app", hash_input=b64("mac me"), mount_point=MOUNT)
check(mac["data"]["hmac"].startswith("vault:v2:"), "generate_hmac")
ok = transit.verify_signed_data(name="app", hash_input=b64("mac me"), hmac=mac["data"]["hmac"], mount_point=MOUNT)
check(ok["data"]["valid"] is True, "verify hmac")

digest = transit.hash_data(hash_input=b64("hello"), algorithm="sha2-256", mount_point=MOUNT)
check(digest["data"]["sum"] == hashlib.sha256(b"hello").hexdigest(), "hash_data")
rand = transit.generate_random_bytes(n_bytes=24, output_format="hex", mount_point=MOUNT)
check(len(bytes.fromhex(rand["data"]["random_bytes"])) == 24, "generate_random_bytes")

transit.create_key(name="portable", exportable=True, allow_plaintext_backup=True, mount_point=MOUNT)
exported = transit.export_key(name="portable", key_type="encryption-key", mount_point=MOUNT)
check(len(base64.b64decode(exported["data"]["keys"]["1"])) == 32, "export_key")
try:
    transit.export_key(name="app", key_type="encryption-key", mount_point=MOUNT)
    check(False, "non-exportable key exported")
except hvac.exceptions.InvalidRequest:
    pass
portable_ct = transit.encrypt_data(name="portable", plaintext=b64("moved"), mount_point=MOUNT)["data"]["ciphertext"]
backup = transit.backup_key(name="portable", mount_point=MOUNT)["data"]["backup"]
client.sys.enable_secrets_engine("transit", path="transit2")
transit.restore_key(backup=backup, mount_point="transit2")
dec = transit.decrypt_data(name="portable", ciphertext=portable_ct, mount_point="transit2")
check(dec["data"]["plaintext"] == b64("moved"), "restore_key into another mount")
try:
    transit.restore_key(backup=backup, mount_point="transit2")
    check(False, "restore over an existing key without force")
except hvac.exceptions.InternalServerError as e:
    check("already exists" in str(e), "restore conflict text: %s" % e)
try:
    transit.backup_key(name="app", mount_point=MOUNT)
    check(False, "backup of a non-exportable key")
except hvac.exceptions.InternalServerError:
    pass

for _ in range(3):
    transit.rotate_key(name="portable", mount_point=MOUNT)
transit.update_key_configuration(name="portable", min_decryption_version=3, min_encryption_version=4, mount_point=MOUNT)
transit.trim_key(name="portable", min_version=3, mount_point=MOUNT)
versions = transit.read_key(name="portable", mount_point=MOUNT)["data"]["keys"]
check(sorted(versions.keys()) == ["3", "4"], "trim_key: %s" % sorted(versions.keys()))

try:
    transit.delete_key(name="portable", mount_point=MOUNT)
    check(False, "deleted a key without deletion_allowed")
except hvac.exceptions.InvalidRequest:
    pass
transit.update_key_configuration(name="portable", deletion_allowed=True, mount_point=MOUNT)
transit.delete_key(name="portable", mount_point=MOUNT)
try:
    transit.read_key(name="portable", mount_point=MOUNT)
    check(False, "deleted key still readable")
except hvac.exceptions.InvalidPath:
    pass

print("all checks passed")
