# DuckDB (PyPI) reads what `solieu export --format parquet` wrote: one file and
# a Hive-partitioned archive, with the same rows as the canonical CSV export.
# Usage: python duckdb_check.py ONE.parquet ARCHIVE_DIR CANONICAL.csv
import csv, sys
import duckdb

one, archive, canonical = sys.argv[1:4]
with open(canonical, encoding="utf-8") as f:
    want = sum(1 for _ in csv.DictReader(f))
c = duckdb.connect()
n_one = c.execute(f"select count(*) from read_parquet('{one}')").fetchone()[0]
n_arch, years = c.execute(
    f"select count(*), count(distinct year) from read_parquet('{archive}/*/*/*.parquet', hive_partitioning=true)"
).fetchone()
assert n_one == want == n_arch, (n_one, n_arch, want)
# retail sales of Ho Chi Minh City, October 2020: 72.212,8 tỷ đồng, with its types
row = c.execute(
    f"""select value, unit, period_start, year_to_date, typeof(recorded_at)
        from read_parquet('{archive}/*/*/*.parquet', hive_partitioning=true)
        where indicator = 'RETAIL_GOODS' and year = 2020 and area = '79'
          and period = '2020-10' and measure = 'level'"""
).fetchone()
assert row[0] == 72212.8 and row[1] == "tỷ đồng" and str(row[2]) == "2020-10-01" and row[3] is False, row
assert row[4] == "TIMESTAMP WITH TIME ZONE", row
# ten months, year on year: +9,9 %
ytd = c.execute(
    f"""select value from read_parquet('{one}')
        where indicator = 'RETAIL_GOODS' and area = '79' and period = '2020-01/2020-10'
          and measure = 'yoy_pct'"""
).fetchone()
assert ytd[0] == 9.9, ytd
# a breakdown column per list: exports of Ho Chi Minh City in October 2020 by product group,
# the groups adding up to the total (null product)
groups, parts, total = c.execute(
    f"""select count(*) filter (where product is not null),
               sum(value) filter (where product is not null),
               max(value) filter (where product is null and dims = '')
        from read_parquet('{archive}/*/*/*.parquet', hive_partitioning=true)
        where indicator = 'EXPORTS' and year = 2020 and area = '79' and period = '2020-10'
          and measure = 'level'"""
).fetchone()
assert groups >= 10 and abs(parts - total) < 0.05 * groups, (groups, parts, total)
print(f"duckdb ok: {n_one} rows in one file and in {years} years of partitions, as in the CSV export")
