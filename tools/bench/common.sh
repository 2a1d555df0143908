# Sourced by tools/bench.sh and tools/bench_scale.sh (from the repository's root): the helpers
# they share, and the release build of `ledger` and `ledger-bench` they measure.

# awk arithmetic on decimal numbers: calc 'a / b' …
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
# The number after "key": in a one-line JSON document.
field() { grep -o "\"$1\":[0-9.e+-]*" "$2" | head -1 | cut -d: -f2; }
seconds() { date +%s.%N; }

# Installs LMDB when missing and builds both binaries in release mode; sets $ledger and $lb.
build_release() {
  tools/setup.sh
  swift build -c release --product ledger >&2
  ledger=$(swift build -c release --show-bin-path)/ledger
  # The benchmark is a package of its own (tools/bench/Package.swift) on the root package by path.
  swift build -c release --package-path tools/bench >&2
  lb=$(swift build -c release --package-path tools/bench --show-bin-path)/ledger-bench
}
