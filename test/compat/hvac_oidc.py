"""hvac (Debian's python3-hvac) against a real Arca dev server: identity tokens (identity/oidc),
verified the way a relying party would, with PyJWT (Debian's python3-jwt) and the server's JWKS.

Run by hvac-oidc.test.ts with VAULT_ADDR and VAULT_TOKEN (root) of a dev server.
Exits non-zero with a message on the first failed expectation.
"""
import json
import os
import sys

import hvac
import jwt

root = hvac.Client(url=os.environ["VAULT_ADDR"], token=os.environ["VAULT_TOKEN"])
identity = root.secrets.identity


def check(cond, msg):
    if not cond:
        print("FAILED: " + msg, file=sys.stderr)
        sys.exit(1)


root.sys.enable_auth_method("userpass")
root.sys.create_or_update_policy("oidc", 'path "identity/oidc/token/*" { capabilities = ["read"] }')
root.auth.userpass.create_or_update_user("carol", password="pw-carol-1", policies=["oidc"])
user = hvac.Client(url=os.environ["VAULT_ADDR"])
login = user.auth.userpass.login("carol", "pw-carol-1")
entity_id = login["auth"]["entity_id"]
check(entity_id != "", "the login made an entity")
identity.update_entity(entity_id=entity_id, metadata={"team": "blue"})

identity.configure_tokens_backend(issuer="")
check(identity.read_tokens_backend_configuration()["data"] == {"issuer": ""}, "issuer defaults to empty")
config = identity.read_well_known_configurations()
issuer = config["issuer"]
check(issuer == os.environ["VAULT_ADDR"] + "/v1/identity/oidc", "issuer is api_addr + /v1/identity/oidc: " + issuer)

for alg in ["RS256", "ES384", "EdDSA"]:
    name = "key-" + alg.lower()
    identity.create_named_key(name=name, algorithm=alg, allowed_client_ids=["*"], rotation_period="12h", verification_ttl="12h")
    read = identity.read_named_key(name=name)["data"]
    check(read["algorithm"] == alg and read["rotation_period"] == 43200 and read["verification_ttl"] == 43200, "read " + name)
    template = json.dumps({"team": "TEAM"}).replace('"TEAM"', "{{identity.entity.metadata.team}}")
    identity.create_or_update_role(name="role-" + alg.lower(), key=name, template=template, ttl="1h")
    role = identity.read_role(name="role-" + alg.lower())["data"]
    check(role["key"] == name and role["ttl"] == 3600, "read role")

    issued = user.secrets.identity.generate_signed_id_token(name="role-" + alg.lower())["data"]
    check(issued["client_id"] == role["client_id"] and issued["ttl"] == 3600, "token answer")
    token = issued["token"]

    # A relying party: JWKS from the unauthenticated endpoint, key by kid, PyJWT checks the rest.
    jwks = identity.read_active_public_keys()
    kid = jwt.get_unverified_header(token)["kid"]
    matching = [k for k in jwks["keys"] if k["kid"] == kid]
    check(len(matching) == 1, alg + ": the signing key is published")
    key = jwt.PyJWK(matching[0])
    claims = jwt.decode(token, key.key, algorithms=[alg], audience=role["client_id"], issuer=issuer)
    check(claims["sub"] == entity_id and claims["team"] == "blue" and claims["namespace"] == "root", alg + ": claims " + json.dumps(claims))
    check(claims["exp"] - claims["iat"] == 3600, alg + ": exp")
    try:
        jwt.decode(token, key.key, algorithms=[alg], audience="someone-else", issuer=issuer)
        check(False, alg + ": a wrong audience verified")
    except jwt.InvalidAudienceError:
        pass

    intro = identity.introspect_signed_id_token(token=token, client_id=role["client_id"])
    check(intro == {"active": True}, alg + ": introspection " + json.dumps(intro))

check(sorted(identity.list_named_keys()["data"]["keys"]) == ["key-eddsa", "key-es384", "key-rs256"], "list keys")
check(sorted(identity.list_roles()["data"]["keys"]) == ["role-eddsa", "role-es384", "role-rs256"], "list roles")
try:
    identity.delete_named_key(name="key-rs256")
    check(False, "a key in use was deleted")
except hvac.exceptions.InvalidRequest as e:
    check("currently referenced by these roles: role-rs256" in str(e), "delete refusal text")
identity.delete_role(name="role-rs256")
identity.delete_named_key(name="key-rs256")
check(sorted(identity.list_named_keys()["data"]["keys"]) == ["key-eddsa", "key-es384"], "key deleted")

print("all checks passed")
