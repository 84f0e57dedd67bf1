#!/usr/bin/env bash
# Peers side by side (docs/benchmarks.md, "Peers"): Celery (prefork, acks_late), RQ, arq, BullMQ
# and confq, each given the same N tasks doing one INCR, enqueued then drained, on one freshly
# started private redis-server; medians of 3; one table and docs/peers.svg.
#
# It DOWNLOADS the peers (PyPI: celery[redis], rq, arq, redis; npm: bullmq, ioredis) into a
# scratch directory, so CI never runs it. One command:  bash bench/peers/run.sh
# Needs python3 (venv), node and npm, redis-server, cargo.
# Variables: PEERS_N (10000), PEERS_RUNS (3), PEERS_SYSTEMS (confq,celery,rq,arq,bullmq),
# PEERS_SCRATCH (/var/tmp/confq-peers), CARGO_TARGET_DIR (where the release build goes).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
scratch=${PEERS_SCRATCH:-/var/tmp/confq-peers}
mkdir -p "$scratch/node"

echo "== peers into $scratch (one virtualenv each: arq pins an older redis-py than Celery and RQ)"
for peer in celery rq arq; do
  [ -x "$scratch/venv-$peer/bin/python" ] || python3 -m venv "$scratch/venv-$peer"
done
"$scratch/venv-celery/bin/pip" install --quiet --disable-pip-version-check 'celery[redis]'
"$scratch/venv-rq/bin/pip" install --quiet --disable-pip-version-check rq
"$scratch/venv-arq/bin/pip" install --quiet --disable-pip-version-check arq
cp "$here/bullmq.mjs" "$scratch/node/"
(cd "$scratch/node" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install --silent --no-audit --no-fund bullmq ioredis)

echo "== confq: the custom-worker example (confq's worker loop, with example.incr), release build"
(cd "$root" && cargo build --release --quiet -p custom-worker)
worker_bin="${CARGO_TARGET_DIR:-$root/target}/release/custom-worker"

port=$("$scratch/venv-celery/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --logfile "$scratch/redis.log" &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null || true' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== redis-server $(redis-server --version | grep -o 'v=[^ ]*'), port $port"
echo "== versions: $(for peer in celery rq arq; do "$scratch/venv-$peer/bin/pip" list --disable-pip-version-check 2>/dev/null | grep -Ei "^($peer|kombu|redis) "; done | tr -s ' ' | paste -sd, -)," \
  "bullmq $(node -p "require('$scratch/node/node_modules/bullmq/package.json').version"), node $(node --version)"

PEERS_REDIS_URL="redis://127.0.0.1:$port/0" \
PEERS_NODE_DIR="$scratch/node" \
PEERS_SCRATCH="$scratch" \
PEERS_CONFQ_WORKER="$worker_bin" \
CONFQ_REDIS_URL="redis://127.0.0.1:$port/0" \
CONFQ_KEY_PREFIX=confq \
  "$scratch/venv-celery/bin/python" "$here/peers.py" \
    --n "${PEERS_N:-10000}" --runs "${PEERS_RUNS:-3}" \
    --systems "${PEERS_SYSTEMS:-confq,celery,rq,arq,bullmq}" \
    --svg "$root/docs/peers.svg" --json "$scratch/peers.json"
echo "== chart: docs/peers.svg; figures: $scratch/peers.json"
