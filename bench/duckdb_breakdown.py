"""The DuckDB side of the breakdown benchmark (BENCHMARKS.md, "Breakdowns"):
the cube of bench/breakdown.sh loaded into a table sorted by the keys the
query filters on, and the query "one province, one month, every product:
value, year-to-date growth, share of the total, rank" in SQL.

Usage: python duckdb_breakdown.py DIR AREA [REPS]
Prints JSON: the load rate, the median time of the query fetched into Python
and counted inside DuckDB, and the figures (for the comparison with solieu).
"""
import json
import statistics
import sys
import time

import duckdb

d, area = sys.argv[1], sys.argv[2]
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 7
con = duckdb.connect(f"{d}/duck.db")
con.execute("DROP TABLE IF EXISTS obs")
t = time.perf_counter()
con.execute(
    f"""CREATE TABLE obs AS SELECT area,
        CAST(substr(period, 1, 4) AS INTEGER) AS year,
        CAST(substr(period, 6, 2) AS INTEGER) AS month, GOODS AS goods, PARTNER AS partner, value
        FROM read_csv('{d}/data.csv', header = true,
          columns = {{'indicator': 'VARCHAR', 'area': 'VARCHAR', 'period': 'VARCHAR', 'value': 'DOUBLE',
                      'GOODS': 'VARCHAR', 'PARTNER': 'VARCHAR'}})
        ORDER BY area, year, month, goods"""
)
con.execute("CHECKPOINT")
ingest_s = time.perf_counter() - t
rows = con.execute("SELECT count(*) FROM obs").fetchone()[0]
Y, M = 2025, 10
SQL = f"""WITH g AS (SELECT goods,
      sum(value) FILTER (WHERE year = {Y} AND month = {M}) AS v,
      sum(value) FILTER (WHERE year = {Y}) AS cur,
      sum(value) FILTER (WHERE year = {Y - 1}) AS prev
    FROM obs WHERE area = '{area}' AND year IN ({Y}, {Y - 1}) AND month <= {M} GROUP BY goods)
  SELECT goods, v, cur / prev * 100 - 100 AS cumulative_yoy, v / sum(v) OVER () * 100 AS share,
    rank() OVER (ORDER BY v DESC) AS rank FROM g ORDER BY goods"""
times = []
result = []
for _ in range(reps):
    t = time.perf_counter()
    result = con.execute(SQL).fetchall()
    times.append((time.perf_counter() - t) * 1000)
in_db = []
for _ in range(reps):
    t = time.perf_counter()
    con.execute(f"SELECT count(*) FROM ({SQL})").fetchall()
    in_db.append((time.perf_counter() - t) * 1000)
print(json.dumps({
    "observations": rows, "ingest_s": ingest_s, "ingest_obs_per_s": rows / ingest_s,
    "threads": con.execute("SELECT current_setting('threads')").fetchone()[0],
    "query_ms": statistics.median(times), "query_in_db_ms": statistics.median(in_db),
    "rows": [{"product": g, "value": v, "cumulative_yoy": y, "share": s, "rank": r} for g, v, y, s, r in result],
}, indent=2))
