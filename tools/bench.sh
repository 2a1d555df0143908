#!/usr/bin/env bash
# The benchmark of DESIGN.md §6 in one command (docs/performance.md): builds the release
# binaries and the C baselines, sets up the Python peer, generates a realistic trace and measures,
# round after round, ours and the baselines in the same run; then prints medians, min–max and
# ratios (ours / baseline) against the targets.
#
#   tools/bench.sh                  ~1 M events, 3 rounds (see docs/performance.md for how long)
#   tools/bench.sh --quick          50 k events, 1 round: a smoke test
#   tools/bench.sh --events N --rounds N --json FILE --no-peer
#
# Everything it makes lives under .build-bench/ (git-ignored): the C program, the Python venv
# (`pip install eventsourcing==9.5.6`; without PyPI the peer is skipped with a note) and the run's
# stores, trace and results (.build-bench/run/results.tsv, one `metric<TAB>value` per line).
set -euo pipefail
cd "$(dirname "$0")/.."

events=1000000
rounds=3
json=""
peer=1
while [ $# -gt 0 ]; do
  case "$1" in
    --events) events="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --json) json="$2"; shift 2 ;;
    --quick) events=50000; rounds=1; shift ;;
    --no-peer) peer=0; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
done
case "$json" in ""|/*) ;; *) json="$PWD/$json" ;; esac

say() { echo "bench: $*" >&2; }
# Before each measured step: write out what the previous steps left dirty, so the kernel's
# writeback of their files (a 500 MB store after an import) does not run during the step.
settle() { sync; }
# Before a cold measurement: write out and drop the page cache (root only; else say so once).
cold() {
  sync
  if echo 3 2> /dev/null > /proc/sys/vm/drop_caches; then return 0; fi
  [ -n "${cold_warned:-}" ] || say "NOTE: cannot drop the page cache (needs root): cold rebuild and scan skipped"
  cold_warned=1
  return 1
}
# A cold rebuild in process and a cold C scan of store $1, their metrics suffixed with $2.
cold_pair() {
  if cold; then "$lb" rebuild --store "$1" --label "_cold$2" >> "$results" 2> /dev/null; fi
  if cold; then "$cbase" scan-cold "$1" | sed "s/^c_cold_scan_eps/c_cold_scan_eps$2/" >> "$results"; fi
}
out=.build-bench
work=$out/run
mkdir -p "$out"
rm -rf "$work"
mkdir -p "$work"
results=$work/results.tsv
: > "$results"
record() { printf '%s\t%s\n' "$1" "$2" >> "$results"; }
. tools/bench/common.sh

say "building (release)"
build_release
gcc -O2 -Wall -o "$out/lmdb_baselines" tools/bench/lmdb_baselines.c -llmdb
cbase=$out/lmdb_baselines

python=""
if [ "$peer" = 1 ]; then
  if [ -x "$out/venv/bin/python" ] && "$out/venv/bin/python" -c 'import eventsourcing' 2>/dev/null; then
    python=$out/venv/bin/python
  elif python3 -m venv "$out/venv" >&2 && "$out/venv/bin/pip" install -q eventsourcing==9.5.6 >&2; then
    python=$out/venv/bin/python
  else
    say "NOTE: could not install eventsourcing 9.5.6 from PyPI; the peer is skipped"
  fi
fi
peer_version=$([ -n "$python" ] && "$python" -c 'import importlib.metadata as m; print(m.version("eventsourcing"))' || echo "skipped")

trace=$work/trace.jsonl
say "generating a trace of about $events events"
"$lb" generate --events "$events" --output "$trace" >> "$results"
n=$(wc -l < "$trace")
fsyncs=$(( n < 20000 ? 500 : 2000 ))
appends=$(( n < 200000 ? 50 : 200 ))
# One contact of the trace for the one-shot queries: the demo story's.
story_campaign=spring-promo
story_contact=c-0001

for round in $(seq 1 "$rounds"); do
  settle
  say "round $round/$rounds: ledger import"
  store=$work/store
  rm -rf "$store"
  t0=$(seconds)
  "$ledger" import "$trace" --store "$store" --json > "$work/import.json" 2> /dev/null
  t1=$(seconds)
  record import_cli_eps "$(calc "$n / ($t1 - $t0)")"
  record import_cli_reported_eps "$(field eventsPerSecond "$work/import.json")"

  if [ "$round" = 1 ]; then
    say "bytes on disk"
    stored=$(field appended "$work/import.json")
    "$ledger" stats --store "$store" --json > "$work/stats.json"
    record store_bytes_per_event "$(calc "$(stat -c %s "$store/data.mdb") / $stored")"
    "$ledger" export --store "$store" --output "$work/export.jsonl"
    record jsonl_bytes_per_event "$(calc "$(stat -c %s "$work/export.jsonl") / $stored")"
    record trace_bytes_per_event "$(calc "$(stat -c %s "$trace") / $n")"
    "$ledger" backup "$work/backup" --store "$store" 2> /dev/null
    record compact_bytes_per_event "$(calc "$(stat -c %s "$work/backup/data.mdb") / $stored")"
    rm -rf "$work/backup" "$work/export.jsonl"
  fi

  settle
  say "round $round/$rounds: library API import"
  rm -rf "$work/api"
  "$lb" import-api --trace "$trace" --store "$work/api" >> "$results"
  rm -rf "$work/api"

  settle
  say "round $round/$rounds: rebuild"
  "$lb" rebuild --store "$store" >> "$results" 2> /dev/null
  /usr/bin/time -f %M -o "$work/rss" "$ledger" rebuild --store "$store" --json > "$work/rebuild.json" 2> /dev/null
  record rebuild_cli_eps "$(field eventsPerSecond "$work/rebuild.json")"
  record rebuild_cli_maxrss_mb "$(calc "$(tail -1 "$work/rss") / 1024")"
  cold_pair "$store" ""

  settle
  say "round $round/$rounds: queries"
  "$lb" queries --trace "$trace" --store "$store" --seconds 2 >> "$results"
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    t0=$(seconds)
    "$ledger" contact show "$story_campaign" "$story_contact" --store "$store" > /dev/null
    t1=$(seconds)
    record cli_contact_show_ms "$(calc "($t1 - $t0) * 1000")"
    t0=$(seconds)
    "$ledger" campaign show "$story_campaign" --store "$store" > /dev/null
    t1=$(seconds)
    record cli_campaign_show_ms "$(calc "($t1 - $t0) * 1000")"
  done

  settle
  say "round $round/$rounds: 64 tasks appending single events"
  rm -rf "$work/appends"
  "$lb" appends --store "$work/appends" --tasks 64 --appends "$appends" >> "$results" 2> /dev/null
  rm -rf "$work/appends"

  settle
  say "round $round/$rounds: C baselines"
  for mode in append append-rmw equiv fsync; do
    rm -rf "$work/c"
    case $mode in
      append) "$cbase" append "$work/c" "$n" ;;
      append-rmw) "$cbase" append-rmw "$work/c" "$n" 100000 ;;
      equiv) "$cbase" equiv "$store" "$work/c" ;;
      fsync) "$cbase" fsync "$work/c" "$fsyncs" ;;
    esac >> "$results"
  done
  rm -rf "$work/c"
  "$cbase" scan "$store" >> "$results"

  if [ -n "$python" ]; then
    settle
    say "round $round/$rounds: eventsourcing $peer_version (SQLite)"
    "$python" tools/bench/peer_eventsourcing.py "$trace" "$work/peer" --single "$fsyncs" >> "$results"
  fi
done

# The contacts-heavy shape (issue #16): the same generator keeping one status report per
# contact (about 2 events per contact), imported once, rebuilt against the C scan of that store.
say "contacts-heavy trace: rebuild against the C scan"
thin=$work/trace-contacts-heavy.jsonl
"$lb" generate --events "$events" --statuses-per-contact 1 --output "$thin" > "$work/thin.tsv"
record trace_events_contacts_heavy "$(wc -l < "$thin")"
record trace_contacts_contacts_heavy "$(grep '^trace_contacts' "$work/thin.tsv" | cut -f2)"
rm -rf "$work/thin"
"$ledger" import "$thin" --store "$work/thin" > /dev/null 2>&1
for round in $(seq 1 "$rounds"); do
  settle
  "$lb" rebuild --store "$work/thin" --label _contacts_heavy >> "$results" 2> /dev/null
  "$cbase" scan "$work/thin" | sed 's/^c_scan_eps/c_scan_eps_contacts_heavy/' >> "$results"
  cold_pair "$work/thin" _contacts_heavy
done
rm -rf "$work/thin" "$thin"

# Heap growth: the same contacts, more events (late reports for every contact), rebuilt again.
say "rebuild with more events and the same contacts"
for build in $("$ledger" projections list --store "$store" --json | grep -o '"build":[0-9]*' | cut -d: -f2); do
  "$ledger" projections drop "$build" --store "$store" > /dev/null 2>&1 || true
done
"$lb" extend --trace "$trace" --store "$store" --per-contact 6 2> /dev/null
"$ledger" stats --store "$store" --json > "$work/stats-more.json"
record rebuild_events_more_events "$(field events "$work/stats-more.json")"
settle
"$lb" rebuild --store "$store" --label _more_events >> "$results" 2> /dev/null
"$cbase" scan "$store" | sed 's/^c_scan_eps/c_scan_eps_more_events/' >> "$results"
cold_pair "$store" _more_events
/usr/bin/time -f %M -o "$work/rss" "$ledger" rebuild --store "$store" --json > /dev/null 2>&1
record rebuild_cli_maxrss_mb_more_events "$(calc "$(tail -1 "$work/rss") / 1024")"

notes=(
  --note "date=$(date -u +%Y-%m-%dT%H:%MZ)"
  --note "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  --note "machine=$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
  --note "trace=$n events ($events asked), rounds=$rounds"
  --note "peer=eventsourcing $peer_version on SQLite $("${python:-python3}" -c 'import sqlite3; print(sqlite3.sqlite_version)' 2>/dev/null || echo '?')"
  --note "liblmdb=$(pkg-config --modversion lmdb 2>/dev/null || echo '?')"
)
if [ -n "$json" ]; then
  "$lb" report --results "$results" --json "$json" "${notes[@]}"
else
  "$lb" report --results "$results" "${notes[@]}"
fi
