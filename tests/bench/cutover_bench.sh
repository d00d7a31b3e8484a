#!/usr/bin/env bash
# Cutover benchmark: the time `tidemark-runner cutover` takes on the full-copy benchmark's
# dataset (TABLES x ROWS sbtest rows, a keyless and a blob table). A FullAndIncremental job
# (Logical) copies the dataset and replicates while a light write load runs on the source for
# LOAD_SECONDS; then the writes stop the way an application switch stops them (the source is
# made read-only, so the cutover need not wait for its binary log to stay still), the runner is
# stopped (the cutover takes the job over, and cannot while a live runner holds it) and the
# cutover runs: catch up, compare every table row for row, switch checks, report. A second
# cutover follows at once (nothing changed). Prints per flavor the dataset, each cutover's wall
# time, exit status, rows compared and verdict. Runs once per flavor in SERVERS (default
# "mariadb mysql": MariaDB 10.11 into MariaDB, then MySQL 9.7 into MySQL).
#
#   tests/bench/cutover_bench.sh [BUILD_DIR]          (default BUILD_DIR: ./build)
#   ROWS=250000 TABLES=4 NOPK_ROWS=200000 BLOB_ROWS=4000 CAPACITY=4 LOAD_SECONDS=10 SERVERS=mysql \
#     tests/bench/cutover_bench.sh
#
# Needs the build's tidemark-sandbox and tidemark-runner, the MariaDB client tools and the MySQL
# root (hack/install-mysql.sh).
set -euo pipefail

SERVERS=${SERVERS:-mariadb mysql}
if [ "$(wc -w <<<"$SERVERS")" -gt 1 ]; then
  for flavor in $SERVERS; do SERVERS=$flavor bash "$0" "$@"; done
  exit 0
fi
case $SERVERS in mariadb | mysql) ;; *) echo "cutover_bench: SERVERS='$SERVERS': mariadb and/or mysql" >&2; exit 2 ;; esac
export TIDEMARK_TEST_SERVERS=$SERVERS  # tidemark-sandbox starts servers of this flavor

BUILD=${1:-build}
ROWS=${ROWS:-250000}
TABLES=${TABLES:-4}
NOPK_ROWS=${NOPK_ROWS:-200000}
BLOB_ROWS=${BLOB_ROWS:-4000}
CAPACITY=${CAPACITY:-4}  # spec.capacity: 4 workers, like the full-copy benchmark's 4 threads
LOAD_SECONDS=${LOAD_SECONDS:-10}
SANDBOX=$BUILD/tests/support/tidemark-sandbox
RUNNER=$BUILD/runner/cli/tidemark-runner
for f in "$SANDBOX" "$RUNNER"; do
  [ -x "$f" ] || { echo "cutover_bench: $f missing; build tidemark-sandbox and tidemark-runner" >&2; exit 2; }
done

work=$(mktemp -d /tmp/tidemark-cutover-bench.XXXXXX)
sandbox_pid='' runner_pid=''
stop_process() { if [ -n "$1" ]; then kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi; }
cleanup() { stop_process "$runner_pid"; stop_process "$sandbox_pid"; rm -rf "$work"; }
trap cleanup EXIT

# The full-copy benchmark's servers: room for the dataset (1 GiB buffer pool, a large redo log).
server_args=(--innodb-buffer-pool-size=1G --max-allowed-packet=256M)
if [ "$SERVERS" = mysql ]; then server_args+=(--innodb-redo-log-capacity=1G); else server_args+=(--innodb-log-file-size=512M); fi
"$SANDBOX" --state-dir "$work" "${server_args[@]/#/--source-arg=}" "${server_args[@]/#/--target-arg=}" \
  >"$work/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 1 300); do grep -q ready "$work/sandbox.log" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$work/sandbox.log" || { cat "$work/sandbox.log" >&2; exit 1; }
SP=$(cat "$work/source.port")
TP=$(cat "$work/target.port")
src() { mariadb --protocol=tcp -h127.0.0.1 -P"$SP" -uroot "$@"; }
now() { date +%s.%N; }
since() { printf '%.2f' "$(echo "$(now) - $1" | bc)"; }
json() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"; }

# The dataset, as tests/bench/full_copy_bench.sh loads it.
if [ "$SERVERS" = mysql ]; then depth=cte_max_recursion_depth; else depth=max_recursive_iterations; fi
seq_rows() { echo "(WITH RECURSIVE s(seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM s WHERE seq < $1) SELECT seq FROM s) AS numbers"; }
groups() { local n=$1 s="LPAD(FLOOR(RAND()*1e11), 11, '0')"; local out=$s; for _ in $(seq 2 "$n"); do out="$out, $s"; done; echo "CONCAT_WS('-', $out)"; }
echo "== $SERVERS: loading the dataset: $TABLES x $ROWS sbtest rows, $NOPK_ROWS rows without a key, $BLOB_ROWS blob rows"
t0=$(now)
src -e "CREATE DATABASE sbtest"
loaders=()
for i in $(seq 1 "$TABLES"); do
  src sbtest -e "SET SESSION $depth = 100000000; CREATE TABLE sbtest$i (id INT NOT NULL AUTO_INCREMENT, k INT NOT NULL DEFAULT 0,
      c CHAR(120) NOT NULL DEFAULT '', pad CHAR(60) NOT NULL DEFAULT '', PRIMARY KEY (id)) ENGINE=InnoDB;
    INSERT INTO sbtest$i (id, k, c, pad) SELECT seq, FLOOR(1 + RAND() * $ROWS), $(groups 10), $(groups 5)
      FROM $(seq_rows "$ROWS");
    ALTER TABLE sbtest$i ADD KEY k_$i (k);" &
  loaders+=($!)
done
src sbtest -e "SET SESSION $depth = 100000000; CREATE TABLE nopk (a INT, b VARCHAR(64), c DOUBLE, d DATETIME(6)) ENGINE=InnoDB;
  INSERT INTO nopk SELECT seq % 1000, HEX(RANDOM_BYTES(16)), RAND() * 1e6, NOW(6) - INTERVAL seq SECOND FROM $(seq_rows "$NOPK_ROWS");" &
loaders+=($!)
src sbtest -e "SET SESSION $depth = 100000000; CREATE TABLE blobs (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, payload MEDIUMBLOB, note TEXT,
    KEY name (name)) ENGINE=InnoDB;
  INSERT INTO blobs SELECT seq, CONCAT('blob-', seq), CONCAT(RANDOM_BYTES(1024), RANDOM_BYTES(1024), RANDOM_BYTES(1024),
      RANDOM_BYTES(1024), RANDOM_BYTES(1024), RANDOM_BYTES(1024), RANDOM_BYTES(1024), RANDOM_BYTES(1024),
      REPEAT(X'00FF', 4096)), REPEAT('note ', 200) FROM $(seq_rows "$BLOB_ROWS");" &
loaders+=($!)
for p in "${loaders[@]}"; do wait "$p"; done
TOTAL_ROWS=$((TABLES * ROWS + NOPK_ROWS + BLOB_ROWS))
echo "   loaded $TOTAL_ROWS rows in $(since "$t0") s"

# The job, with Secrets laid out the way Kubernetes mounts them (DIR/<secret>/<key>).
for secret in src tgt; do
  mkdir -p "$work/secrets/$secret"
  printf root >"$work/secrets/$secret/username"
  printf '' >"$work/secrets/$secret/password"
done
if [ "$SERVERS" = mysql ]; then flavor=MySQL; else flavor=MariaDB; fi
cat >"$work/job.yaml" <<EOF
apiVersion: tidemark.dev/v1alpha1
kind: MigrationJob
metadata: {name: cutover-bench}
spec:
  type: FullAndIncremental
  fullMode: Logical
  capacity: $CAPACITY
  source: {flavor: $flavor, host: 127.0.0.1, port: $SP, credentialsSecret: {name: src}}
  target: {host: 127.0.0.1, port: $TP, credentialsSecret: {name: tgt}}
  objects: {include: [{database: sbtest}]}
  precheck: {ignoreWarnings: true}
EOF
job_args=(-f "$work/job.yaml" --secrets-dir "$work/secrets" --output json)

echo "== tidemark-runner run: full copy (capacity $CAPACITY), then replication"
t0=$(now)
"$RUNNER" run "${job_args[@]}" >"$work/run.out" 2>"$work/run.err" &
runner_pid=$!
until grep -q '"block":"incremental"' "$work/run.out"; do
  kill -0 "$runner_pid" 2>/dev/null || { echo "cutover_bench: the runner exited:" >&2; cat "$work/run.err" "$work/run.out" >&2; exit 1; }
  sleep 0.2
done
MIB=$(grep '"block":"fullCopy"' "$work/run.out" | tail -1 |
  python3 -c 'import json,sys; print("%.1f" % (json.loads(sys.stdin.read())["status"]["bytesCopied"] / 1048576))')
echo "   replicating after $(since "$t0") s ($MIB MiB of values copied)"

echo "== light writes for ${LOAD_SECONDS}s: one transaction (UPDATE + 2 INSERTs) every ~10 ms"
end=$((SECONDS + LOAD_SECONDS))
for ((n = 1; SECONDS < end; n++)); do
  echo "BEGIN; UPDATE sbtest1 SET k = k + 1 WHERE id = $(((RANDOM * 32768 + RANDOM) % ROWS + 1));
    INSERT INTO sbtest2 (k, c, pad) VALUES ($n, 'cutover bench', 'pad');
    INSERT INTO nopk VALUES ($n, 'cutover bench', $n, NOW(6)); COMMIT;"
  sleep 0.01
done | src sbtest
txns=$(src -N sbtest -e "SELECT COUNT(*) FROM nopk WHERE b = 'cutover bench'")
echo "   $txns transactions; the writes stop: SET GLOBAL read_only = ON; the runner stops (SIGTERM)"
src -e "SET GLOBAL read_only = ON"
stop_process "$runner_pid"; runner_pid=

cutover() {
  local t0 rc=0
  t0=$(now)
  "$RUNNER" cutover "${job_args[@]}" >"$work/cutover.json" 2>"$work/cutover.err" || rc=$?
  local wall; wall=$(since "$t0")
  [ -s "$work/cutover.json" ] || { echo "   cutover exited $rc without a report:"; cat "$work/cutover.err"; return; }
  echo "   $1: ${wall} s wall (report: $(json "$work/cutover.json" '"%.1f" % r["seconds"]') s), exit $rc," \
    "$(json "$work/cutover.json" 'r["rowsCompared"]') rows compared," \
    "$(json "$work/cutover.json" 'len(r["differences"])') differences, state $(json "$work/cutover.json" 'r["state"]')"
  [ "$rc" = 0 ] || json "$work/cutover.json" '"\n".join("   why not: " + x for x in r["reasons"])'
}
echo "== tidemark-runner cutover ($SERVERS $(src -N -e 'SELECT VERSION()'), $TOTAL_ROWS rows, $MIB MiB of values)"
cutover "cutover       "
cutover "again at once "
echo "   $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
