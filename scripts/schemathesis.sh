#!/usr/bin/env bash
# Property-based test of the HTTP API: starts `confq api` on a free port with a temp data dir
# and a random Redis key prefix, then runs schemathesis against its /openapi.json.
#   SCHEMATHESIS_MAX_EXAMPLES (default 30)  examples per operation
#   CONFQ_REDIS_URL (default redis://127.0.0.1:6379)  the Redis to use
# Needs: cargo, a running Redis, `schemathesis` (pip install schemathesis).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/confq-target}"
max_examples="${SCHEMATHESIS_MAX_EXAMPLES:-30}"
command -v schemathesis >/dev/null || { echo "schemathesis is not installed: pip install schemathesis" >&2; exit 1; }

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
data="$(mktemp -d)"
prefix="confq-schemathesis-$(date +%s)-$RANDOM"
base="http://127.0.0.1:${port}"

cargo build --quiet --bin confq
CONFQ_DATA_DIR="$data" CONFQ_KEY_PREFIX="$prefix" RUST_LOG="${RUST_LOG:-warn}" \
  "$CARGO_TARGET_DIR/debug/confq" api --bind "127.0.0.1:${port}" >"$data/api.log" 2>&1 &
api_pid=$!

cleanup() {
  kill "$api_pid" 2>/dev/null || true
  wait "$api_pid" 2>/dev/null || true
  if command -v redis-cli >/dev/null; then
    redis-cli -u "${CONFQ_REDIS_URL:-redis://127.0.0.1:6379}" --scan --pattern "${prefix}:*" \
      | xargs -r redis-cli -u "${CONFQ_REDIS_URL:-redis://127.0.0.1:6379}" del >/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 100); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  kill -0 "$api_pid" 2>/dev/null || { cat "$data/api.log" >&2; echo "confq api exited" >&2; exit 1; }
  sleep 0.2
done
curl -fsS "$base/readyz" >/dev/null || { cat "$data/api.log" >&2; echo "confq api is not ready" >&2; exit 1; }

schemathesis run "$base/openapi.json" \
  --checks all \
  --max-examples "$max_examples" \
  --workers 1 \
  --request-timeout 30 \
  --seed "${SCHEMATHESIS_SEED:-1}" \
  --suppress-health-check all
