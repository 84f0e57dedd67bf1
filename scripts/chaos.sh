#!/usr/bin/env bash
# Runs the chaos suites against real confq processes and prints one line per scenario:
#   scenario, tasks, faults injected, lost, duplicated, stuck, seconds
#
#   scripts/chaos.sh --small          # the scaled-down scenarios (also part of cargo test, but
#                                     # the outage ones are #[ignore]d there: they need tools)
#   scripts/chaos.sh --full           # full size (minutes each); results for docs/reliability.md
#   scripts/chaos.sh --full zombies   # one scenario: worker_crashes, poison, zombies, rollout,
#                                     # redis_restart, hostile_archives, database_outage, storage_outage,
#                                     # cluster_worker_crashes, cluster_failover (local Redis Cluster),
#                                     # long_database_outage, long_storage_outage (circuit breakers)
#   scripts/chaos.sh --full --release # against a release build of confq
#
# Needs Redis on 127.0.0.1:6379 (or CONFQ_TEST_REDIS_URL), redis-server and redis-cli on PATH.
# The database and storage outage scenarios also use initdb/pg_ctl and moto_server (PyPI
# `moto[server]`) and curl, the hostile archives gzip and zip: a scenario whose tool is missing
# fails, naming it (outside CI, hostile's zip case alone is left out with a SKIPPED line).
set -euo pipefail

size=small
profile=()
filter=""
for arg in "$@"; do
  case "$arg" in
    --small) size=small ;;
    --full) size=full ;;
    --release) profile=(--release) ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "chaos.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
    *) filter="$arg" ;;
  esac
done

cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/confq-target}"
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
export CONFQ_CHAOS_REPORT="$report"

# The pattern picks the size; --include-ignored takes both the full-size scenarios and the small
# ones that are #[ignore]d in `cargo test` for needing optional tools.
args=(--test-threads 1 --nocapture --include-ignored)
pattern="${filter:+${filter}_}${size}_"
# Build, then run the test binary itself: `cargo test` would hold the shared target dir's lock
# for the whole (long) run and block every other build.
binary="$(cargo test "${profile[@]}" -p confq --test chaos --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*chaos-[0-9a-f]*\)).*/\1/p' | tail -1)"
if [[ -z "$binary" ]]; then
  echo "chaos.sh: could not build the chaos tests" >&2
  exit 1
fi
set +e
"$binary" "${pattern}" "${args[@]}" 2>&1 \
  | grep -E "^(chaos:|hostile:|redis-restart:|database-outage:|storage-outage:|long-database-outage|long-storage-outage|SKIPPED|test |thread |error)"
status=${PIPESTATUS[0]}
set -e

echo
echo "scenario, tasks, faults injected, lost, duplicated, stuck, seconds"
cat "$report"
exit "$status"
