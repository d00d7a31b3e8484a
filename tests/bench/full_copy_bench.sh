#!/usr/bin/env bash
# Full-copy benchmark: one sysbench-style dataset in a fresh source, copied side by side by
#   tidemark logical, tidemark physical, mydumper+myloader (same threads), mysqldump | mysql,
#   and the target's own LOAD DATA INFILE of pre-exported files (the ceiling),
# each into an emptied target; prints wall time, rows/s, MiB/s, tidemark's peak RSS and ratios.
# It runs once per server flavor in SERVERS (default: "mariadb mysql", MariaDB 10.11 into
# MariaDB, then MySQL 9.7 into MySQL with MySQL's own mysqldump and mysql client).
#
#   tests/bench/full_copy_bench.sh [BUILD_DIR]        (default BUILD_DIR: ./build)
#   ROWS=250000 TABLES=4 THREADS=4 NOPK_ROWS=200000 BLOB_ROWS=4000 RUNS=5 SERVERS=mysql tests/bench/full_copy_bench.sh
#
# Needs the build's tidemark-sandbox and tidemark-copy-bench, the MariaDB client tools, the
# MySQL root (hack/install-mysql.sh) and mydumper (installed with apt-get when missing, like
# hack/install-deps.sh does).
set -euo pipefail

SERVERS=${SERVERS:-mariadb mysql}
if [ "$(wc -w <<<"$SERVERS")" -gt 1 ]; then
  for flavor in $SERVERS; do SERVERS=$flavor bash "$0" "$@"; done
  exit 0
fi
case $SERVERS in mariadb | mysql) ;; *) echo "full_copy_bench: SERVERS='$SERVERS': mariadb and/or mysql" >&2; exit 2 ;; esac
export TIDEMARK_TEST_SERVERS=$SERVERS  # tidemark-sandbox starts servers of this flavor
HACK=$(cd "$(dirname "$0")/../../hack" && pwd)

BUILD=${1:-build}
ROWS=${ROWS:-250000}
TABLES=${TABLES:-4}
THREADS=${THREADS:-4}
NOPK_ROWS=${NOPK_ROWS:-200000}
BLOB_ROWS=${BLOB_ROWS:-4000}
SANDBOX=$BUILD/tests/support/tidemark-sandbox
DRIVER=$BUILD/tests/bench/tidemark-copy-bench
for f in "$SANDBOX" "$DRIVER"; do
  [ -x "$f" ] || { echo "full_copy_bench: $f missing; build tidemark-sandbox and tidemark-copy-bench" >&2; exit 2; }
done

if ! command -v mydumper >/dev/null || ! command -v myloader >/dev/null; then
  sudo_cmd=(); [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq mydumper
fi

work=$(mktemp -d /tmp/tidemark-bench.XXXXXX)
sandbox_pid=
cleanup() {
  if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Both servers get room for the dataset: a 1 GiB buffer pool and a 512 MiB redo log (the test
# servers' 64 MiB redo log makes every tool stall on checkpoint flushing, by different amounts).
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
tgt() { mariadb --protocol=tcp -h127.0.0.1 -P"$TP" -uroot "$@"; }
now() { date +%s.%N; }
# Rows 1..N without a helper table: MariaDB's seq_1_to_N engine does not exist on MySQL.
if [ "$SERVERS" = mysql ]; then depth=cte_max_recursion_depth; else depth=max_recursive_iterations; fi
seq_rows() { echo "(WITH RECURSIVE s(seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM s WHERE seq < $1) SELECT seq FROM s) AS numbers"; }

echo "== loading the dataset: $TABLES x $ROWS sbtest rows, $NOPK_ROWS rows without a key, $BLOB_ROWS blob rows"
t0=$(now)
src -e "CREATE DATABASE sbtest"
loaders=()
groups() { local n=$1 s="LPAD(FLOOR(RAND()*1e11), 11, '0')"; local out=$s; for _ in $(seq 2 "$n"); do out="$out, $s"; done; echo "CONCAT_WS('-', $out)"; }
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
src sbtest -e "ANALYZE TABLE $(for i in $(seq 1 "$TABLES"); do printf 'sbtest%s, ' "$i"; done) nopk, blobs" >/dev/null
TOTAL_ROWS=$((TABLES * ROWS + NOPK_ROWS + BLOB_ROWS))
echo "   loaded $TOTAL_ROWS rows in $(printf '%.1f' "$(echo "$(now) - $t0" | bc)") s"

RUNS=${RUNS:-5}
SPID=$(pgrep -f "(mariadbd|mysqld).*--port=$SP( |$)")
TPID=$(pgrep -f "(mariadbd|mysqld).*--port=$TP( |$)")
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
reset_target() { tgt -e "DROP DATABASE IF EXISTS sbtest; DROP DATABASE IF EXISTS tidemark_meta"; }
declare -A WALL SCPU TCPU
RSS=()
BYTES=0

# measure NAME PREPARE RUN: PREPARE (untimed) then RUN, $RUNS times; keeps the fastest run's
# wall time and the CPU seconds both servers spent in it (the machine may be shared: CPU
# seconds do not depend on what else runs, wall times do).
measure() {
  local name=$1 prepare=$2 run=$3
  for r in $(seq 1 "$RUNS"); do
    $prepare
    local s0 t0 w0 s1 t1 w1 w
    s0=$(cpu_ticks "$SPID"); t0=$(cpu_ticks "$TPID"); w0=$(now)
    $run
    w1=$(now); s1=$(cpu_ticks "$SPID"); t1=$(cpu_ticks "$TPID")
    w=$(echo "$w1 - $w0" | bc)
    echo "   run $r: $(printf '%.2f' "$w") s wall; source mysqld $(echo "scale=2; ($s1 - $s0) / 100" | bc) s CPU, target mysqld $(echo "scale=2; ($t1 - $t0) / 100" | bc) s CPU"
    if [ -z "${WALL[$name]:-}" ] || [ "$(echo "$w < ${WALL[$name]}" | bc)" = 1 ]; then
      WALL[$name]=$w
      SCPU[$name]=$(echo "scale=2; ($s1 - $s0) / 100" | bc)
      TCPU[$name]=$(echo "scale=2; ($t1 - $t0) / 100" | bc)
    fi
  done
}

tidemark_copy() {
  local out
  out=$(TIDEMARK_COPY_WORKERS=$THREADS "$DRIVER" --source-port "$SP" --target-port "$TP" --database sbtest \
        --mode "$MODE" --capacity 16 --job "bench-$MODE" 2>"$work/tidemark-$MODE.log") ||
    { cat "$work/tidemark-$MODE.log" >&2; exit 1; }
  RSS+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["peakRssKiB"])' "$out")")
  BYTES=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["bytes"])' "$out")
}
tidemark_verify() {
  "$DRIVER" --source-port "$SP" --target-port "$TP" --database sbtest --job "bench-$MODE" --verify >"$work/verify.json" ||
    { echo "   verify FAILED after tidemark $MODE:"; cat "$work/verify.json"; exit 1; }
  echo "   verify: identical, $(python3 -c 'import json; print(json.load(open("'"$work/verify.json"'"))["rowsCompared"])') rows compared"
}

# A fresh server pays for touching its buffer pool and growing its files the first time, so
# the first tool measured would pay for all: one untimed copy warms the target up for everyone.
dump_dir=$work/mydumper
reset_for_mydumper() { reset_target; rm -rf "$dump_dir"; }
mydumper_then_myloader() {
  mydumper -h 127.0.0.1 -P "$SP" -u root -B sbtest -t "$THREADS" -r 50000 -o "$dump_dir" >/dev/null 2>&1
  myloader -h 127.0.0.1 -P "$TP" -u root -d "$dump_dir" -t "$THREADS" -o >/dev/null 2>&1
}
echo "== warming the target up (one untimed mydumper + myloader copy)"
reset_for_mydumper; mydumper_then_myloader

echo "== tidemark logical ($THREADS workers)"
MODE=logical; measure tidemark-logical reset_target tidemark_copy; tidemark_verify
echo "== tidemark physical ($THREADS workers)"
MODE=physical; measure tidemark-physical reset_target tidemark_copy; tidemark_verify

echo "== mydumper + myloader ($THREADS threads)"
measure mydumper+myloader reset_for_mydumper mydumper_then_myloader
echo "   rows in the target: $(tgt -N -e "SELECT (SELECT COUNT(*) FROM sbtest.sbtest1) + (SELECT COUNT(*) FROM sbtest.nopk)") in sbtest1 + nopk"

echo "== mysqldump | mysql"
dump_pipe() {
  if [ "$SERVERS" = mysql ]; then  # MySQL's own tools, as its users would run them
    "$HACK/mysql-tool.sh" mysqldump --no-defaults --protocol=tcp -h127.0.0.1 -P"$SP" -uroot --single-transaction \
      --set-gtid-purged=OFF --databases sbtest |
      "$HACK/mysql-tool.sh" mysql --no-defaults --protocol=tcp -h127.0.0.1 -P"$TP" -uroot
  else
    mariadb-dump --protocol=tcp -h127.0.0.1 -P"$SP" -uroot --single-transaction --databases sbtest |
      mariadb --protocol=tcp -h127.0.0.1 -P"$TP" -uroot
  fi
}
measure "mysqldump|mysql" reset_target dump_pipe

echo "== LOAD DATA INFILE of pre-exported files (ceiling; the export is not timed)"
src_files=$(src -N -e "SELECT @@secure_file_priv")
tgt_files=$(tgt -N -e "SELECT @@secure_file_priv")
tables="$(for i in $(seq 1 "$TABLES"); do printf 'sbtest%s ' "$i"; done)nopk blobs"
for t in $tables; do
  rm -f "$src_files/$t.tsv"
  src sbtest -e "SELECT * FROM \`$t\` INTO OUTFILE '$src_files/$t.tsv'"
  mv "$src_files/$t.tsv" "$tgt_files/$t.tsv"
done
create_bare_tables() {
  reset_target
  tgt -e "CREATE DATABASE sbtest"
  # The tables without their plain secondary keys; those are added after the data, timed.
  for t in $tables; do
    src sbtest -N -e "SHOW CREATE TABLE \`$t\`" | cut -f2- | sed 's/\\n/\n/g' | grep -v '^  KEY ' |
      sed -z 's/,\n)/\n)/' | tgt sbtest
  done
}
load_all() {
  for t in $tables; do echo "$t"; done |
    xargs -P "$THREADS" -I{} mariadb --protocol=tcp -h127.0.0.1 -P"$TP" -uroot sbtest -e \
      "SET unique_checks = 0, foreign_key_checks = 0; LOAD DATA INFILE '$tgt_files/{}.tsv' INTO TABLE \`{}\` CHARACTER SET binary"
  for i in $(seq 1 "$TABLES"); do echo "ALTER TABLE sbtest$i ADD KEY k_$i (k);"; done |
    xargs -P "$THREADS" -I{} mariadb --protocol=tcp -h127.0.0.1 -P"$TP" -uroot sbtest -e "{}"
  tgt sbtest -e "ALTER TABLE blobs ADD KEY name (name)"
}
measure "LOAD DATA (ceiling)" create_bare_tables load_all

MIB=$(echo "scale=2; $BYTES / 1048576" | bc)
echo
echo "== results ($THREADS threads each): $TOTAL_ROWS rows, $MIB MiB of values; $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM;" \
     "source and target $SERVERS $(src -N -e 'SELECT VERSION()') on this machine"
printf '| %-22s | %7s | %9s | %6s | %11s | %11s | %s |\n' "tool" "wall s" "rows/s" "MiB/s" "source CPU s" "target CPU s" "ratio (wall)"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' "------------------------" "---------" "-----------" "--------" "--------------" "--------------" "----------------------------"
for name in tidemark-logical tidemark-physical mydumper+myloader "mysqldump|mysql" "LOAD DATA (ceiling)"; do
  w=${WALL[$name]}
  ratio=""
  case $name in
    tidemark-logical) ratio="$(printf '%.2f' "$(echo "$w / ${WALL[mydumper+myloader]}" | bc -l)")x mydumper+myloader" ;;
    tidemark-physical) ratio="$(printf '%.2f' "$(echo "$w / ${WALL[LOAD DATA (ceiling)]}" | bc -l)")x LOAD DATA" ;;
  esac
  printf '| %-22s | %7.2f | %9.0f | %6.1f | %12.2f | %12.2f | %s |\n' "$name" "$w" "$(echo "$TOTAL_ROWS / $w" | bc -l)" \
    "$(echo "$MIB / $w" | bc -l)" "${SCPU[$name]}" "${TCPU[$name]}" "$ratio"
done
max_rss=0
for r in "${RSS[@]}"; do [ "$r" -gt "$max_rss" ] && max_rss=$r; done
echo "tidemark peak RSS: $((max_rss / 1024)) MiB (largest of all runs; KiB per run: ${RSS[*]})"
echo "best of $RUNS runs each; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
