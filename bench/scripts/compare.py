"""Redis CPU per task of the queue's hot scripts (claim.lua, then ack_many.lua for what it
claimed) at two git revisions, side by side on a private redis-server. Outside any Rust code:
it measures the scripts alone.

    python3 bench/scripts/compare.py OLD_REV NEW_REV

Needs git (run it inside the repository), redis-server on PATH and redis-py (`pip install
redis`). Environment: N (tasks per round, 30,000), C (`16,128`: tasks claimed and acked per
call), ROUNDS (3), PRIME=1 parks C long-running tasks in processing for the whole round (the
worst case for a search of processing from its tail). Prints each round and the median.
.ci/run runs it once, small, HEAD against HEAD (docs/benchmarks.md, "Task throughput")."""
import json
import os
import socket
import subprocess
import sys
import time
import uuid

import redis


def show(rev, path):
    """The file at `rev`, or None when it did not exist there."""
    out = subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True)
    return out.stdout if out.returncode == 0 else None


def scripts(rev):
    """claim and ack_many as the broker sends them at `rev`: shared files first (scripts/mod.rs)."""
    batch = show(rev, "broker/lua/batch_lib.lua") or ""
    state = show(rev, "broker/lua/state_lib.lua")
    claim = show(rev, "broker/lua/claim.lua")
    ack = show(rev, "broker/lua/ack_many.lua")
    if not (state and claim and ack):
        sys.exit(f"{rev}: broker/lua has no claim.lua, ack_many.lua and state_lib.lua")
    return batch + claim, batch + state + ack


def cpu(r):
    info = r.info("cpu")
    return info["used_cpu_user"] + info["used_cpu_sys"]


def round_(r, rev, n, c):
    claim_src, ack_src = scripts(rev)
    claim, ack = r.register_script(claim_src), r.register_script(ack_src)
    prefix = f"compare:{uuid.uuid4().hex}"
    k = {name: f"{prefix}:{name}" for name in
         ["pending", "processing", "leases", "tokens", "stats", "results"]}
    lease_keys = [k["pending"], k["processing"], k["leases"], k["tokens"]]
    for i in range(0, n, 1000):
        r.lpush(k["pending"], *[json.dumps({
            "v": 1, "id": str(uuid.uuid4()), "task": "confq.noop", "args": {}, "attempt": 0,
            "max_retries": 3, "enqueued_at": "2026-11-30T16:00:00Z"}) for _ in range(min(1000, n - i))])
    if os.environ.get("PRIME") == "1":
        claim(keys=lease_keys, args=[c, 600000, "parked"])
    before, done = cpu(r), 0
    while True:
        got = claim(keys=lease_keys, args=[c, 60000, f"t{done}"])
        if not got:
            break
        args = ["86400000"]
        for i in range(0, len(got), 2):
            raw, token = got[i], got[i + 1]
            args += [raw, token, json.loads(raw)["id"], '"confq.noop"', "0", "null"]
        acked = ack(keys=[k["processing"], k["leases"], k["tokens"], k["stats"], k["results"]],
                    args=args)
        assert all(a == 1 for a in acked), acked
        done += len(got) // 2
    used = cpu(r) - before
    r.delete(*k.values())
    return used / done * 1e6


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    old, new = sys.argv[1], sys.argv[2]
    n = int(os.environ.get("N", "30000"))
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        r = redis.Redis(port=port)
        for _ in range(100):
            try:
                r.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        for c in [int(x) for x in os.environ.get("C", "16,128").split(",")]:
            revs = (old, new)
            per = ([], [])
            for _ in range(int(os.environ.get("ROUNDS", "3"))):
                for side, rev in enumerate(revs):
                    per[side].append(round_(r, rev, n, c))
            for side, rev in enumerate(revs):
                us = sorted(per[side])
                runs = " / ".join(f"{u:.1f}" for u in us)
                print(f"C={c} {rev}: Redis CPU per task {runs} µs (median {us[len(us) // 2]:.1f})")
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
