"""The DuckDB side of BENCHMARKS.md: plain SQL over the same CSV.

Usage: python duckdb_bench.py DIR AREA [REPS]
Prints JSON: the ingest rate of read_csv into a table, and the median time
of Q1-Q4 (results fetched into Python, as a client would).
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
con.execute("DROP TABLE IF EXISTS areas")
t = time.perf_counter()
con.execute(
    f"""CREATE TABLE obs AS SELECT indicator, area,
        CAST(substr(period, 1, 4) AS INTEGER) AS year,
        CAST(substr(period, 6, 2) AS INTEGER) AS month, value
        FROM read_csv('{d}/data.csv', header = true,
          columns = {{'indicator': 'VARCHAR', 'area': 'VARCHAR', 'period': 'VARCHAR', 'value': 'DOUBLE'}})"""
)
con.execute("CHECKPOINT")
ingest_s = time.perf_counter() - t
rows = con.execute("SELECT count(*) FROM obs").fetchone()[0]
t = time.perf_counter()
raw = con.execute(f"SELECT count(*) FROM read_csv('{d}/data.csv', header = true)").fetchone()[0]
raw_s = time.perf_counter() - t
con.execute(f"CREATE TABLE areas AS SELECT * FROM read_csv('{d}/areas.csv', header = true, all_varchar = true)")

Y, M = 2025, 10
Q = {
    "q1": f"""SELECT indicator,
        sum(value) FILTER (WHERE year = {Y} AND month = {M}) AS month_value,
        sum(value) FILTER (WHERE year = {Y} AND month <= {M}) AS cumulative,
        sum(value) FILTER (WHERE year = {Y} AND month = {M})
          / sum(value) FILTER (WHERE year = {Y - 1} AND month = {M}) * 100 - 100 AS yoy,
        sum(value) FILTER (WHERE year = {Y} AND month <= {M})
          / sum(value) FILTER (WHERE year = {Y - 1} AND month <= {M}) * 100 - 100 AS cumulative_yoy
        FROM obs WHERE area = '{area}' AND year IN ({Y}, {Y - 1}) GROUP BY indicator""",
    "q2": f"""WITH c AS (SELECT area,
          sum(value) FILTER (WHERE year = {Y}) / sum(value) FILTER (WHERE year = {Y - 1}) * 100 - 100 AS yoy
          FROM obs WHERE indicator = 'I001' AND month <= {M} AND year IN ({Y}, {Y - 1}) GROUP BY area)
        SELECT c.area, c.yoy, rank() OVER (PARTITION BY a.grp ORDER BY c.yoy DESC) AS rank
        FROM c JOIN areas a USING (area)""",
    "q3": f"""SELECT year, month, value FROM obs WHERE indicator = 'I001' AND area = '{area}' ORDER BY year, month""",
    "q5": f"""WITH c AS (SELECT area,
          sum(value) FILTER (WHERE indicator = 'I001') / sum(value) FILTER (WHERE indicator = 'I002') * 100 AS ratio
          FROM obs WHERE indicator IN ('I001', 'I002') AND year = {Y} AND month <= {M} GROUP BY area)
        SELECT c.area, c.ratio, rank() OVER (PARTITION BY a.grp ORDER BY c.ratio DESC) AS rank
        FROM c JOIN areas a USING (area)""",
    "q4": f"""SELECT indicator, area,
          sum(value) FILTER (WHERE year = {Y}) / sum(value) FILTER (WHERE year = {Y - 1}) * 100 - 100 AS yoy
        FROM obs WHERE month <= {M} AND year IN ({Y}, {Y - 1}) GROUP BY indicator, area""",
}
out = {"observations": rows, "ingest_s": ingest_s, "ingest_obs_per_s": rows / ingest_s,
       "read_csv_count_s": raw_s, "read_csv_obs_per_s": raw / raw_s, "threads": con.execute("SELECT current_setting('threads')").fetchone()[0]}
check = con.execute(Q["q4"] + " ORDER BY indicator, area LIMIT 1").fetchone()
out["q4_first"] = check[2]
for name, sql in Q.items():
    times = []
    n = 0
    for _ in range(reps):
        t = time.perf_counter()
        n = len(con.execute(sql).fetchall())
        times.append((time.perf_counter() - t) * 1000)
    out[name + "_ms"] = statistics.median(times)
    out[name + "_rows"] = n
# the same queries with the result kept inside DuckDB (an aggregate over
# it), to show how much of the time above is the transfer to Python
for name, sql in Q.items():
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        con.execute(f"SELECT count(*) FROM ({sql})").fetchall()
        times.append((time.perf_counter() - t) * 1000)
    out[name + "_in_db_ms"] = statistics.median(times)
print(json.dumps(out, indent=2))
