"""hvac (Debian's python3-hvac) against an Arca HA cluster: status from a standby, and a client
that talks to a standby and follows its 307s to the active node.

Run by hvac-ha.test.ts with STANDBY_ADDR, ACTIVE_ADDR and VAULT_TOKEN (a root token); a KV v1
engine is mounted at kv/. Exits non-zero with a message on the first failed expectation.
"""
import os
import sys

import hvac

standby_addr = os.environ["STANDBY_ADDR"]
active_addr = os.environ["ACTIVE_ADDR"]
token = os.environ["VAULT_TOKEN"]
standby = hvac.Client(url=standby_addr, token=token)
active = hvac.Client(url=active_addr, token=token)


def check(cond, msg):
    if not cond:
        print("FAILED: " + msg, file=sys.stderr)
        sys.exit(1)


leader = standby.sys.read_leader_status()
check(leader["ha_enabled"] is True and leader["is_self"] is False, "standby leader status: %r" % leader)
check(leader["leader_address"] == active_addr, "leader address %r" % leader["leader_address"])
check(active.sys.read_leader_status()["is_self"] is True, "the active node is itself the leader")

health = standby.sys.read_health_status(method="GET")
check(getattr(health, "status_code", None) == 429, "standby health is 429: %r" % health)
ok = standby.sys.read_health_status(method="GET", standby_ok=True)
check(isinstance(ok, dict) and ok["standby"] is True and ok["sealed"] is False, "standbyok health: %r" % ok)
check(standby.sys.read_seal_status()["sealed"] is False, "standby seal status")

# Writes and reads through the standby follow its 307 to the active node.
check(standby.is_authenticated(), "token check through the standby")
standby.secrets.kv.v1.create_or_update_secret(path="hvac", secret={"via": "standby"}, mount_point="kv")
check(active.secrets.kv.v1.read_secret(path="hvac", mount_point="kv")["data"] == {"via": "standby"}, "write landed on the active node")
check(standby.secrets.kv.v1.read_secret(path="hvac", mount_point="kv")["data"] == {"via": "standby"}, "read through the standby")
check("hvac" in standby.secrets.kv.v1.list_secrets(path="", mount_point="kv")["data"]["keys"], "list through the standby")

# Step-down sent to the standby reaches the active node.
standby.sys.step_down()
print("all checks passed")
