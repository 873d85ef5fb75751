"""hvac (Debian's python3-hvac 0.11.2) against a real Arca dev server: the database secrets engine
with the PostgreSQL plugin. Configure, read and list connections, roles, generate credentials,
static roles, rotate-root, reset, revoke, delete; a connection that cannot be verified is an
InvalidRequest whose message does not contain the password.

Run by hvac-database.test.ts with VAULT_ADDR (root token "root"), PG_HOST, PG_PORT, PG_USER,
PG_PASSWORD (an engine superuser) and STATIC_USER (an existing database user). Prints
"KEPT <json>" (credentials left valid) and "REVOKED <json>" (credentials whose lease it revoked)
for the test to try against PostgreSQL, then "all checks passed".
"""
import json
import os
import sys

import hvac

client = hvac.Client(url=os.environ["VAULT_ADDR"], token="root")
db = client.secrets.database
pg_url = "postgresql://{{username}}:{{password}}@%s:%s/postgres?sslmode=disable" % (
    os.environ["PG_HOST"],
    os.environ["PG_PORT"],
)
user = os.environ["PG_USER"]
password = os.environ["PG_PASSWORD"]


def check(cond, msg):
    if not cond:
        print("FAILED: " + msg, file=sys.stderr)
        sys.exit(1)


client.sys.enable_secrets_engine("database", path="database")

try:
    db.configure(
        name="broken",
        plugin_name="postgresql-database-plugin",
        connection_url=pg_url,
        username=user,
        password="wrong-" + password,
    )
    check(False, "configure with a wrong password succeeded")
except hvac.exceptions.InvalidRequest as err:
    text = str(err)
    check("error creating database object" in text, "verify failure message: " + text)
    check(password not in text, "password leaked in error")

db.configure(
    name="pg",
    plugin_name="postgresql-database-plugin",
    allowed_roles=["readonly", "static-app"],
    connection_url=pg_url,
    username=user,
    password=password,
)
conn = db.read_connection(name="pg")["data"]
check(conn["plugin_name"] == "postgresql-database-plugin", "plugin name")
check(conn["allowed_roles"] == ["readonly", "static-app"], "allowed roles")
check(conn["connection_details"]["username"] == user, "username in details")
check("password" not in conn["connection_details"], "password returned by read")
check(password not in json.dumps(conn), "password anywhere in read")
check(db.list_connections()["data"]["keys"] == ["pg"], "list connections")

db.create_role(
    name="readonly",
    db_name="pg",
    creation_statements=[
        "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';",
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{{name}}\";",
    ],
    default_ttl="1h",
    max_ttl="24h",
)
role = db.read_role(name="readonly")["data"]
check(role["db_name"] == "pg" and role["default_ttl"] == 3600 and role["max_ttl"] == 86400, "role read")
check(db.list_roles()["data"]["keys"] == ["readonly"], "list roles")

kept = db.generate_credentials(name="readonly")
check(kept["lease_duration"] == 3600 and kept["renewable"] is True, "lease of generated credentials")
check(kept["lease_id"].startswith("database/creds/readonly/"), "lease id")
check(kept["data"]["username"].startswith("v-root-readonly-"), "username shape")
revoked = db.generate_credentials(name="readonly")
client.sys.revoke_lease(lease_id=revoked["lease_id"])
renewed = client.sys.renew_lease(lease_id=kept["lease_id"], increment=7200)
check(renewed["lease_duration"] == 7200, "renewed lease")

db.create_static_role(name="static-app", db_name="pg", username=os.environ["STATIC_USER"], rotation_statements=[], rotation_period=3600)
static1 = db.get_static_credentials(name="static-app")["data"]
check(static1["username"] == os.environ["STATIC_USER"] and static1["rotation_period"] == 3600, "static creds")
check(db.list_static_roles()["data"]["keys"] == ["static-app"], "list static roles")

db.rotate_root_credentials(name="pg")
db.reset_connection(name="pg")
after_rotation = db.generate_credentials(name="readonly")
check(after_rotation["data"]["username"] != kept["data"]["username"], "credentials after rotate-root")
client.sys.revoke_lease(lease_id=after_rotation["lease_id"])

try:
    db.generate_credentials(name="nope")
    check(False, "unknown role answered")
except hvac.exceptions.InvalidRequest as err:
    check("unknown role: nope" in str(err), "unknown role message: " + str(err))

db.delete_static_role(name="static-app")
check("pg" in db.list_connections()["data"]["keys"], "connection still there")

print("KEPT " + json.dumps(kept["data"]))
print("REVOKED " + json.dumps(revoked["data"]))
print("STATIC " + json.dumps(static1))
print("all checks passed")
