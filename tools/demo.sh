#!/usr/bin/env bash
# The README's first command: installs LMDB when missing, builds the `ledger` binary, and runs
# `ledger demo`: it generates a realistic campaign history (WhatsApp, SMS and telephone, with
# late, duplicated and out-of-order callbacks), imports it into a new store in a temporary
# directory, and tours it. Extra arguments go to `ledger demo` (see `ledger demo --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
swift build -c release --product ledger >&2
exec .build/release/ledger demo "$@"
