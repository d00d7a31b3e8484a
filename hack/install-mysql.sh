#!/usr/bin/env bash
# Prepares a real MySQL server for tidemark's tests and benchmarks. Debian 12 ships only
# MariaDB; Debian's `unstable` suite carries Oracle's MySQL (9.7 LTS as of late 2026), which needs
# a newer C library than Debian 12's, so it lives in a minimal Debian unstable root made with
# debootstrap. tests/support runs its mysqld from that root (see tests/support/db_server.cpp).
#
# The root is cached under ${XDG_CACHE_HOME:-~/.cache}/tidemark/mysql-root: once made, repeated
# runs need no network. TIDEMARK_MYSQL_ROOT overrides the place. Prints the server's version.
# Safe to run any number of times; needs root (debootstrap and chroot).
set -euo pipefail

root="${TIDEMARK_MYSQL_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/tidemark/mysql-root}"
stamp="$root/.tidemark-ready"

if [ -f "$stamp" ] && [ -x "$root/usr/sbin/mysqld" ]; then
  echo "install-mysql: cached root $root ($(cat "$stamp"))"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-mysql: needs root (debootstrap, chroot); run it with sudo" >&2
  exit 1
fi
command -v debootstrap >/dev/null || { echo "install-mysql: debootstrap is missing (hack/install-deps.sh installs it)" >&2; exit 1; }

# The Debian mirror this machine's apt already uses (deb822 or one-line sources).
mirror="$(grep -hoE '^URIs:[[:space:]]*[^[:space:]]+' /etc/apt/sources.list.d/*.sources 2>/dev/null |
  awk '{print $2}' | grep -v security | head -n1 || true)"
if [ -z "$mirror" ]; then
  mirror="$(grep -hoE '^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+' /etc/apt/sources.list 2>/dev/null |
    awk '{print $NF}' | grep -v security | head -n1 || true)"
fi
mirror="${mirror:-http://deb.debian.org/debian}"

building="$root.building"
rm -rf "$building"
mkdir -p "$(dirname "$root")"
echo "install-mysql: debootstrap sid from $mirror (about a minute)"
debootstrap --variant=minbase sid "$building" "$mirror" >"$building.log" 2>&1 ||
  { tail -n 20 "$building.log" >&2; echo "install-mysql: debootstrap failed (log: $building.log)" >&2; exit 1; }

# Nothing in the root may start a service; mounts for apt inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$building/usr/sbin/policy-rc.d"
chmod +x "$building/usr/sbin/policy-rc.d"
cleanup() { umount "$building/proc" 2>/dev/null || true; }
trap cleanup EXIT
mount -t proc proc "$building/proc"
cp /etc/resolv.conf "$building/etc/resolv.conf" 2>/dev/null || true
# The mirror may serve a dated snapshot of sid whose Release file has expired.
chroot "$building" env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Check-Valid-Until=false update -qq >>"$building.log" 2>&1
chroot "$building" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  mysql-server-core mysql-client >>"$building.log" 2>&1 ||
  { tail -n 20 "$building.log" >&2; echo "install-mysql: apt-get in the root failed (log: $building.log)" >&2; exit 1; }
chroot "$building" apt-get clean
umount "$building/proc"
trap - EXIT

version="$(chroot "$building" /usr/sbin/mysqld --version)"
echo "$version" >"$building/.tidemark-ready"
rm -rf "$root"
mv "$building" "$root"
rm -f "$building.log"
echo "install-mysql: ready at $root: $version"
