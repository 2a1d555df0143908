#!/usr/bin/env bash
# The README's test command: installs LMDB when missing, builds, and runs every test
# (unit, property, store, crash/concurrency and the CLI tests that run the built `ledger`).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
swift build -c release --product ledger
swift test "$@"
