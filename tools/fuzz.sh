#!/usr/bin/env bash
# A long fuzz run of the JSON Lines importer and the event record decoder (issue #7): the seeded
# mutation tests of Tests/CampaignLedgerTests/Codec/FuzzTests.swift with their input counts
# multiplied by --scale (swift test runs them at scale 1). Prints the inputs tried.
#   tools/fuzz.sh [--scale 50] [--seed 7]
set -euo pipefail
cd "$(dirname "$0")/.."
scale=50
seed=7
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    *) echo "usage: tools/fuzz.sh [--scale N] [--seed N]" >&2; exit 64 ;;
  esac
done
swift build --build-tests
LEDGER_FUZZ_SCALE=$scale LEDGER_FUZZ_SEED=$seed swift test --skip-build --filter FuzzTests 2>&1 \
  | grep -E "^fuzz:|passed|failed|error" 
