#!/usr/bin/env bash
# Replay benchmark: a sysbench oltp_write_only backlog on a source whose data the target already
# holds, caught up by tidemark and by the server's own replicas (MariaDB: slave_parallel_threads
# 0 and 4 optimistic threads; MySQL: replica_parallel_workers 1 and 4, LOGICAL_CLOCK), then
# tidemark's lag while sysbench writes as fast as the source allows. Prints tx/s, rows/s, the
# ratios, tidemark's peak RSS and the lag. Runs once per flavor in SERVERS (default "mariadb mysql").
#
#   tests/bench/replay_bench.sh [BUILD_DIR]          (default BUILD_DIR: ./build)
#   TABLES=4 TABLE_SIZE=50000 BACKLOG_SECONDS=30 SB_THREADS=8 WORKERS=4 LOAD_SECONDS=30 RAND_TYPE=special \
#     SERVERS=mysql tests/bench/replay_bench.sh
#
# Needs the build's tidemark-replay-bench, the MariaDB client tools, the MySQL root
# (hack/install-mysql.sh) and sysbench (hack/install-deps.sh installs them).
set -euo pipefail

SERVERS=${SERVERS:-mariadb mysql}
if [ "$(wc -w <<<"$SERVERS")" -gt 1 ]; then
  for flavor in $SERVERS; do SERVERS=$flavor bash "$0" "$@"; done
  exit 0
fi
case $SERVERS in mariadb | mysql) ;; *) echo "replay_bench: SERVERS='$SERVERS': mariadb and/or mysql" >&2; exit 2 ;; esac
export TIDEMARK_TEST_SERVERS=$SERVERS  # the driver starts servers of this flavor

BUILD=${1:-build}
TABLES=${TABLES:-4}
TABLE_SIZE=${TABLE_SIZE:-50000}
BACKLOG_SECONDS=${BACKLOG_SECONDS:-30}
SB_THREADS=${SB_THREADS:-8}
WORKERS=${WORKERS:-4}
LOAD_SECONDS=${LOAD_SECONDS:-30}
RAND_TYPE=${RAND_TYPE:-special}  # sysbench's default (skewed: hot rows); "uniform" spreads writes evenly
DRIVER=$BUILD/tests/bench/tidemark-replay-bench
[ -x "$DRIVER" ] || { echo "replay_bench: $DRIVER missing; build tidemark-replay-bench" >&2; exit 2; }
command -v sysbench >/dev/null || { echo "replay_bench: sysbench missing (apt-get install sysbench)" >&2; exit 2; }

work=$(mktemp -d /tmp/tidemark-replay-bench.XXXXXX)
servers_pid=
cleanup() {
  if [ -n "$servers_pid" ]; then kill "$servers_pid" 2>/dev/null || true; wait "$servers_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$DRIVER" servers --state-dir "$work" >"$work/servers.log" 2>&1 &
servers_pid=$!
for _ in $(seq 1 600); do grep -q ready "$work/servers.log" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$work/servers.log" || { cat "$work/servers.log" >&2; exit 1; }
SP=$(cat "$work/source.port"); TP=$(cat "$work/target.port")
R1=$(cat "$work/replica1.port"); R4=$(cat "$work/replica4.port")
sql() { local port=$1; shift; mariadb --protocol=tcp -h127.0.0.1 -P"$port" -uroot -N -B "$@"; }
now() { date +%s.%N; }
if [ "$SERVERS" = mysql ]; then status="SHOW BINARY LOG STATUS"; else status="SHOW MASTER STATUS"; fi
pos() { sql "$SP" -e "$status" | awk '{print $1":"$2}'; }
sb() {
  sysbench oltp_write_only --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$SP" --mysql-user=root \
    --mysql-db=sbtest --tables="$TABLES" --table-size="$TABLE_SIZE" --rand-type="$RAND_TYPE" "$@"
}

echo "== preparing sbtest: $TABLES x $TABLE_SIZE rows, copied to target and both replicas"
sql "$SP" -e "CREATE DATABASE sbtest"
sb --threads="$TABLES" prepare >/dev/null
if [ "$SERVERS" = mysql ]; then
  "$(dirname "$0")/../../hack/mysql-tool.sh" mysqldump --no-defaults --protocol=tcp -h127.0.0.1 -P"$SP" -uroot \
    --single-transaction --set-gtid-purged=OFF --databases sbtest >"$work/sbtest.sql"
else
  mariadb-dump --protocol=tcp -h127.0.0.1 -P"$SP" -uroot --single-transaction --databases sbtest >"$work/sbtest.sql"
fi
for p in "$TP" "$R1" "$R4"; do sql "$p" <"$work/sbtest.sql" & done
wait_jobs() { for j in $(jobs -p); do [ "$j" = "$servers_pid" ] || wait "$j"; done; }
wait_jobs
P0=$(pos)

echo "== backlog: sysbench oltp_write_only, $SB_THREADS threads, ${BACKLOG_SECONDS}s (nobody replicating)"
sb --threads="$SB_THREADS" --time="$BACKLOG_SECONDS" --report-interval=0 run >"$work/backlog.txt"
P1=$(pos)
TX=$(awk '/transactions:/ {print $2}' "$work/backlog.txt")
SOURCE_TPS=$(awk '/transactions:/ {gsub("\\(", "", $3); print $3}' "$work/backlog.txt")
ROWS=$((TX * 4))  # per transaction: 2 UPDATEs, 1 DELETE, 1 INSERT
echo "   $TX transactions ($ROWS row changes) from $P0 to $P1; source ran at $SOURCE_TPS tx/s"

echo "== tidemark catching up ($WORKERS workers)"
"$DRIVER" catchup --source-port "$SP" --target-port "$TP" --from "$P0" --to "$P1" --workers "$WORKERS" \
  >"$work/tidemark.json" 2>"$work/tidemark.err" || { cat "$work/tidemark.err" >&2; exit 1; }
T_TM=$(python3 -c "import json;print(json.load(open('$work/tidemark.json'))['seconds'])")
RSS=$(python3 -c "import json;print(round(json.load(open('$work/tidemark.json'))['peakRssMiB'],1))")

native() {  # port threads -> seconds
  if [ "$SERVERS" = mysql ]; then native_mysql "$@"; else native_mariadb "$@"; fi
}
native_mariadb() {
  local port=$1 threads=$2 file=${P0%%:*} off=${P0##*:} t0 t1
  sql "$port" -e "SET GLOBAL slave_parallel_threads = $threads; SET GLOBAL slave_parallel_mode = 'optimistic';
    CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$SP, MASTER_USER='root', MASTER_PASSWORD='',
      MASTER_LOG_FILE='$file', MASTER_LOG_POS=$off, MASTER_USE_GTID=no"
  t0=$(now)
  local waited
  waited=$(sql "$port" -e "START SLAVE; SELECT MASTER_POS_WAIT('${P1%%:*}', ${P1##*:}, 3600)")
  t1=$(now)
  [[ "$waited" =~ ^[0-9]+$ ]] || { sql "$port" -e "SHOW SLAVE STATUS\G" >&2; echo "replay_bench: the replica did not reach $P1" >&2; exit 1; }
  echo "   replica settings: slave_parallel_threads=$(sql "$port" -e "SELECT @@slave_parallel_threads")," \
    "mode=$(sql "$port" -e "SELECT @@slave_parallel_mode"); Exec_Master_Log_Pos reached" \
    "$(mariadb --protocol=tcp -h127.0.0.1 -P"$port" -uroot -e "SHOW SLAVE STATUS\G" |
      awk '/ Relay_Master_Log_File:| Exec_Master_Log_Pos:/ {printf "%s ", $2}')" >&2
  sql "$port" -e "STOP SLAVE"
  echo "$t1 - $t0" | bc -l
}
native_mysql() {  # MySQL 8.4+/9.x names; 0 threads means the single applier (replica_parallel_workers=1)
  local port=$1 threads=$2 file=${P0%%:*} off=${P0##*:} t0 t1
  [ "$threads" -ge 1 ] || threads=1
  sql "$port" -e "SET GLOBAL replica_parallel_workers = $threads;
    CHANGE REPLICATION SOURCE TO SOURCE_HOST='127.0.0.1', SOURCE_PORT=$SP, SOURCE_USER='root', SOURCE_PASSWORD='',
      SOURCE_LOG_FILE='$file', SOURCE_LOG_POS=$off, SOURCE_AUTO_POSITION=0, GET_SOURCE_PUBLIC_KEY=1"
  t0=$(now)
  local waited
  waited=$(sql "$port" -e "START REPLICA; SELECT SOURCE_POS_WAIT('${P1%%:*}', ${P1##*:}, 3600)")
  t1=$(now)
  # NULL: the applier is not running; -1: timed out. Either way the time means nothing.
  [[ "$waited" =~ ^[0-9]+$ ]] || { sql "$port" -e "SHOW REPLICA STATUS\G" >&2; echo "replay_bench: the replica did not reach $P1" >&2; exit 1; }
  echo "   replica settings: replica_parallel_workers=$(sql "$port" -e "SELECT @@replica_parallel_workers")," \
    "replica_preserve_commit_order=$(sql "$port" -e "SELECT @@replica_preserve_commit_order"); Exec_Source_Log_Pos reached" \
    "$(mariadb --protocol=tcp -h127.0.0.1 -P"$port" -uroot -e "SHOW REPLICA STATUS\G" |
      awk '/ Relay_Source_Log_File:| Exec_Source_Log_Pos:/ {printf "%s ", $2}')" >&2
  sql "$port" -e "STOP REPLICA"
  echo "$t1 - $t0" | bc -l
}
if [ "$SERVERS" = mysql ]; then replica_name="MySQL replica, 1 worker"; replica4_name="MySQL replica, 4 workers";
else replica_name="MariaDB replica, parallel threads = 0"; replica4_name="MariaDB replica, 4 optimistic threads"; fi
echo "== $replica_name"
T_N1=$(native "$R1" 0)
echo "== $replica4_name"
T_N4=$(native "$R4" 4)

echo "== checking the target against the source"
for i in $(seq 1 "$TABLES"); do
  a=$(sql "$SP" -e "CHECKSUM TABLE sbtest.sbtest$i" | awk '{print $2}')
  b=$(sql "$TP" -e "CHECKSUM TABLE sbtest.sbtest$i" | awk '{print $2}')
  [ "$a" = "$b" ] || { echo "MISMATCH in sbtest$i: source $a target $b" >&2; exit 1; }
done
echo "   all $TABLES tables identical"

echo "== lag under sustained load: sysbench unthrottled ($SB_THREADS threads, ${LOAD_SECONDS}s) while tidemark follows"
"$DRIVER" follow --source-port "$SP" --target-port "$TP" --from "$P1" --workers "$WORKERS" \
  --seconds $((LOAD_SECONDS + 4)) >"$work/follow.json" 2>"$work/follow.err" &
follow_pid=$!
sleep 2
sb --threads="$SB_THREADS" --time="$LOAD_SECONDS" --report-interval=0 run >"$work/load.txt"
wait "$follow_pid" || { cat "$work/follow.err" >&2; exit 1; }
LOAD_TPS=$(awk '/transactions:/ {gsub("\\(", "", $3); print $3}' "$work/load.txt")

REPLICA1=$replica_name REPLICA4=$replica4_name SERVER_VERSION="$SERVERS $(sql "$SP" -e "SELECT VERSION()")" \
RAND_TYPE=$RAND_TYPE python3 - "$TX" "$ROWS" "$T_TM" "$T_N1" "$T_N4" "$RSS" "$LOAD_TPS" "$work/follow.json" "$WORKERS" <<'PY'
import json, sys
tx, rows, ttm, tn1, tn4, rss, load_tps, follow, workers = sys.argv[1:]
tx, rows, ttm, tn1, tn4 = int(tx), int(rows), float(ttm), float(tn1), float(tn4)
f = json.load(open(follow))
def line(name, t):
    print(f"| {name:<38} | {t:8.2f} | {tx/t:10.0f} | {rows/t:10.0f} |")
print()
import os
print(f"source and target: {os.environ['SERVER_VERSION']}")
print(f"backlog: {tx} transactions, {rows} row changes (sysbench oltp_write_only, --rand-type={os.environ.get('RAND_TYPE', 'special')})")
print("| catch-up                               |  seconds |       tx/s |     rows/s |")
print("|----------------------------------------|----------|------------|------------|")
line(f"tidemark ({workers} workers)", ttm)
line(os.environ["REPLICA1"], tn1)
line(os.environ["REPLICA4"], tn4)
print()
print(f"tidemark vs single-threaded replica: {tn1/ttm:.2f}x (target >= 2x)")
print(f"tidemark vs 4-thread parallel replica: {tn4/ttm:.2f}x (target >= 1.5x)")
print(f"tidemark peak RSS while catching up: {rss} MiB (target < 300 MiB)")
print(f"lag with sysbench at {load_tps} tx/s: max {f['maxLag']:.1f} s, p95 {f['p95Lag']:.1f} s, avg {f['avgLag']:.2f} s "
      f"({f['samples']} samples; peak RSS {f['peakRssMiB']:.1f} MiB)")
PY
