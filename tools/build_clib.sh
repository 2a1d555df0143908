#!/usr/bin/env bash
# Builds the C library (libCampaignLedgerC.so, header include/campaign_ledger.h) into a
# self-contained directory for users of C, Python, Go, Node…:
#   OUT/lib/libCampaignLedgerC.so   the Swift runtime and Foundation linked in (-static-stdlib)
#   OUT/lib/liblmdb.so.0            LMDB, found through the library's RUNPATH $ORIGIN
#   OUT/include/campaign_ledger.h
# Usage: tools/build_clib.sh [--lib-only] [OUT]   (default OUT: .build/campaign-ledger-c)
#   --lib-only  put the libraries directly in OUT (the Python package's campaign_ledger/lib)
# Environment:
#   CAMPAIGN_LEDGER_BUILD=debug   a debug build instead (needs the toolchain's runtime at run time)
#   CAMPAIGN_LEDGER_PREBUILT=DIR  no build: copy DIR/libCampaignLedgerC.so (e.g. .build/debug)
# The release build uses its own scratch directory (.build/clib), so it never invalidates the
# package's .build/release.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
lib_only=0
if [[ "${1:-}" == "--lib-only" ]]; then lib_only=1; shift; fi
out="${1:-$root/.build/campaign-ledger-c}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
if [[ $lib_only == 1 ]]; then libdir="$out"; else libdir="$out/lib"; fi
mkdir -p "$libdir"

cd "$root"
if [[ -n "${CAMPAIGN_LEDGER_PREBUILT:-}" ]]; then
  built="$CAMPAIGN_LEDGER_PREBUILT/libCampaignLedgerC.so"
elif [[ "${CAMPAIGN_LEDGER_BUILD:-release}" == "debug" ]]; then
  swift build --product CampaignLedgerC >&2
  built="$(swift build --show-bin-path)/libCampaignLedgerC.so"
else
  flags=(-c release --product CampaignLedgerC --scratch-path .build/clib
         -Xswiftc -static-stdlib -Xlinker '-rpath=$ORIGIN')
  swift build "${flags[@]}" >&2
  built="$(swift build "${flags[@]}" --show-bin-path)/libCampaignLedgerC.so"
fi
[[ -f "$built" ]] || { echo "build_clib: no $built" >&2; exit 1; }

cp -f "$built" "$libdir/libCampaignLedgerC.so"
# LMDB is the one library outside the C library and the C runtime: ship it beside.
lmdb="$(ldd "$built" | awk '/liblmdb/ {print $3}')"
if [[ -n "$lmdb" ]]; then cp -fL "$lmdb" "$libdir/$(basename "$lmdb")"; fi
if [[ $lib_only == 0 ]]; then
  mkdir -p "$out/include"
  cp -f Sources/CampaignLedgerC/include/campaign_ledger.h "$out/include/"
fi

# A release library must need nothing of the Swift toolchain.
if [[ -z "${CAMPAIGN_LEDGER_PREBUILT:-}" && "${CAMPAIGN_LEDGER_BUILD:-release}" != "debug" ]]; then
  if ldd "$libdir/libCampaignLedgerC.so" | grep -E 'libswift|libFoundation|lib_Foundation|libdispatch|not found' >&2; then
    echo "build_clib: the library still needs the libraries above" >&2
    exit 1
  fi
fi
echo "$libdir/libCampaignLedgerC.so"
