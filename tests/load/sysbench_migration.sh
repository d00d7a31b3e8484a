#!/usr/bin/env bash
# A migration as users run one: a sysbench dataset on the source, `tidemark-runner run` of a
# FullAndIncremental job while sysbench oltp_read_write keeps writing through the copy and the
# replay, then, with the writes stopped, `tidemark-runner verify` must find source and target
# identical row for row (it compares every chunk; a lost or repeated change fails it).
#
#   tests/load/sysbench_migration.sh BUILD_DIR     (TIDEMARK_TEST_SERVERS=mysql for MySQL 9.7)
#   TABLES=4 TABLE_SIZE=20000 LOAD_SECONDS=20 RATE=300
set -euo pipefail

BUILD=$(cd "${1:-build}" && pwd)
TABLES=${TABLES:-4}
TABLE_SIZE=${TABLE_SIZE:-20000}
LOAD_SECONDS=${LOAD_SECONDS:-20}
RATE=${RATE:-300}  # transactions per second: a steady load, not a saturating one
SANDBOX=$BUILD/tests/support/tidemark-sandbox
RUNNER=$BUILD/runner/cli/tidemark-runner
command -v sysbench >/dev/null || { echo "sysbench_migration: skipped: sysbench is missing (hack/install-deps.sh installs it)"; exit 77; }
for f in "$SANDBOX" "$RUNNER"; do [ -x "$f" ] || { echo "sysbench_migration: $f missing" >&2; exit 2; }; done

work=$(mktemp -d /tmp/tidemark-sysbench-migration.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

"$SANDBOX" --state-dir "$work" >"$work/sandbox.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do grep -q ready "$work/sandbox.log" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$work/sandbox.log" || { cat "$work/sandbox.log" >&2; exit 1; }
SP=$(cat "$work/source.port"); TP=$(cat "$work/target.port")
sql() { local port=$1; shift; mariadb --protocol=tcp -h127.0.0.1 -P"$port" -uroot -N -B "$@"; }
flavor=MariaDB
sql "$SP" -e "SELECT VERSION()" | grep -qi mariadb || flavor=MySQL
echo "sysbench_migration: source and target $(sql "$SP" -e "SELECT VERSION()")"

sb() {
  sysbench oltp_read_write --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$SP" --mysql-user=root \
    --mysql-db=sbtest --tables="$TABLES" --table-size="$TABLE_SIZE" "$@"
}
sql "$SP" -e "CREATE DATABASE sbtest"
sb --threads="$TABLES" prepare >"$work/prepare.log"

mkdir -p "$work/secrets/src" "$work/secrets/tgt"
printf root >"$work/secrets/src/username"; printf '' >"$work/secrets/src/password"
printf root >"$work/secrets/tgt/username"; printf '' >"$work/secrets/tgt/password"
cat >"$work/job.yaml" <<YAML
apiVersion: tidemark.dev/v1alpha1
kind: MigrationJob
metadata: {name: sysbench-migration}
spec:
  type: FullAndIncremental
  source: {flavor: $flavor, host: 127.0.0.1, port: $SP, credentialsSecret: {name: src}}
  target: {host: 127.0.0.1, port: $TP, credentialsSecret: {name: tgt}}
  objects: {include: [{database: sbtest}]}
  capacity: 4
  precheck: {ignoreWarnings: true}
YAML
runner() { "$RUNNER" "$1" -f "$work/job.yaml" --secrets-dir "$work/secrets" --output json; }

# The load starts first, so the snapshot, the copy and the handoff all happen under writes.
sb --threads=4 --rate="$RATE" --time="$LOAD_SECONDS" --report-interval=0 run >"$work/load.log" 2>&1 &
load_pid=$!
pids+=($load_pid)
sleep 1
# The binary itself in the background (not through the function, whose subshell would take the
# SIGTERM below and leave the runner running).
"$RUNNER" run -f "$work/job.yaml" --secrets-dir "$work/secrets" --output json >"$work/run.log" 2>&1 &
run_pid=$!
pids+=($run_pid)
wait "$load_pid" || { cat "$work/load.log" >&2; echo "sysbench_migration: sysbench failed" >&2; exit 1; }
echo "sysbench_migration: load done: $(awk '/transactions:/ {print $2, "transactions", $3}' "$work/load.log")"
kill -0 "$run_pid" 2>/dev/null || { tail -n 30 "$work/run.log" >&2; echo "sysbench_migration: the runner ended early" >&2; exit 1; }

# The source is quiet now; once replay has applied everything, verify passes and stays passing.
# A run that lost or repeated a change never passes.
ok=0
for _ in $(seq 1 60); do
  if runner verify >"$work/verify.json" 2>"$work/verify.err"; then ok=1; break; fi
  sleep 2
done
kill -TERM "$run_pid"
wait "$run_pid" || true
pgrep -f "tidemark-runner run -f $work/job.yaml" >/dev/null &&
  { echo "sysbench_migration: the runner did not stop on SIGTERM" >&2; exit 1; }
if [ "$ok" != 1 ]; then
  cat "$work/verify.json" "$work/verify.err" >&2
  tail -n 30 "$work/run.log" >&2
  echo "sysbench_migration: source and target still differ two minutes after the load stopped" >&2
  exit 1
fi
runner verify >"$work/verify.json"  # after the runner stopped too: still identical
python3 - "$work/verify.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
assert v["identical"], v
print("sysbench_migration: verify: identical, %d rows compared" % v["rowsCompared"])
PY
