#!/usr/bin/env bash
# Runs a program of the MySQL root that hack/install-mysql.sh prepares (mysqld, mysql,
# mysqldump, mysqlbinlog, ...) on this machine, through that root's own loader and libraries:
#
#   hack/mysql-tool.sh mysqldump -h127.0.0.1 -P3306 -uroot --databases shop
set -euo pipefail
root="${TIDEMARK_MYSQL_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/tidemark/mysql-root}"
[ $# -ge 1 ] || { echo "usage: hack/mysql-tool.sh PROGRAM [ARGS...]" >&2; exit 2; }
tool=$1
shift
for dir in usr/bin usr/sbin; do
  if [ -x "$root/$dir/$tool" ]; then
    exec "$root/usr/lib64/ld-linux-x86-64.so.2" --library-path "$root/usr/lib/x86_64-linux-gnu" "$root/$dir/$tool" "$@"
  fi
done
echo "mysql-tool: no $tool in $root (run hack/install-mysql.sh)" >&2
exit 2
