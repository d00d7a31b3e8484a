#!/usr/bin/env bash
# The README's main job, on one machine with no cluster: installs and builds tidemark, starts a
# demo source (MySQL 9.7 with a sample shop and a steady stream of writes; SERVERS=mariadb for
# MariaDB 10.11) and an empty target of the same kind,
# starts the local dev cluster (hack/devcluster) and tidemark-operator, applies a MigrationJob
# with the real kubectl, shows its progress until it replicates with low lag, then verifies
# that source and target match row for row. Everything it starts is stopped when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
[ "${TIDEMARK_NO_BUILD:-}" = 1 ] || bash hack/build.sh  # TIDEMARK_NO_BUILD=1: use build/ as it is
runner="$repo/build/runner/cli/tidemark-runner"

work=$(mktemp -d /tmp/tidemark-quickstart.XXXXXX)
pids=()
cleanup() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
wait_for_file() { for _ in $(seq 1 600); do [ -s "$1" ] && return 0; sleep 0.1; done; echo "timed out waiting for $1" >&2; exit 1; }

SERVERS=${SERVERS:-mysql}
case $SERVERS in
  mysql) flavor=MySQL; monitor="REPLICATION CLIENT" ;;
  mariadb) flavor=MariaDB; monitor="BINLOG MONITOR" ;;
  *) echo "quickstart: SERVERS='$SERVERS': mysql or mariadb" >&2; exit 2 ;;
esac
echo "== starting a demo source and target ($flavor, throwaway, loopback only)"
TIDEMARK_TEST_SERVERS=$SERVERS "$repo/build/tests/support/tidemark-sandbox" --state-dir "$work" > "$work/sandbox.log" 2>&1 &
pids+=($!)
wait_for_file "$work/target.port"
src_port=$(cat "$work/source.port"); tgt_port=$(cat "$work/target.port")
src() { mariadb --default-character-set=utf8mb4 -h127.0.0.1 -P"$src_port" -uroot "$@"; }
tgt() { mariadb --default-character-set=utf8mb4 -h127.0.0.1 -P"$tgt_port" -uroot "$@"; }

echo "== loading the demo shop into the source (127.0.0.1:$src_port); the target (127.0.0.1:$tgt_port) is empty"
src < hack/demo/shop.sql
src -e "CREATE USER migrator@'%' IDENTIFIED BY 'demo-source-pw';
        GRANT SELECT, LOCK TABLES, REPLICATION SLAVE, $monitor ON *.* TO migrator@'%';"
tgt -e "CREATE USER loader@'%' IDENTIFIED BY 'demo-target-pw';
        GRANT CREATE, SELECT, INSERT, UPDATE, DELETE, ALTER, DROP, INDEX ON *.* TO loader@'%';"

echo "== a steady stream of writes on the source"
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
pids+=($writer_pid)

echo "== starting the dev cluster and tidemark-operator"
hack/devcluster --port 0 --kubeconfig "$work/kubeconfig" --state-dir "$work/cluster" > "$work/devcluster.log" 2>&1 &
pids+=($!)
wait_for_file "$work/kubeconfig"
export KUBECONFIG="$work/kubeconfig"
k() { kubectl --cache-dir "$work/kube-cache" "$@"; }
for _ in $(seq 1 100); do k version > /dev/null 2>&1 && break; sleep 0.1; done
"$repo/build/operator/tidemark-operator" --kubeconfig "$work/kubeconfig" --runner-image tidemark:dev \
  --metrics-addr 127.0.0.1:0 --leader-election-namespace default --log-format text > "$work/operator.log" 2>&1 &
operator_pid=$!
pids+=($operator_pid)

echo "== kubectl apply: the runner's ServiceAccount, the credentials Secrets and a MigrationJob"
# The runner pods' ServiceAccount: the Helm chart creates it on a real cluster.
k create serviceaccount tidemark-runner > /dev/null
k create secret generic source-credentials --from-literal=username=migrator --from-literal=password=demo-source-pw > /dev/null
k create secret generic target-credentials --from-literal=username=loader --from-literal=password=demo-target-pw > /dev/null
cat > "$work/job.yaml" <<YAML
apiVersion: tidemark.dev/v1alpha1
kind: MigrationJob
metadata: {name: shop-demo}
spec:
  type: FullAndIncremental
  source:
    flavor: $flavor
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
k apply -f "$work/job.yaml"

echo "== kubectl get mj shop-demo (until it replicates with low lag)"
replicating=0
for i in $(seq 1 120); do
  phase=$(k get mj shop-demo -o jsonpath='{.status.phase}' 2>/dev/null || true)
  lag=$(k get mj shop-demo -o jsonpath='{.status.incremental.lagSeconds}' 2>/dev/null || true)
  if [ $((i % 2)) = 1 ] || [ "$phase" = Replicating ]; then k get mj shop-demo --no-headers 2>/dev/null | sed 's/^/   /'; fi
  case "$phase" in
    Replicating) if [ -n "$lag" ] && awk "BEGIN{exit !($lag < 1)}"; then replicating=$((replicating + 1)); fi ;;
    Failed|PrecheckFailed) k describe mj shop-demo; exit 1 ;;
  esac
  [ "$replicating" -ge 3 ] && break
  kill -0 "$operator_pid" 2>/dev/null || { echo "tidemark-operator exited:"; tail -20 "$work/operator.log"; exit 1; }
  sleep 1
done
[ "$replicating" -ge 3 ] || { echo "the job did not reach Replicating with low lag"; k describe mj shop-demo; tail -20 "$work/operator.log"; exit 1; }

echo "== its conditions and events"
k get mj shop-demo -o jsonpath='{range .status.conditions[*]}   {.type}={.status} ({.reason}): {.message}{"\n"}{end}'
k get events --field-selector involvedObject.name=shop-demo 2>/dev/null | sed 's/^/   /' || true

echo "== stopping the writes; waiting for the target to catch up"
kill "$writer_pid" 2>/dev/null || true; wait "$writer_pid" 2>/dev/null || true
checksum="SELECT CONCAT(COUNT(*), '/', SUM(CRC32(CONCAT_WS('|', id, customer_id, status, total, note)))) FROM shop.orders"
want=$(src -N -e "$checksum")
for _ in $(seq 1 300); do
  [ "$(tgt -N -e "$checksum" 2>/dev/null || true)" = "$want" ] && break
  sleep 0.2
done

echo "== tidemark-runner verify: source and target, row for row"
mkdir -p "$work/secrets/source-credentials" "$work/secrets/target-credentials"
printf migrator > "$work/secrets/source-credentials/username"; printf demo-source-pw > "$work/secrets/source-credentials/password"
printf loader > "$work/secrets/target-credentials/username"; printf demo-target-pw > "$work/secrets/target-credentials/password"
"$runner" verify -f "$work/job.yaml" --secrets-dir "$work/secrets" --output table

echo "== kubectl delete mj shop-demo (the finalizer stops the runner first)"
k delete mj shop-demo --wait=true --timeout=60s
