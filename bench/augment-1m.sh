#!/usr/bin/env bash
# Benchmark of `radpo augment`: generates ROWS scored pairs (default 1,000,000), augments them to
# JSONL and reports rows/s and peak resident memory from GNU time (/usr/bin/time -v).
# Usage: bash bench/augment-1m.sh [ROWS]    (run `npx tsc -b` first; files go to .bench/)
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
mkdir -p .bench
input=".bench/scored-${rows}.jsonl"
output=".bench/augmented-${rows}.jsonl"

[ -f "$input" ] || node bench/generate-scored-pairs.js "$rows" "$input"
echo "input: $input ($(du -h "$input" | cut -f1), $rows rows)"

/usr/bin/time -v node packages/cli/bin/radpo.js augment --in "$input" --out "$output" --overwrite \
  2> .bench/augment-time.txt | tee .bench/augment-report.txt

seconds=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' .bench/augment-time.txt)
peak_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' .bench/augment-time.txt)
echo "output: $output ($(du -h "$output" | cut -f1))"
echo "wall clock (process, startup included): ${seconds} s"
echo "input rows per second: $(awk -v r="$rows" -v s="$seconds" 'BEGIN {printf "%.0f", r / s}')"
echo "peak RSS: $((peak_kb / 1024)) MB"
rm -f "$output"
