#!/usr/bin/env bash
# The one demo command: set up a fresh machine, then run a full migration on embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec npx tsx scripts/demo.ts
