#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), after replaying the
# regression inputs of earlier findings (fuzz/regressions/TARGET/*).
# Seeds come from solieu's own exports of the demo store (canonical CSV,
# SDMX-CSV 1.0, XLSX), the reference catalogue, and a few rules and periods.
# Needs cargo-fuzz (installed here if missing); libFuzzer's -Z flags run on
# the stable toolchain with RUSTC_BOOTSTRAP=1.
# FUZZ_SANITIZER=address (default) or none (faster to build and run: CI).
# FUZZ_BUILD=release (default) or dev (unoptimised: about half the build
# time, slower runs; CI's brief smoke runs).
# Usage: fuzz/run.sh [SECONDS] [TARGET…]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"; shift || true
san="${FUZZ_SANITIZER:-address}"
case "${FUZZ_BUILD:-release}" in release) mode=--release ;; dev) mode=--dev ;; *) echo "FUZZ_BUILD: release or dev" >&2; exit 2 ;; esac
# RUSTC_BOOTSTRAP is given to cargo fuzz alone: set for every cargo call it
# would change the fingerprints and rebuild the whole workspace
command -v cargo-fuzz >/dev/null || cargo install --locked -q cargo-fuzz
fuzz() { RUSTC_BOOTSTRAP=1 cargo fuzz "$@"; }
seeds=fuzz/seeds
# SOLIEU_BIN=path: the solieu binary that makes the seeds (default: cargo run)
solieu() { if [ -n "${SOLIEU_BIN:-}" ]; then "$SOLIEU_BIN" "$@"; else cargo run --locked -q -p solieu -- "$@"; fi; }
if [ ! -d "$seeds" ]; then
  tmp=$(mktemp -d)
  mkdir -p "$seeds"/{import_text,import_xlsx,period,number,legacy_text,rule}
  solieu --data "$tmp/data" demo >/dev/null
  solieu --data "$tmp/data" export --area 79 -o "$seeds/import_text/canonical.csv" >/dev/null
  solieu --data "$tmp/data" export --area 79 --format sdmx-csv -o "$seeds/import_text/sdmx1.csv" >/dev/null
  solieu --data "$tmp/data" export --area 79 --format xlsx -o "$seeds/import_xlsx/long.xlsx" >/dev/null
  head -c 4000 crates/solieu-model/reference/indicators.csv >"$seeds/legacy_text/indicators.csv"
  printf 'indicator,area,period,value\nEXPORTS,79,2020-10,"3.924,7"\n' >"$seeds/import_text/vn.csv"
  printf '%s\n' 2020 2020-10 2020-Q3 2020-S1 2020-01/2020-10 "Tháng 10/2020" 2020-M10 | while read -r p; do printf '%s' "$p" >"$seeds/period/$(echo "$p" | md5sum | cut -c1-8)"; done
  printf '%s\n' 1172800.5 1.172.800,5 9,9 -0 1e309 "(5,5)" | while read -r n; do printf '%s' "$n" >"$seeds/number/$(echo "$n" | md5sum | cut -c1-8)"; done
  printf '%s\n' 'cumulative(RETAIL_GOODS, m) >= cumulative(RETAIL_GOODS, m-1)' 'EXPORTS = EXPORTS_FDI + EXPORTS_DOMESTIC' 'abs(yoy_pct(EXPORTS)) <= 50 and not (IIP < 0)' | while read -r r; do printf '%s' "$r" >"$seeds/rule/$(echo "$r" | md5sum | cut -c1-8)"; done
  cp "$seeds/import_text/vn.csv" "$seeds/legacy_text/"
  rm -rf "$tmp"
fi
if [ ! -d "$seeds/http_query" ]; then
  # a route number (the first byte), then a query string of that route
  mkdir -p "$seeds/http_query"
  n=0
  while read -r route q; do
    printf "\\x$(printf %02x "$route")%s" "$q" >"$seeds/http_query/$n"; n=$((n + 1))
  done <<'SEEDS'
0 indicator=RETAIL_GOODS,EXPORTS&area=79&period=2020-10&measure=value,cumulative,yoy_pct,cumulative_yoy_pct&as_of=2020-11-15
1 indicator=EXPORTS&area=79,75&period=2020-01..2020-10&measure=rank_yoy,share_pct&limit=5&offset=2&explain=true
2 search=ho%20chi%20minh&on=2025-07-01
5 area=79&period=2020-10&format=md&lang=en&as_of=2020-11-11
6 format=sdmx-csv&indicator=EXPORTS&area=79
7 form=BC_THANG&from=2020-01&to=2020-10
10 area=79&period=2020-10
11 startPeriod=2020-01&endPeriod=2020-10&detail=dataonly&dimensionAtObservation=AllDimensions
13 c[TIME_PERIOD]=ge:2020-01+le:2020-10&c[OBS_VALUE]=gt:100&asOf=2020-06-01T00:00:00Z&attributes=none&measures=all
14 references=all&detail=full
SEEDS
fi
cd fuzz
targets=("$@"); [ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(fuzz list)
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  if [ -d "regressions/$t" ]; then
    # every earlier finding, replayed: a regression fails here
    fuzz run -s "$san" "$mode" "$t" "regressions/$t" -- -runs=0 >/dev/null 2>&1 \
      || { echo "fuzz $t: a regression input fails again"; fuzz run -s "$san" "$mode" "$t" "regressions/$t" -- -runs=0; exit 1; }
  fi
  echo "== fuzz $t for ${secs}s"
  fuzz run -s "$san" "$mode" "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -max_len=1048576 -timeout=20 -print_final_stats=1 2>&1 \
    | grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|SUMMARY|.*panicked)' || true
  # libFuzzer leaves crash-*/oom-*/timeout-* files in artifacts/ on a finding
  if compgen -G "artifacts/$t/*" >/dev/null; then
    echo "fuzz $t: FOUND $(ls "artifacts/$t" | wc -l) input(s) in fuzz/artifacts/$t"; exit 1
  fi
done
