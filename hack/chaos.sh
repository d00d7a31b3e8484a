#!/usr/bin/env bash
# Runs the chaos suite (tests/chaos/chaos.py): a FullAndIncremental migration under a mixed
# write load while the runner, the target and the source are killed or restarted at random
# instants; at the end source and target must be equal row for row, duplicates counted.
#
#   hack/chaos.sh [--faults N] [--seed S] [--servers mariadb|mysql] [BUILD_DIR]
#
# The seed is printed first (`chaos: seed=N faults=K`); the same seed draws the same faults.
# More knobs (--kinds, --phases, --tolerate-failed, --keep, data-set sizes): hack/chaos.sh --help.
# Needs tidemark-runner and tidemark-sandbox built in BUILD_DIR (default: build) and sysbench.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 tests/chaos/chaos.py "$@"
