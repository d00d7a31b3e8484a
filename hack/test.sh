#!/usr/bin/env bash
# Installs, builds, and runs every test: unit tests, integration tests on throwaway MariaDB and
# MySQL servers (each suite once per server pair: test names start "mariadb:" or "mysql:"),
# and end-to-end tests with the real kubectl against the dev cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
bash hack/build.sh
echo "test.sh: servers: MariaDB $(/usr/sbin/mariadbd --version | sed -E 's/.*Ver ([^ ]+).*/\1/');" \
  "MySQL $(sed -E 's/.*Ver ([^ ]+).*/\1/' "${TIDEMARK_MYSQL_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/tidemark/mysql-root}/.tidemark-ready" 2>/dev/null || echo 'missing')"
cd build
ctest --output-on-failure --timeout 300 -j 2 "$@"
