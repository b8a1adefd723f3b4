#!/usr/bin/env bash
# Two solieu nodes on one PostgreSQL, as BENCHMARKS.md records them: each
# node's start (its engine built from the database), the dashboard queries
# of bench/http.sh at 128 connections spread over both nodes (a round-robin
# client: half the connections on each), beside the floor (/api/v1/health)
# in the same run, then the visibility delay: submissions through node A
# read back through node B's derived figures (median and max).
# Usage: bench/nodes.sh DATABASE_URL
#   DATABASE_URL: a database filled by `solieu-bench pg` (bench/run.sh's data set)
#   CONNS=128 DURATION=30s THREADS=2 SUBMISSIONS=30
set -euo pipefail
cd "$(dirname "$0")/.."
url=${1:?usage: bench/nodes.sh postgres://… (a database filled by solieu-bench pg)}
conns="${CONNS:-128}"; dur="${DURATION:-30s}"; threads="${THREADS:-2}"; subs="${SUBMISSIONS:-30}"
command -v wrk >/dev/null || { echo "wrk is needed (Debian package wrk)" >&2; exit 2; }
cargo build --release --locked -q -p solieu
bin=target/release/solieu
out=$(mktemp -d); pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$out"' EXIT

start=$(date +%s.%N)
for n in a b; do
  SOLIEU_LOG=warn "$bin" --data "$out/$n" --database "$url" serve --addr 127.0.0.1:0 --public all --rate-limit 0 \
    >"$out/$n.out" 2>"$out/$n.log" &
  pids+=($!)
done
addr() { sed -n 's/.*listening on http:\/\///p' "$out/$1.out"; }
for _ in $(seq 1 3000); do [ -n "$(addr a)" ] && [ -n "$(addr b)" ] && break; sleep 0.1; done
a=$(addr a); b=$(addr b)
[ -n "$a" ] && [ -n "$b" ] || { cat "$out/a.log" "$out/b.log"; exit 1; }
echo "two nodes ready in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s (started together, each building its engine from PostgreSQL); rss $(ps -o rss= -p "${pids[0]}" | awk '{printf "%.2f GiB", $1/1048576}') each"

. bench/dashboard.sh
dashboard_lua > "$out/dash.lua"
half=$((conns / 2))
run() { wrk -t"$threads" -c"$half" -d"$2" --latency ${4:+-s "$4"} "http://$1$3"; }
echo "== floor: GET /api/v1/health on both nodes, $conns connections, 10s"
run "$a" 10s /api/v1/health > "$out/floor-a.txt" & run "$b" 10s /api/v1/health > "$out/floor-b.txt"; wait %%
echo "== dashboard mix on both nodes, $conns connections, $dur"
run "$a" "$dur" / "$out/dash.lua" > "$out/dash-a.txt" & run "$b" "$dur" / "$out/dash.lua" > "$out/dash-b.txt"; wait %%
echo "== the same $conns connections on node A alone (node B idle), $dur: what a second node on the same cores adds"
wrk -t"$threads" -c"$conns" -d"$dur" --latency -s "$out/dash.lua" "http://$a/" > "$out/dash-one.txt"
python3 bench/wrk_table.py "floor, node A=$out/floor-a.txt" "floor, node B=$out/floor-b.txt" \
  "dashboard, node A=$out/dash-a.txt" "dashboard, node B=$out/dash-b.txt" "dashboard, node A alone=$out/dash-one.txt"

echo "== visibility: $subs submissions through node A, each read back through node B"
printf 'bench-pass-1234567\n' | "$bin" --database "$url" user add bench_nodes --role analyst >/dev/null 2>&1 || true
token=$("$bin" --database "$url" token create bench_nodes 2>/dev/null)
python3 - "$a" "$b" "$token" "$subs" <<'PY'
import json, statistics, sys, time, urllib.request
a, b, token, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
fig = f"http://{b}/api/v1/observations?indicator=I001&area=01&period=2025-10&measure=value"
delays = []
for k in range(n):
    value = 7_000_000 + time.time_ns() % 1_000_000 + k
    body = f"indicator,area,period,value\nI001,01,2025-10,{value}\n".encode()
    req = urllib.request.Request(f"http://{a}/api/v1/submissions", data=body, method="POST",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"})
    assert urllib.request.urlopen(req).status == 201
    t = time.perf_counter()
    while json.load(urllib.request.urlopen(fig))["rows"][0]["value"] != value:
        assert time.perf_counter() - t < 30, "node B never showed the submission"
        time.sleep(0.002)
    delays.append((time.perf_counter() - t) * 1000)
print(f"visible through node B after: median {statistics.median(delays):.0f} ms, max {max(delays):.0f} ms ({n} submissions)")
PY
