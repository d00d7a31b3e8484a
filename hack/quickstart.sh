#!/usr/bin/env bash
# The README's main job: installs and builds tidemark, starts a throwaway demo source (MariaDB
# with sample data) and an empty target, and runs a MigrationJob against them.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
[ "${TIDEMARK_NO_BUILD:-}" = 1 ] || bash hack/build.sh  # TIDEMARK_NO_BUILD=1: use build/ as it is

work=$(mktemp -d /tmp/tidemark-quickstart.XXXXXX)
sandbox_pid=
writer_pid=
runner_pid=
cleanup() {
  for p in $writer_pid $runner_pid; do kill "$p" 2>/dev/null || true; done
  if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "== starting a demo source and target (MariaDB, throwaway, loopback only)"
"$repo/build/tests/support/tidemark-sandbox" --state-dir "$work" > "$work/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 1 600); do
  [ -s "$work/target.port" ] && break
  kill -0 "$sandbox_pid" 2>/dev/null || { cat "$work/sandbox.log"; exit 1; }
  sleep 0.1
done
src_port=$(cat "$work/source.port"); tgt_port=$(cat "$work/target.port")
src() { mariadb --default-character-set=utf8mb4 -h127.0.0.1 -P"$src_port" -uroot "$@"; }
tgt() { mariadb --default-character-set=utf8mb4 -h127.0.0.1 -P"$tgt_port" -uroot "$@"; }

echo "== loading the demo shop into the source (127.0.0.1:$src_port)"
src < hack/demo/shop.sql
src -e "CREATE USER migrator@'%' IDENTIFIED BY 'demo-source-pw';
        GRANT SELECT, LOCK TABLES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO migrator@'%';"
tgt -e "CREATE USER loader@'%' IDENTIFIED BY 'demo-target-pw';
        GRANT CREATE, SELECT, INSERT, UPDATE, DELETE, ALTER, DROP, INDEX ON *.* TO loader@'%';"

# Secrets laid out the way Kubernetes mounts them: DIR/<secretName>/<key>.
mkdir -p "$work/secrets/source-credentials" "$work/secrets/target-credentials"
printf migrator > "$work/secrets/source-credentials/username"
printf demo-source-pw > "$work/secrets/source-credentials/password"
printf loader > "$work/secrets/target-credentials/username"
printf demo-target-pw > "$work/secrets/target-credentials/password"

cat > "$work/job.yaml" <<YAML
apiVersion: tidemark.dev/v1alpha1
kind: MigrationJob
metadata: {name: shop-demo}
spec:
  type: FullAndIncremental
  source:
    flavor: MariaDB
    host: 127.0.0.1
    port: $src_port
    credentialsSecret: {name: source-credentials}
  target:
    host: 127.0.0.1
    port: $tgt_port
    credentialsSecret: {name: target-credentials}
  objects:
    include: [{database: shop}]
  capacity: 2
  precheck: {ignoreWarnings: true}
YAML

runner="$repo/build/runner/cli/tidemark-runner"
echo "== precheck of $work/job.yaml"
"$runner" precheck -f "$work/job.yaml" --secrets-dir "$work/secrets" --output table

echo "== a steady stream of writes on the source (orders, customers, audit_log)"
(
  i=0
  while :; do
    i=$((i + 1))
    src -e "INSERT INTO shop.orders (customer_id, status, total, note) VALUES (1 + $i % 2000, 'new', 10.00 + $i % 90, 'live order $i');
            UPDATE shop.customers SET balance = balance + 1 WHERE id = 1 + $i % 2000;
            INSERT INTO shop.audit_log VALUES (NOW(), 'live event $i');" 2>/dev/null || exit 0
    sleep 0.05
  done
) &
writer_pid=$!

echo "== tidemark-runner run: full copy, then binlog replay (progress as JSON lines in $work/run.log)"
"$runner" run -f "$work/job.yaml" --secrets-dir "$work/secrets" --skip-precheck > "$work/run.log" 2> "$work/run.err" &
runner_pid=$!
for _ in $(seq 1 20); do
  sleep 1
  last=$(grep '"block":"incremental"' "$work/run.log" | tail -1 || true)
  [ -z "$last" ] && last=$(grep '"block":"fullCopy"' "$work/run.log" | tail -1 || true)
  [ -n "$last" ] && echo "   $last" | cut -c1-220
done
kill "$writer_pid" 2>/dev/null || true; wait "$writer_pid" 2>/dev/null || true

echo "== writes stopped; waiting for the target to catch up"
want=$(src -N -e "SELECT CONCAT(COUNT(*), '/', SUM(CRC32(CONCAT_WS('|', id, customer_id, status, total, note)))) FROM shop.orders")
for _ in $(seq 1 300); do
  have=$(tgt -N -e "SELECT CONCAT(COUNT(*), '/', SUM(CRC32(CONCAT_WS('|', id, customer_id, status, total, note)))) FROM shop.orders" 2>/dev/null || true)
  [ "$have" = "$want" ] && break
  sleep 0.2
done
kill -TERM "$runner_pid"; wait "$runner_pid" || { echo "runner failed:"; cat "$work/run.err"; exit 1; }
grep '"block":"incremental"' "$work/run.log" | tail -1 | cut -c1-300

echo "== tidemark-runner verify: source and target, row for row"
"$runner" verify -f "$work/job.yaml" --secrets-dir "$work/secrets" --output table
