#!/usr/bin/env bash
# Runs the example producers (Python with redis-py, Node.js with ioredis) against a real
# `confq worker`: each pushes a native v1 envelope for confq.sleep and for ingest.parse_upload
# with {"object", "filename"}; the script checks that all four tasks complete.
# Needs: cargo, a running Redis, python3 with pip, node with npm.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/confq-target}"
export CONFQ_REDIS_URL="${CONFQ_REDIS_URL:-redis://127.0.0.1:6379}"
data="$(mktemp -d)"
export CONFQ_DATA_DIR="$data"
export CONFQ_KEY_PREFIX="confq-producers-$(date +%s)-$RANDOM"
export RUST_LOG="${RUST_LOG:-warn}"

python3 -c 'import redis' 2>/dev/null || python3 -m pip install --quiet redis
(cd examples/producers/node && npm install --silent --no-audit --no-fund >/dev/null)

cargo build --quiet --bin confq
confq="$CARGO_TARGET_DIR/debug/confq"
"$confq" migrate >/dev/null
"$confq" worker --concurrency 2 >"$data/worker.log" 2>&1 &
worker_pid=$!

cleanup() {
  kill "$worker_pid" 2>/dev/null || true
  wait "$worker_pid" 2>/dev/null || true
  redis-cli -u "$CONFQ_REDIS_URL" --scan --pattern "${CONFQ_KEY_PREFIX}:*" | xargs -r redis-cli -u "$CONFQ_REDIS_URL" del >/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

# A service that writes the archive into the storage itself, then names the object.
mkdir -p "$data/uploads/incoming"
cp examples/splunk-apps.tgz "$data/uploads/incoming/from-python.tgz"
cp examples/splunk-apps.zip "$data/uploads/incoming/from-node.zip"

python3 examples/producers/python/enqueue.py sleep 100 >/dev/null
python3 examples/producers/python/enqueue.py ingest incoming/from-python.tgz from-python.tgz >/dev/null
node examples/producers/node/enqueue.js sleep 100 >/dev/null
node examples/producers/node/enqueue.js ingest incoming/from-node.zip from-node.zip >/dev/null

for _ in $(seq 150); do
  metrics="$("$confq" metrics --json --no-migrate)"
  if python3 - "$metrics" <<'PY'
import json, sys
m = json.loads(sys.argv[1])
q = m["queues"].get("ingest", {})
done = m["status_counts"].get("complete", 0) == 2 and q.get("pending") == 0 and q.get("processing") == 0 and q.get("delayed") == 0
sys.exit(0 if done else 1)
PY
  then
    dead="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["queues"]["ingest"]["dead"])' "$metrics")"
    [ "$dead" = "0" ] || { echo "producers: $dead dead letters" >&2; "$confq" dead list >&2; exit 1; }
    echo "producers: Python and Node envelopes all completed (2 sleeps, 2 ingestions)"
    exit 0
  fi
  sleep 0.2
done
echo "producers: tasks did not complete; metrics: $metrics" >&2
cat "$data/worker.log" >&2
exit 1
