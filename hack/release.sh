#!/usr/bin/env bash
# Builds a tidemark release: the image (from the repository's Dockerfile, both binaries) and the
# Helm chart packaged to install that image. The release workflow (.github/workflows/release.yml)
# runs this on a tag; a maintainer can run the same by hand:
#
#   hack/release.sh 0.1.0                    # build and check only: image + dist/tidemark-0.1.0.tgz
#   hack/release.sh 0.1.0 --push             # also push the image and the chart (log in first:
#                                            #   docker login ghcr.io; helm registry login ghcr.io)
#
# Environment:
#   IMAGE_REPOSITORY  where the image goes (default ghcr.io/tidemark/tidemark); the packaged
#                     chart's image.repository is set to it
#   CHART_REPOSITORY  OCI repository for the chart (default: oci://<IMAGE_REPOSITORY's registry
#                     and owner>/charts, e.g. oci://ghcr.io/tidemark/charts)
#   CONTAINER_TOOL    docker (default) or podman
#   HELM              helm binary (default: helm on PATH, else hack/install-chart-tools.sh's)
#
# VERSION must equal project(VERSION) in CMakeLists.txt and version/appVersion in
# charts/tidemark/Chart.yaml, so the image, `--version` of both binaries and the chart agree.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
version="$1"
push=0
[ "${2:-}" = "--push" ] && push=1
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || { echo "release: '$version' is not a version like 1.2.3" >&2; exit 2; }

image="${IMAGE_REPOSITORY:-ghcr.io/tidemark/tidemark}"
chart_repo="${CHART_REPOSITORY:-oci://$(dirname "$image")/charts}"
tool="${CONTAINER_TOOL:-docker}"
helm="${HELM:-$(command -v helm || true)}"
if [ -z "$helm" ]; then helm="$(bash hack/install-chart-tools.sh)/bin/helm"; fi

# One version everywhere.
cmake_version="$(sed -nE 's/^project\(tidemark VERSION ([^ )]+).*/\1/p' CMakeLists.txt)"
chart_version="$(sed -nE 's/^version: *"?([^"]+)"?$/\1/p' charts/tidemark/Chart.yaml)"
app_version="$(sed -nE 's/^appVersion: *"?([^"]+)"?$/\1/p' charts/tidemark/Chart.yaml)"
for pair in "CMakeLists.txt project(VERSION):$cmake_version" "Chart.yaml version:$chart_version" \
            "Chart.yaml appVersion:$app_version"; do
  if [ "${pair##*:}" != "$version" ]; then
    echo "release: ${pair%:*} is ${pair##*:}, not $version: bump it, commit, and tag v$version" >&2
    exit 1
  fi
done

revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
echo "release: building $image:$version from the Dockerfile (revision $revision)"
"$tool" build -t "$image:$version" \
  --label "org.opencontainers.image.version=$version" \
  --label "org.opencontainers.image.revision=$revision" .
# The image must run both binaries and report the version being released.
for bin in tidemark-operator tidemark-runner; do
  got="$("$tool" run --rm --entrypoint "$bin" "$image:$version" --version)"
  [ "$got" = "$bin $version" ] || { echo "release: $bin --version says '$got', not '$bin $version'" >&2; exit 1; }
done

echo "release: packaging the chart for $image"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r charts/tidemark "$work/tidemark"
# The packaged chart installs the image just built, whoever publishes it.
sed -i -E "s|^  repository: .*|  repository: $image|" "$work/tidemark/values.yaml"
grep -q "^  repository: $image\$" "$work/tidemark/values.yaml"
"$helm" lint "$work/tidemark" --strict
mkdir -p dist
"$helm" package "$work/tidemark" --version "$version" --app-version "$version" -d dist
echo "release: dist/tidemark-$version.tgz"

if [ "$push" = 1 ]; then
  "$tool" push "$image:$version"
  "$helm" push "dist/tidemark-$version.tgz" "$chart_repo"
  echo "release: pushed $image:$version and $chart_repo/tidemark:$version"
  echo "  helm install tidemark $chart_repo/tidemark --version $version -n tidemark --create-namespace"
fi
