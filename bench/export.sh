#!/usr/bin/env bash
# Exports at national scale, solieu and DuckDB side by side in one run: the
# whole store as a Hive-partitioned Parquet archive (indicator, year) and as
# one CSV file; wall time and peak memory of each.
# Usage: bench/export.sh WORKDIR   (a directory made by `bench/run.sh national`:
# WORKDIR/store holds the solieu store, WORKDIR/duck.db the same data in DuckDB)
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:?usage: bench/export.sh WORKDIR}"
venv=target/bench-venv
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv"; "$venv/bin/pip" install --quiet duckdb; }
cargo build --release --locked -q -p solieu
out="$work/export"
rm -rf "$out"; mkdir -p "$out"
measure() { # label, command…: prints "label seconds peak_MiB"
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" >/dev/null
  read -r s kb <"$out/time.txt"
  printf '%s %s %s\n' "$label" "$s" "$((kb / 1024))"
}
duck() { "$venv/bin/python" - "$work/duck.db" "$1" <<'PY'
import sys, duckdb
db, what = sys.argv[1:3]
c = duckdb.connect(db, read_only=True)
cols = """indicator, area, printf('%d-%02d', year, month) AS period, 'M' AS freq,
  make_date(year, month, 1) AS period_start, last_day(make_date(year, month, 1)) AS period_end,
  false AS year_to_date, 'level' AS measure, '' AS dims, value, 'unit' AS unit, 'A' AS status,
  '' AS source, '' AS note, now() AS recorded_at, 'bench' AS submitter, year"""
if what.endswith(".csv"):
    c.execute(f"COPY (SELECT {cols} FROM obs) TO '{what}' (HEADER)")
else:
    c.execute(f"COPY (SELECT {cols} FROM obs) TO '{what}' (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (indicator, year))")
PY
}
export -f duck; export venv work
{
  measure solieu_parquet target/release/solieu --data "$work/store" export --format parquet -o "$out/solieu-archive"
  measure duckdb_parquet bash -c "duck '$out/duck-archive'"
  measure solieu_csv target/release/solieu --data "$work/store" export -o "$out/solieu.csv"
  measure duckdb_csv bash -c "duck '$out/duck.csv'"
} | tee "$out/results.txt"
rows=$("$venv/bin/python" -c "
import duckdb; c = duckdb.connect()
a = c.execute(\"select count(*) from read_parquet('$out/solieu-archive/*/*/*.parquet', hive_partitioning=true)\").fetchone()[0]
b = c.execute(\"select count(*) from read_parquet('$out/duck-archive/*/*/*.parquet', hive_partitioning=true)\").fetchone()[0]
assert a == b, (a, b); print(a)")
echo "rows: $rows in both archives (DuckDB reads solieu's back)"
du -sm "$out"/solieu-archive "$out"/duck-archive "$out"/solieu.csv "$out"/duck.csv
