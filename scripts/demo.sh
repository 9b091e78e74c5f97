#!/usr/bin/env bash
# One command from a fresh clone to the console on a throwaway local cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
exec node bin/etcdtop.js demo "$@"
