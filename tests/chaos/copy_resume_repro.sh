#!/usr/bin/env bash
# Two reductions of what the chaos suite found, each on fresh MariaDB servers, no load, no timing
# luck: runner 1 is SIGKILLed right after the full copy took its snapshot (before the 300k-row
# keyless table d.k is copied), the source changes, runner 2 resumes the copy.
#
#   tests/chaos/copy_resume_repro.sh keyless BUILD_DIR   INSERT of one row into the keyless d.k
#       meanwhile; correct: d.k equal on both sides. (Runner 2 takes a new snapshot S2 and copies
#       d.k at S2, but replay starts at runner 1's snapshot S1, so the INSERT is applied on top
#       of a copy that holds it: the row is there twice. Safe mode cannot undo that without a key.)
#   tests/chaos/copy_resume_repro.sh ddl BUILD_DIR       ALTER TABLE d.k ADD COLUMN meanwhile;
#       correct: runner 2 copies and replicates. (The target's d.k was created at S1 without the
#       column; runner 2 copies rows with it: "Unknown column 'x'", exit 1, on every restart.)
# Exit status: 0 correct, 1 the bug shows.
set -euo pipefail
MODE=${1:?keyless or ddl}
BUILD=$(cd "${2:-build}" && pwd)
R="$BUILD/runner/cli/tidemark-runner"
w=$(mktemp -d /tmp/tidemark-copy-resume-repro.XXXXXX)
coproc SB { "$BUILD/tests/support/tidemark-sandbox" --state-dir "$w" --control; }
sb_in=${SB[1]}
cleanup() { exec {sb_in}>&- || true; wait || true; rm -rf "$w"; }
trap cleanup EXIT
read -r ready <&"${SB[0]}"
SP=$(cat "$w/source.port"); TP=$(cat "$w/target.port")
q() { mariadb --protocol=tcp -h127.0.0.1 -P"$1" -uroot -N -B -e "$2"; }
q "$SP" "CREATE DATABASE d; CREATE TABLE d.k (a INT, c DOUBLE);
         INSERT INTO d.k VALUES (1, 1/3e0), (2, 2/3e0);
         INSERT INTO d.k SELECT 1000 + seq, seq / 3e0 FROM seq.seq_1_to_300000"
mkdir -p "$w/s/src" "$w/s/tgt"
for s in src tgt; do printf root >"$w/s/$s/username"; printf '' >"$w/s/$s/password"; done
cat >"$w/job.yaml" <<YAML
apiVersion: tidemark.dev/v1alpha1
kind: MigrationJob
metadata: {name: repro}
spec:
  type: FullAndIncremental
  source: {flavor: MariaDB, host: 127.0.0.1, port: $SP, credentialsSecret: {name: src}}
  target: {host: 127.0.0.1, port: $TP, credentialsSecret: {name: tgt}}
  objects: {include: [{database: d}]}
  precheck: {ignoreWarnings: true}
YAML
# The binary itself in the background, not a function's subshell (SIGTERM must reach the runner).
args=(run -f "$w/job.yaml" --secrets-dir "$w/s" --output json --skip-precheck)
"$R" "${args[@]}" >"$w/r1.out" 2>"$w/r1.err" & p=$!
until grep -q 'snapshot at' "$w/r1.out" 2>/dev/null; do sleep 0.02; done
kill -9 $p; wait $p 2>/dev/null || true
echo "repro: runner 1 SIGKILLed after its $(grep -o 'snapshot at [^ ]*' "$w/r1.out")"
if [ "$MODE" = keyless ]; then
  q "$SP" "INSERT INTO d.k VALUES (42, 0.1e0+0.2e0)"
else
  q "$SP" "ALTER TABLE d.k ADD COLUMN x INT NOT NULL DEFAULT 3"
fi
"$R" "${args[@]}" >"$w/r2.out" 2>"$w/r2.err" & p=$!
for _ in $(seq 1 300); do grep -q 'replay: streaming' "$w/r2.out" 2>/dev/null && break; kill -0 $p 2>/dev/null || break; sleep 0.1; done
sleep 3
kill -TERM $p 2>/dev/null || true
rc=0; wait $p || rc=$?
grep -o '"note":"full copy: snapshot[^"]*\|"note":"replay: streaming[^"]*' "$w/r2.out" | sed 's/^"note":"/repro: runner 2: /'
digest="SELECT COUNT(*), SUM(a = 42), BIT_XOR(CRC32(CONCAT_WS(',', a, c))) FROM d.k"
src=$(q "$SP" "$digest")
tgt=$(q "$TP" "$digest" 2>/dev/null || echo "-")
echo "repro: runner 2 exit $rc; d.k (rows, rows with a=42, xor of row crc32s): source $src, target $tgt"
[ "$rc" = 0 ] || { echo "repro: BUG: runner 2 failed: $(grep -v 'session (' "$w/r2.err" | tail -n 1 | cut -c1-300)"; exit 1; }
[ "$src" = "$tgt" ] || { echo "repro: BUG: d.k differs"; exit 1; }
echo "repro: correct"
