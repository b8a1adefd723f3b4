#!/usr/bin/env bash
# Times `solieu report` (the whole process: open the store, load the engine
# from its snapshot, gather the figures, render, write) for one province on
# the demo store, in every format; prints the median of 11 runs each.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p solieu
bin=target/release/solieu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$bin --data "$work/data" demo >/dev/null
$bin --data "$work/data" report --area 79 --period 2020-10 >/dev/null   # writes the engine snapshot
echo "| format | median of 11 runs |"
echo "|---|---|"
for f in md html xlsx docx pdf; do
  times=()
  for _ in $(seq 11); do
    s=$(date +%s%N)
    $bin --data "$work/data" report --area 79 --period 2020-10 --format "$f" --date 2020-11-11 -o "$work/r.$f" 2>/dev/null
    e=$(date +%s%N)
    times+=($(( (e - s) / 1000000 )))
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 6p)
  echo "| $f | $median ms |"
done
