#!/usr/bin/env bash
# Crash and disk-full trials (RELIABILITY.md). Each trial starts from a copy
# of a store, then kills solieu with SIGKILL at a random moment while it
# writes — a large import (odd trials) or a burst of API submissions to
# `solieu serve` (even trials) — and checks the store afterwards:
# `solieu check` (SQLite integrity_check, foreign keys, every import whole)
# and the number of vintages, which must be what it was before the write or
# after it, never in between for an import. Then a disk-full trial: the store
# on a small tmpfs (root only), an import too large for it: a clear error,
# the store intact.
# Usage: tests/reliability/crash_trials.sh [TRIALS=50]
#   SOLIEU_BIN=path: the binary to try (default: a release build made here)
set -euo pipefail
cd "$(dirname "$0")/../.."
trials="${1:-50}"
if [ -z "${SOLIEU_BIN:-}" ]; then
  cargo build --release --locked -q -p solieu
  SOLIEU_BIN="$PWD/target/release/solieu"
fi
bin="$SOLIEU_BIN"
work=$(mktemp -d)
trap 'pkill -9 -f "$work" 2>/dev/null || true; umount "$work/full" 2>/dev/null || true; rm -rf "$work"' EXIT
vintages() { "$bin" --data "$1" check | tr ',' '\n' | sed -n 's/^ *\([0-9]*\) vintages.*/\1/p'; }
"$bin" --data "$work/base" init >/dev/null
printf 'indicator,area,period,value\nEXPORTS,79,2020-10,3700\n' >"$work/small.csv"
"$bin" --data "$work/base" import "$work/small.csv" >/dev/null
"$bin" --data "$work/base" user add admin --role admin <<<"correct horse battery" >/dev/null
token=$("$bin" --data "$work/base" token create admin 2>/dev/null)
# 63 provinces × 16 indicators × 120 months = 120,960 observations
awk 'BEGIN {
  split("01 02 04 06 08 10 11 12 14 15 17 19 20 22 24 25 26 27 30 31 33 34 35 36 37 38 40 42 44 45 46 48 49 51 52 54 56 58 60 62 64 66 67 68 70 72 74 75 77 79 80 82 83 84 86 87 89 91 92 93 94 95 96", p, " ");
  split("RETAIL_TOTAL RETAIL_GOODS EXPORTS IMPORTS BUDGET_REVENUE BUDGET_EXPENDITURE INVESTMENT_TOTAL FDI_REGISTERED NEW_ENTERPRISES TOURISM_REVENUE ST_TASKS_CONTRACTED ST_INNOVATION_EVENTS BUDGET_REVENUE_DOMESTIC FDI_NEW_PROJECTS NEW_ENTERPRISE_CAPITAL INVESTMENT_STATE_BUDGET", ind, " ");
  print "indicator,area,period,value,status,source";
  for (k in ind) for (a in p) for (y = 2010; y < 2020; y++) for (m = 1; m <= 12; m++)
    printf "%s,%s,%d-%02d,%d.5,A,crash trial\n", ind[k], p[a], y, m, k * 1000 + m
}' >"$work/big.csv"
base_v=$(vintages "$work/base")
full_v=$((base_v + $(($(wc -l <"$work/big.csv") - 1))))
survived=0; killed=0; committed=0; api_writes=0
for t in $(seq 1 "$trials"); do
  d="$work/t$t"; rm -rf "$d"; cp -r "$work/base" "$d"
  if (( t % 2 )); then
    # a release build imports the 120,960 figures in well under a second
    delay=$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.3f", 0.02 + rand() * 0.5 }')
    "$bin" --data "$d" import "$work/big.csv" >/dev/null 2>&1 & pid=$!
    sleep "$delay"; kill -9 "$pid" 2>/dev/null && killed=$((killed + 1)) || true; wait "$pid" 2>/dev/null || true
    v=$(vintages "$d") || { echo "trial $t: the store does not pass its check after the kill"; exit 1; }
    if [ "$v" = "$full_v" ]; then committed=$((committed + 1));
    elif [ "$v" != "$base_v" ]; then echo "trial $t: $v vintages: a killed import left part of itself ($base_v before, $full_v whole)"; exit 1; fi
  else
    delay=$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.3f", 0.2 + rand() * 1.5 }')
    port=$((20000 + RANDOM % 20000))
    "$bin" --data "$d" serve --addr "127.0.0.1:$port" --public all --rate-limit 0 >"$d.out" 2>&1 & pid=$!
    for _ in $(seq 1 100); do grep -q "listening" "$d.out" 2>/dev/null && break; sleep 0.05; done
    # a burst of submissions, each one figure, until the kill
    ( for i in $(seq 1 2000); do
        curl -s -o /dev/null -X POST "http://127.0.0.1:$port/api/v1/submissions" -H "Authorization: Bearer $token" \
          -H 'Content-Type: application/json' \
          -d "{\"observations\":[{\"indicator\":\"EXPORTS\",\"area\":\"79\",\"period\":\"2021-01\",\"value\":$i}]}" || break
      done ) & burst=$!
    sleep "$delay"; kill -9 "$pid" 2>/dev/null && killed=$((killed + 1)) || true; wait "$pid" 2>/dev/null || true
    kill "$burst" 2>/dev/null || true; wait "$burst" 2>/dev/null || true
    v=$(vintages "$d") || { echo "trial $t: the store does not pass its check after the kill"; exit 1; }
    api_writes=$((api_writes + v - base_v))
  fi
  survived=$((survived + 1)); rm -rf "$d" "$d.out"
done
echo "crash trials: $trials, $killed killed while writing, $survived stores intact ($committed imports had committed before the kill; $api_writes API writes kept in all)"
# disk full: a tmpfs 4 MiB larger than the store, an import that needs far more
if [ "$(id -u)" = 0 ] && mkdir -p "$work/full" \
   && mount -t tmpfs -o size=$(( $(du -sk "$work/base" | cut -f1) + 4096 ))k tmpfs "$work/full" 2>/dev/null; then
  cp -r "$work/base" "$work/full/data"
  before=$(vintages "$work/full/data")
  if "$bin" --data "$work/full/data" import "$work/big.csv" >"$work/full.out" 2>&1; then
    echo "disk full: the import fitted; make it larger"; exit 1
  fi
  grep -qi "full\|space" "$work/full.out" || { echo "disk full: unclear error:"; cat "$work/full.out"; exit 1; }
  after=$(vintages "$work/full/data") || { echo "disk full: the store does not pass its check"; exit 1; }
  [ "$after" = "$before" ] || { echo "disk full: $before vintages before, $after after"; exit 1; }
  echo "disk full: refused with \"$(grep -i -m1 'full\|space' "$work/full.out" | cut -c1-160)\"; store intact ($after vintages)"
else
  echo "disk full: skipped (needs root to mount a tmpfs)"
fi
