#!/usr/bin/env bash
# Fuzzing (issues #7 and #19), two modes.
#
# Seeded mutation (the default): the tests of Tests/CampaignLedgerTests/Codec/FuzzTests.swift
# with their input counts multiplied by --scale (swift test runs them at scale 1).
#   tools/fuzz.sh [--scale 50] [--seed 7]
#
# Coverage-guided (libFuzzer): the targets of Tests/Fuzz/Targets, built with
# `-sanitize=fuzzer,address` in .build-fuzz (the normal build is untouched), each run with its
# corpus Tests/Fuzz/corpus/TARGET (read; new inputs go to .build-fuzz/corpus/TARGET, so the
# checked-in corpus grows only by --merge). Exit 0 when nothing crashed; a crash or broken
# invariant is saved under .build-fuzz/crashes/TARGET/ and exits 1.
#   tools/fuzz.sh --libfuzzer --list                  the targets, one a line
#   tools/fuzz.sh --libfuzzer --check                 exit 0 when the toolchain has libFuzzer
#   tools/fuzz.sh --libfuzzer --build                 only the sanitizer build (prints the binary)
#   tools/fuzz.sh --libfuzzer TARGET SECONDS [-- LIBFUZZER_FLAGS…]
#   tools/fuzz.sh --libfuzzer --merge TARGET          minimise .build-fuzz/corpus/TARGET into
#                                                     Tests/Fuzz/corpus/TARGET (-merge=1, by
#                                                     edges; crash-* inputs always stay)
#   tools/fuzz.sh --libfuzzer --replay TARGET FILE…   run saved inputs once (a crash found)
# LEDGER_FUZZ_JOBS=N runs N fuzzing processes of one target (libFuzzer's -fork=N).
set -euo pipefail
cd "$(dirname "$0")/.."

corpus_root=Tests/Fuzz/corpus
scratch=.build-fuzz

libfuzzer_usage() {
  echo "usage: tools/fuzz.sh --libfuzzer --list | --check | --build | TARGET SECONDS [-- FLAGS…] | --merge TARGET | --replay TARGET FILE…" >&2
  exit 64
}

# The fuzz driver built with the sanitizers; prints its path.
build_fuzzer() {
  mkdir -p "$scratch"
  echo "fuzz.sh: building LedgerFuzz with -sanitize=fuzzer,address in $scratch" >&2
  if ! swift build -c debug --scratch-path "$scratch" --product LedgerFuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DLEDGER_LIBFUZZER \
    >"$scratch/build.log" 2>&1; then
    grep -v "Cannot export local symbol" "$scratch/build.log" | tail -40 >&2
    echo "fuzz.sh: the libFuzzer build failed (whole log: $scratch/build.log)" >&2
    exit 70
  fi
  echo "$(swift build -c debug --scratch-path "$scratch" --show-bin-path)/LedgerFuzz"
}

# Whether swiftc can link a libFuzzer binary here (the toolchain ships the runtime).
has_libfuzzer() {
  local dir
  dir=$(mktemp -d)
  cat >"$dir/probe.swift" <<'EOF'
@_cdecl("LLVMFuzzerTestOneInput") public func probe(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { 0 }
EOF
  local ok=1
  swiftc -sanitize=fuzzer,address -parse-as-library "$dir/probe.swift" -o "$dir/probe" >/dev/null 2>&1 && ok=0
  rm -rf "$dir"
  return $ok
}

targets() {
  for d in "$corpus_root"/*/; do basename "$d"; done
}

known_target() {
  [ -n "$1" ] && [ -d "$corpus_root/$1" ] || { echo "fuzz.sh: no target '$1'; the targets are: $(targets | tr '\n' ' ')" >&2; exit 64; }
}

if [ "${1:-}" = "--libfuzzer" ]; then
  shift
  case "${1:-}" in
    --list) targets; exit 0 ;;
    --check)
      if has_libfuzzer; then echo "libFuzzer: available"; exit 0; fi
      echo "libFuzzer: swiftc -sanitize=fuzzer cannot link here (no fuzzer runtime in this toolchain)"; exit 1 ;;
    --build) build_fuzzer; exit 0 ;;
    --merge)
      [ $# -eq 2 ] || libfuzzer_usage
      target=$2; known_target "$target"
      bin=$(build_fuzzer)
      found="$scratch/corpus/$target"
      mkdir -p "$found"
      merged=$(mktemp -d)
      # -use_counters=0: an input is kept for a coverage edge it adds, not for a hit count (a
      # third of the files, the same edges).
      LEDGER_FUZZ_TARGET=$target "$bin" -merge=1 -use_counters=0 -rss_limit_mb=4096 "$merged" "$corpus_root/$target" "$found" 2>&1 | grep -E "MERGE-OUTER: [0-9]+ new files" >&2 || true
      # Inputs that once crashed (crash-*, each with its regression test) stay whatever they cover.
      find "$corpus_root/$target" -maxdepth 1 -name 'crash-*' -exec cp {} "$merged/" \;
      rm -rf "${corpus_root:?}/$target"
      mv "$merged" "$corpus_root/$target"
      chmod 755 "$corpus_root/$target"
      echo "$target: $(find "$corpus_root/$target" -type f | wc -l) inputs, $(cat "$corpus_root/$target"/* | wc -c) bytes"
      exit 0 ;;
    --replay)
      [ $# -ge 3 ] || libfuzzer_usage
      target=$2; known_target "$target"; shift 2
      bin=$(build_fuzzer)
      SWIFT_BACKTRACE=enable=no LEDGER_FUZZ_TARGET=$target exec "$bin" -runs=1 "$@" ;;
    ""|-*) libfuzzer_usage ;;
  esac
  [ $# -ge 2 ] || libfuzzer_usage
  target=$1; seconds=$2; shift 2
  [ "${1:-}" = "--" ] && shift
  known_target "$target"
  [[ "$seconds" =~ ^[0-9]+$ ]] || libfuzzer_usage
  bin=$(build_fuzzer)
  found="$scratch/corpus/$target"
  crashes="$scratch/crashes/$target"
  mkdir -p "$found" "$crashes"
  fork=()
  [ -n "${LEDGER_FUZZ_JOBS:-}" ] && fork=(-fork="$LEDGER_FUZZ_JOBS" -ignore_crashes=0)
  # New inputs are written to the first directory ($found); the checked-in corpus is only read.
  set +e
  SWIFT_BACKTRACE=enable=no LEDGER_FUZZ_TARGET=$target "$bin" "$found" "$corpus_root/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=8192 \
    -artifact_prefix="$crashes/" -print_final_stats=1 "${fork[@]}" "$@"
  status=$?
  set -e
  if [ $status -ne 0 ]; then
    echo "fuzz.sh: $target: crash or broken invariant, input saved in $crashes/" >&2
    exit 1
  fi
  echo "fuzz.sh: $target: no crash in ${seconds} s"
  exit 0
fi

scale=50
seed=7
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    *) echo "usage: tools/fuzz.sh [--scale N] [--seed N] | tools/fuzz.sh --libfuzzer …" >&2; exit 64 ;;
  esac
done
swift build --build-tests
LEDGER_FUZZ_SCALE=$scale LEDGER_FUZZ_SEED=$seed swift test --skip-build --filter "CampaignLedgerTests.FuzzTests" 2>&1 \
  | grep -E "^fuzz:|passed|failed|error" 
