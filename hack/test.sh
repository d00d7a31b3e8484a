#!/usr/bin/env bash
# Installs, builds, and runs every test: unit tests, integration tests on throwaway MariaDB
# servers, and end-to-end tests with the real kubectl against the dev cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
bash hack/build.sh
cd build
ctest --output-on-failure --timeout 300 -j 2 "$@"
