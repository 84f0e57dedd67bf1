#!/usr/bin/env python3
"""Push native confq v1 envelopes from Python with redis-py (no confq code needed).

Usage:
    python3 enqueue.py sleep 250                      # confq.sleep {"ms": 250}
    python3 enqueue.py ingest OBJECT_KEY FILENAME     # ingest.parse_upload {"object", "filename"}

Environment: CONFQ_REDIS_URL (default redis://127.0.0.1:6379), CONFQ_KEY_PREFIX (default confq),
CONFQ_QUEUE (default ingest). Prints the task id.
"""
import json
import os
import sys
import uuid
from datetime import datetime, timezone

import redis


def envelope(task: str, args: dict) -> dict:
    return {
        "v": 1,
        "id": str(uuid.uuid4()),
        "task": task,
        "args": args,
        "attempt": 0,
        "created_at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
    }


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "sleep":
        env = envelope("confq.sleep", {"ms": int(argv[1])})
    elif len(argv) >= 3 and argv[0] == "ingest":
        env = envelope("ingest.parse_upload", {"object": argv[1], "filename": argv[2]})
    else:
        print(__doc__, file=sys.stderr)
        return 2
    prefix = os.environ.get("CONFQ_KEY_PREFIX", "confq")
    queue = os.environ.get("CONFQ_QUEUE", "ingest")
    client = redis.Redis.from_url(os.environ.get("CONFQ_REDIS_URL", "redis://127.0.0.1:6379"))
    # The pending list of queue Q is <prefix>:{Q}:pending (CONTRACT §3).
    client.lpush(f"{prefix}:{{{queue}}}:pending", json.dumps(env))
    print(env["id"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
