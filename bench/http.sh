#!/usr/bin/env bash
# The HTTP load benchmark of BENCHMARKS.md: `solieu serve` over a benchmark
# store (built by bench/run.sh), driven by wrk at 64 connections with the
# leaders' dashboard queries, beside the server's floor (/api/v1/health) in
# the same run. Usage: bench/http.sh [WORKDIR] (default target/bench-regional)
#   CONNS=64 DURATION=30s THREADS=2
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-target/bench-regional}"
conns="${CONNS:-64}"; dur="${DURATION:-30s}"; threads="${THREADS:-2}"
[ -f "$work/store/solieu.db" ] || { echo "no store in $work: run bench/run.sh first" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is needed (Debian package wrk)" >&2; exit 2; }
cargo build --release --locked -q -p solieu
# the engine snapshot the benchmark harness wrote beside the store
[ -f "$work/engine.snapshot" ] && [ ! -e "$work/store/engine.snapshot" ] && ln -s ../engine.snapshot "$work/store/engine.snapshot"
out=$(mktemp -d); trap 'kill "$pid" 2>/dev/null || true; rm -rf "$out"' EXIT
start=$(date +%s.%N)
# one benchmark client from one address: no per-caller rate limit here
SOLIEU_LOG=warn target/release/solieu --data "$work/store" serve --addr 127.0.0.1:0 --public all --rate-limit 0 >"$out/serve.out" 2>"$out/serve.log" &
pid=$!
for _ in $(seq 1 1200); do grep -q "listening on" "$out/serve.out" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's/.*listening on http:\/\///p' "$out/serve.out")
[ -n "$addr" ] || { cat "$out/serve.log"; exit 1; }
echo "server ready in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s at $addr; rss $(ps -o rss= -p "$pid" | awk '{printf "%.2f GiB", $1/1048576}')"

. bench/dashboard.sh
dashboard_lua > "$out/dash.lua"
# every query answers 200 with figures before timing
while read -r path; do
  code=$(python3 -c "import sys,urllib.request,json; r=urllib.request.urlopen('http://$addr'+sys.argv[1]); d=json.load(r); assert d['total']>0 and any(x['value'] is not None for x in d['rows']); print(r.status, d['total'])" "$path")
  echo "  $code figures: ${path:0:90}…"
done < <(grep -o '"/api[^"]*"' "$out/dash.lua" | tr -d '"')

run() { wrk -t"$threads" -c"$conns" -d"$1" --latency ${3:+-s "$3"} "http://$addr$2"; }
echo "== floor: GET /api/v1/health, $conns connections, 10s"
run 10s /api/v1/health | tee "$out/floor.txt" | grep -E "Latency|Requests/sec|50%|99%|Non-2xx|Socket errors"
echo "== dashboard mix, $conns connections, $dur"
run "$dur" / "$out/dash.lua" | tee "$out/dash.txt" | grep -E "Latency|Requests/sec|50%|90%|99%|Non-2xx|Socket errors"
python3 bench/wrk_table.py "floor (/api/v1/health)=$out/floor.txt" "dashboard mix=$out/dash.txt"
echo "rss after: $(ps -o rss= -p "$pid" | awk '{printf "%.2f GiB", $1/1048576}')"
