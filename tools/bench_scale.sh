#!/usr/bin/env bash
# Does the ledger keep its pace as the log grows? (issue #16, docs/performance.md "At 10 M
# events"). Generates two traces with the same generator, a small one and one ten times larger,
# and for each: `ledger import` into a new store (wall-clock events/s, max RSS), `ledger rebuild` (events/s
# as it reports them, max RSS), a rebuild in process (`ledger-bench rebuild`: events/s and peak
# heap growth), bytes per event. Then prints each figure at both sizes and the ratio large/small.
#
#   tools/bench_scale.sh                        1 M and 10 M events (about an hour on 2 cores;
#                                               about 15 GB of disk under .build-bench/scale)
#   tools/bench_scale.sh --small N --large N    other sizes, e.g. --small 100000 --large 1000000
#
# Not part of the test suite. Run it on a quiet machine: the ratios compare runs minutes apart.
set -euo pipefail
cd "$(dirname "$0")/.."
small=1000000
large=10000000
while [ $# -gt 0 ]; do
  case "$1" in
    --small) small="$2"; shift 2 ;;
    --large) large="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_scale: unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
done
say() { echo "bench_scale: $(date -u +%H:%M:%S) $*" >&2; }
. tools/bench/common.sh

say "building (release)"
build_release

work=.build-bench/scale
rm -rf "$work"
mkdir -p "$work"
results=$work/results.tsv
: > "$results"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$results"; }

for size in "$small" "$large"; do
  trace=$work/trace-$size.jsonl
  store=$work/store-$size
  say "$size: generating"
  "$lb" generate --events "$size" --output "$trace" > "$work/gen-$size.tsv"
  n=$(wc -l < "$trace")
  record "$size" events "$n"
  record "$size" contacts "$(grep '^trace_contacts' "$work/gen-$size.tsv" | cut -f2)"
  record "$size" campaigns "$(grep '^trace_campaigns' "$work/gen-$size.tsv" | cut -f2)"

  sync
  say "$size: ledger import ($n lines)"
  t0=$(seconds)
  /usr/bin/time -f %M -o "$work/import-rss-$size" "$ledger" import "$trace" --store "$store" --json > "$work/import-$size.json" 2> /dev/null
  t1=$(seconds)
  record "$size" import_eps "$(calc "$n / ($t1 - $t0)")"
  record "$size" import_maxrss_mb "$(calc "$(tail -1 "$work/import-rss-$size") / 1024")"
  stored=$(field appended "$work/import-$size.json")
  record "$size" store_bytes_per_event "$(calc "$(stat -c %s "$store/data.mdb") / $stored")"
  rm -f "$trace"

  sync
  say "$size: ledger rebuild"
  /usr/bin/time -f %M -o "$work/rss-$size" "$ledger" rebuild --store "$store" --json > "$work/rebuild-$size.json" 2> /dev/null
  record "$size" rebuild_cli_eps "$(field eventsPerSecond "$work/rebuild-$size.json")"
  record "$size" rebuild_cli_maxrss_mb "$(calc "$(tail -1 "$work/rss-$size") / 1024")"

  sync
  say "$size: rebuild in process"
  "$lb" rebuild --store "$store" > "$work/lb-$size.tsv" 2> /dev/null
  record "$size" rebuild_eps "$(grep '^rebuild_eps' "$work/lb-$size.tsv" | head -1 | cut -f2)"
  record "$size" rebuild_heap_mb "$(grep '^rebuild_heap' "$work/lb-$size.tsv" | head -1 | cut -f2)"
  "$ledger" verify --store "$store" > /dev/null 2>&1 && record "$size" verify_ok 1 || record "$size" verify_ok 0
  rm -rf "$store"
done

say "done"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with local changes)')"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %14s %14s %10s\n' figure "$small" "$large" "large/small"
for metric in events contacts campaigns import_eps import_maxrss_mb rebuild_cli_eps rebuild_eps rebuild_heap_mb rebuild_cli_maxrss_mb store_bytes_per_event verify_ok; do
  a=$(awk -F'\t' -v s="$small" -v m="$metric" '$1 == s && $2 == m { print $3 }' "$results")
  b=$(awk -F'\t' -v s="$large" -v m="$metric" '$1 == s && $2 == m { print $3 }' "$results")
  r=$([ -n "$a" ] && [ -n "$b" ] && awk "BEGIN { if ($a > 0) printf \"%.2f\", $b / $a }" || echo "")
  [ -n "$a" ] && a=$(awk "BEGIN { printf \"%.0f\", $a }")
  [ -n "$b" ] && b=$(awk "BEGIN { printf \"%.0f\", $b }")
  printf '%-28s %14s %14s %10s\n' "$metric" "${a:-–}" "${b:-–}" "$r"
done
