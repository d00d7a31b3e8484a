#!/usr/bin/env bash
# Large-transaction benchmark: ONE source transaction of GIB GiB of binlog (a bulk INSERT ... SELECT
# of rows carrying a PAD-byte column, or with MODE=update a bulk UPDATE of those rows, which logs
# before and after images), replayed by tidemark; peak RSS measured with /usr/bin/time -v. The
# goal (issue 11) is a 2 GiB transaction under 300 MiB. Prints one result line per flavor.
#
#   tests/bench/large_txn_bench.sh [BUILD_DIR]                  (default BUILD_DIR: ./build)
#   GIB=2 PAD=1000 MODE=insert WORKERS=4 MAX_HELD_MIB=8 SERVERS=mariadb tests/bench/large_txn_bench.sh build
#
# Needs the build's tidemark-replay-bench and the MariaDB client tools.
set -euo pipefail

SERVERS=${SERVERS:-mariadb}
if [ "$(wc -w <<<"$SERVERS")" -gt 1 ]; then
  for flavor in $SERVERS; do SERVERS=$flavor bash "$0" "$@"; done
  exit 0
fi
case $SERVERS in mariadb | mysql) ;; *) echo "large_txn_bench: SERVERS='$SERVERS': mariadb and/or mysql" >&2; exit 2 ;; esac
export TIDEMARK_TEST_SERVERS=$SERVERS

BUILD=${1:-build}
GIB=${GIB:-2}
PAD=${PAD:-1000}
MODE=${MODE:-insert}
WORKERS=${WORKERS:-4}
MAX_HELD_MIB=${MAX_HELD_MIB:-8}
DRIVER=$BUILD/tests/bench/tidemark-replay-bench
[ -x "$DRIVER" ] || { echo "large_txn_bench: $DRIVER missing; build tidemark-replay-bench" >&2; exit 2; }

work=$(mktemp -d /tmp/tidemark-large-txn-bench.XXXXXX)
servers_pid=
cleanup() {
  if [ -n "$servers_pid" ]; then kill "$servers_pid" 2>/dev/null || true; wait "$servers_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$DRIVER" servers --state-dir "$work" --servers source,target >"$work/servers.log" 2>&1 &
servers_pid=$!
for _ in $(seq 1 600); do grep -q ready "$work/servers.log" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$work/servers.log" || { cat "$work/servers.log" >&2; exit 1; }
SP=$(cat "$work/source.port"); TP=$(cat "$work/target.port")
sql() { local port=$1; shift; mariadb --protocol=tcp -h127.0.0.1 -P"$port" -uroot -N -B "$@"; }
if [ "$SERVERS" = mysql ]; then status="SHOW BINARY LOG STATUS"; else status="SHOW MASTER STATUS"; fi
pos() { sql "$SP" -e "$status" | awk '{print $1":"$2}'; }
binlog_bytes() { sql "$SP" -e "SHOW BINARY LOGS" | awk '{s += $2} END {print s}'; }

# Rows so that the transaction's row events come to about GIB GiB (each row logs ~PAD+30 bytes,
# twice for an UPDATE).
per_row=$((PAD + 30))
[ "$MODE" = update ] && per_row=$((2 * per_row + 10))
ROWS=$(awk -v g="$GIB" -v r="$per_row" 'BEGIN {printf "%d", g * 1024 * 1024 * 1024 / r}')
table="CREATE TABLE bigtxn.t (id INT PRIMARY KEY, v INT, pad VARCHAR($PAD)); CREATE TABLE bigtxn.done (x INT)"
for p in "$SP" "$TP"; do sql "$p" -e "CREATE DATABASE bigtxn; $table"; done
sql "$SP" -e "CREATE TABLE bigtxn.digits (d INT); INSERT INTO bigtxn.digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)"
gen="SELECT a.d + 10*b.d + 100*c.d + 1000*e.d + 10000*f.d + 100000*g.d + 1000000*h.d + 1 AS n
     FROM bigtxn.digits a, bigtxn.digits b, bigtxn.digits c, bigtxn.digits e, bigtxn.digits f, bigtxn.digits g, bigtxn.digits h"
fill="INSERT INTO bigtxn.t SELECT n, n % 1000, REPEAT(CHAR(65 + n % 26), $PAD) FROM ($gen) s WHERE n <= $ROWS"
if [ "$MODE" = update ]; then
  echo "== $ROWS rows of ${PAD}-byte pads on source and target (outside the measured stretch)"
  sql "$SP" -e "SET SESSION sql_log_bin = 0; $fill"
  sql "$SP" -e "SELECT * FROM bigtxn.t" >"$work/rows.tsv"
  sql "$TP" -e "LOAD DATA LOCAL INFILE '$work/rows.tsv' INTO TABLE bigtxn.t" --local-infile=1
  rm -f "$work/rows.tsv"
fi
P0=$(pos); B0=$(binlog_bytes)
t0=$(date +%s.%N)
if [ "$MODE" = update ]; then
  echo "== one transaction: UPDATE of $ROWS rows"
  sql "$SP" -e "UPDATE bigtxn.t SET v = v + 1, pad = REVERSE(pad)"
else
  echo "== one transaction: INSERT ... SELECT of $ROWS rows"
  sql "$SP" -e "$fill"
fi
t1=$(date +%s.%N)
B1=$(binlog_bytes)
# A small transaction after it: replay stops at a transaction boundary (the big one may have
# rotated the binlog, leaving the current position past the last boundary).
sql "$SP" -e "INSERT INTO bigtxn.done VALUES (1)"
P1=$(pos)
TXN_MIB=$(( (B1 - B0) / 1048576 ))
echo "   source: ${TXN_MIB} MiB of binlog from $P0 to $P1 in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", b - a}') s"

echo "== tidemark replays it: $WORKERS workers, pieces of ${MAX_HELD_MIB} MiB of binlog"
/usr/bin/time -v "$DRIVER" catchup --source-port "$SP" --target-port "$TP" --from "$P0" --to "$P1" \
  --database bigtxn --workers "$WORKERS" --max-held-mib "$MAX_HELD_MIB" >"$work/out.json" 2>"$work/time.txt" || {
  cat "$work/time.txt" >&2; exit 1; }
RSS_KB=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.txt")
SECONDS_=$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["seconds"]))' "$work/out.json")
TARGET_ROWS=$(sql "$TP" -e "SELECT COUNT(*) FROM bigtxn.t")
CHECK=same
if [ "$(sql "$SP" -e "CHECKSUM TABLE bigtxn.t" | awk '{print $2}')" != "$(sql "$TP" -e "CHECKSUM TABLE bigtxn.t" | awk '{print $2}')" ]; then
  CHECK=DIFFERENT
fi
echo "RESULT large_txn flavor=$SERVERS mode=$MODE txn_binlog_mib=$TXN_MIB rows=$ROWS seconds=$SECONDS_ peak_rss_mib=$((RSS_KB / 1024)) target_rows=$TARGET_ROWS checksum=$CHECK"
