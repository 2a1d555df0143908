#!/usr/bin/env bash
# The README's test command: installs LMDB when missing, builds everything (the library, the
# `ledger` binary the CLI tests run, the tests) and runs every test: unit, property, store,
# concurrency and CLI tests.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
swift build --build-tests
swift test --skip-build "$@"
