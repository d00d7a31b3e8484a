#!/usr/bin/env bash
# The README's main job: installs and builds tidemark, starts a throwaway demo source (MariaDB
# with sample data) and an empty target, and runs a MigrationJob against them.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
[ "${TIDEMARK_NO_BUILD:-}" = 1 ] || bash hack/build.sh  # TIDEMARK_NO_BUILD=1: use build/ as it is

work=$(mktemp -d /tmp/tidemark-quickstart.XXXXXX)
sandbox_pid=
cleanup() {
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

echo "== precheck of $work/job.yaml"
"$repo/build/runner/cli/tidemark-runner" precheck -f "$work/job.yaml" --secrets-dir "$work/secrets" --output table
