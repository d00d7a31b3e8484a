#!/usr/bin/env bash
# Configures and builds tidemark into build/ (Ninja, ccache), after installing what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash hack/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
ninja -C build -j "$(nproc)"
