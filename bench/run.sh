#!/usr/bin/env bash
# The benchmark of BENCHMARKS.md: solieu and DuckDB on the same CSV, same
# machine, same run. Usage: bench/run.sh [national|regional] [WORKDIR]
#   national: 34 provinces + 3,321 communes × 100 indicators × 144 months = 48.3 M observations
#   regional: 8 provinces + 300 communes × 30 indicators × 144 months = 1.3 M observations
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-regional}"
work="${2:-target/bench-$scale}"
case "$scale" in
  national) args=(--provinces 34 --communes 3321 --indicators 100 --months 144) ;;
  regional) args=(--provinces 8 --communes 300 --indicators 30 --months 144) ;;
  *) echo "usage: bench/run.sh [national|regional] [WORKDIR]" >&2; exit 2 ;;
esac
cargo build --release --locked -p solieu-bench
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet duckdb
fi
mkdir -p "$work"
[ -f "$work/data.csv" ] || target/release/solieu-bench gen --dir "$work" "${args[@]}"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "duckdb $("$venv/bin/python" -c 'import duckdb; print(duckdb.__version__)')"
target/release/solieu-bench run --dir "$work" "${args[@]}" > "$work/solieu.json"
target/release/solieu-bench load --dir "$work" > "$work/load.json"
target/release/solieu-bench load --dir "$work" --snapshot > "$work/restart.json"
area=$("$venv/bin/python" -c "import json,sys; print(json.load(open('$work/solieu.json'))['one_area'])")
"$venv/bin/python" bench/duckdb_bench.py "$work" "$area" > "$work/duckdb.json"
"$venv/bin/python" - "$work" <<'PY'
import json, sys
w = sys.argv[1]
s, d, l, r = (json.load(open(f"{w}/{n}.json")) for n in ("solieu", "duckdb", "load", "restart"))
print(f"observations: {s['observations']:,}")
print("| measurement | solieu | DuckDB | ratio (DuckDB ÷ solieu time) |")
print("|---|---|---|---|")
print(f"| ingest CSV → durable store | {s['ingest_obs_per_s']:,.0f} obs/s | {d['ingest_obs_per_s']:,.0f} obs/s (table), {d['read_csv_obs_per_s']:,.0f} obs/s (raw read_csv) | {s['ingest_obs_per_s']/d['read_csv_obs_per_s']:.2f}× of raw read_csv |")
for q in ("q1", "q2", "q3", "q4", "q5"):
    print(f"| {q.upper()} | {s[q+'_ms']:.3f} ms | {d[q+'_ms']:.3f} ms fetched ({d[q+'_in_db_ms']:.3f} ms counted in DuckDB) | {d[q+'_ms']/s[q+'_ms']:.1f}× ({d[q+'_in_db_ms']/s[q+'_ms']:.1f}×) |")
print(f"| one submission of 1,000 obs visible in derived figures | {s['fresh_1000_ms']:.1f} ms | | |")
print(f"| engine ready: first start (scan of the store) | {l['ready_s']:.1f} s | | |")
print(f"| engine ready: restart (snapshot) | {r['ready_s']:.1f} s | | |")
print(f"| resident memory per observation | {l['rss_bytes_per_obs']:.1f} B after a scan, {r['rss_bytes_per_obs']:.1f} B after a restart (cube columns {l['cube_bytes_per_obs']:.1f} B) | | |")
print(f"| store size | {s['store_bytes']/2**30:.2f} GiB | | |")
PY
