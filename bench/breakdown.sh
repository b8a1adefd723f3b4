#!/usr/bin/env bash
# The breakdown benchmark of BENCHMARKS.md: one indicator broken down by
# products × markets for every province and month, in solieu and DuckDB on the
# same CSV, same machine, same run; the complete results compared.
# Usage: bench/breakdown.sh [national|small] [WORKDIR]
#   national: 40 products × 200 markets × 34 provinces × 144 months = 39.2 M observations
#   small:    10 products × 20 markets × 8 provinces × 36 months = 57,600 observations
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-small}"
work="${2:-target/bench-breakdown-$scale}"
case "$scale" in
  national) args=(--products 40 --markets 200 --provinces 34 --months 144) ;;
  small) args=(--products 10 --markets 20 --provinces 8 --months 36) ;;
  *) echo "usage: bench/breakdown.sh [national|small] [WORKDIR]" >&2; exit 2 ;;
esac
cargo build --release --locked -p solieu-bench
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet duckdb
fi
mkdir -p "$work"
[ -f "$work/data.csv" ] || target/release/solieu-bench gen-breakdown --dir "$work" "${args[@]}"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "duckdb $("$venv/bin/python" -c 'import duckdb; print(duckdb.__version__)')"
# the CSV in the page cache before either side reads it
cat "$work/data.csv" > /dev/null
target/release/solieu-bench run-breakdown --dir "$work" "${args[@]}" > "$work/solieu.json"
area=$("$venv/bin/python" -c "import json; print(json.load(open('$work/solieu.json'))['area'])")
"$venv/bin/python" bench/duckdb_breakdown.py "$work" "$area" > "$work/duckdb.json"
"$venv/bin/python" - "$work" <<'PY'
import json, sys
w = sys.argv[1]
s, d = (json.load(open(f"{w}/{n}.json")) for n in ("solieu", "duckdb"))
# the complete result sets, figure by figure: values within 1e-9 relative, ranks equal
a = {r["product"]: r for r in s["rows"]}
b = {r["product"]: r for r in d["rows"]}
assert a.keys() == b.keys(), (sorted(a), sorted(b))
for k in a:
    for f in ("value", "cumulative_yoy", "share"):
        x, y = a[k][f], b[k][f]
        assert abs(x - y) <= 1e-9 * max(abs(x), abs(y), 1.0), (k, f, x, y)
    assert int(a[k]["rank"]) == int(b[k]["rank"]), (k, a[k]["rank"], b[k]["rank"])
print(f"observations: {s['observations']:,}; results identical ({len(a)} products × 4 figures)")
print("| measurement | solieu | DuckDB | ratio (DuckDB ÷ solieu time) |")
print("|---|---|---|---|")
print(f"| ingest CSV → durable store | {s['ingest_obs_per_s']:,.0f} obs/s | {d['ingest_obs_per_s']:,.0f} obs/s (sorted table) | {s['ingest_obs_per_s']/d['ingest_obs_per_s']:.2f}× |")
print(f"| one province, one month, every product: value, YTD growth, share, rank | {s['query_ms']:.3f} ms (first {s['query_first_ms']:.3f} ms) | {d['query_ms']:.3f} ms fetched ({d['query_in_db_ms']:.3f} ms counted in DuckDB) | {d['query_ms']/s['query_ms']:.1f}× ({d['query_in_db_ms']/s['query_ms']:.1f}×) |")
print(f"| engine ready after ingest | {s['load_s']:.1f} s | | |")
print(f"| store size | {s['store_bytes']/2**30:.2f} GiB | | |")
PY
