#!/usr/bin/env bash
# The soak of RELIABILITY.md: `solieu serve` (release) under a steady mix of
# reads (derived figures), submissions (a reporter's CSV resubmitted
# unchanged: the whole write path - parse, validate, scope, transaction,
# audit, rules - without growing the data) and report downloads, for
# DURATION in SEGMENTS back to back, so that latency can be compared over
# time; the server's resident memory is sampled every 10 s.
# Usage: bench/soak.sh [demo|national DIR]
#   demo: a fresh demo store (reads of Ho Chi Minh City, the October 2020 report)
#   national DIR: the benchmark store of bench/run.sh national (the dashboard queries)
#   DURATION=30m SEGMENTS=6 CONNS=32 THREADS=2
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-demo}"; dir="${2:-}"
dur="${DURATION:-30m}"; segs="${SEGMENTS:-6}"; conns="${CONNS:-32}"; threads="${THREADS:-2}"
command -v wrk >/dev/null || { echo "wrk is needed (Debian package wrk)" >&2; exit 2; }
cargo build --release --locked -q -p solieu
bin=target/release/solieu
out=$(mktemp -d); trap 'kill "$pid" "$sampler" 2>/dev/null || true; rm -rf "$out"' EXIT
case "$kind" in
  demo)
    data="$out/data"; "$bin" --data "$data" demo >/dev/null
    reads='"/api/v1/observations?indicator=RETAIL_GOODS,EXPORTS,IIP,BUDGET_REVENUE&area=79&period=2020-10&measure=value,cumulative,yoy_pct,cumulative_yoy_pct",
  "/api/v1/observations?indicator=RETAIL_GOODS&area=79,75,74,77,70,72,80,82&period=2020-10&measure=cumulative_yoy_pct,rank_yoy",
  "/api/v1/observations?indicator=EXPORTS&area=79&period=2019-01..2020-10&measure=value",
  "/sdmx/v2/data/dataflow/SOLIEU/DF_SOLIEU/1.0/M.RETAIL_GOODS.79.?c%5BTIME_PERIOD%5D=ge%3A2020-01"'
    submission='indicator,area,period,measure,value,status\nRETAIL_GOODS,79,2020-10,level,72212.8,A\n'
    report='"/api/v1/report?area=79&period=2020-10&format=html"'
    ;;
  national)
    [ -f "$dir/store/solieu.db" ] || { echo "no store in $dir: run bench/run.sh national first" >&2; exit 2; }
    data="$dir/store"
    [ -f "$dir/engine.snapshot" ] && [ ! -e "$data/engine.snapshot" ] && ln -s ../engine.snapshot "$data/engine.snapshot"
    . bench/dashboard.sh
    reads=$(dashboard_lua | sed -n '/^local paths = {/,/^}/p' | sed '1d;$d')
    submission='indicator,area,period,measure,value,status\nI001,00042,2025-10,level,1234.5,A\n'
    report=''
    ;;
  *) echo "usage: bench/soak.sh [demo|national DIR]" >&2; exit 2 ;;
esac
printf 'soak-password-123\n' | "$bin" --data "$data" user add soak --role analyst >/dev/null 2>&1 || true
token=$("$bin" --data "$data" token create soak 2>/dev/null)
start=$(date +%s)
SOLIEU_LOG=warn "$bin" --data "$data" serve --addr 127.0.0.1:0 --public all --rate-limit 0 >"$out/serve.out" 2>"$out/serve.log" &
pid=$!
for _ in $(seq 1 3000); do grep -q "listening on" "$out/serve.out" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's/.*listening on http:\/\///p' "$out/serve.out")
[ -n "$addr" ] || { cat "$out/serve.log"; exit 1; }
echo "server ready in $(( $(date +%s) - start )) s at $addr"
# the first submission may revise the figure; every later one is unchanged
curl -s -o /dev/null -w "first submission: %{http_code}\n" -H "Authorization: Bearer $token" -H 'Content-Type: text/csv' \
  --data-binary "$(printf "$submission")" "http://$addr/api/v1/submissions"

# every read answers 200 before the run
for path in $(echo "$reads $report" | grep -o '"/[^"]*"' | tr -d '"'); do
  code=$(curl -s -g -o /dev/null -w '%{http_code}' "http://$addr$path")
  [ "$code" = 200 ] || { echo "$code for $path" >&2; exit 1; }
done
cat > "$out/mix.lua" <<LUA
local reads = {
  $reads
}
local report = ${report:-nil}
local body = "$submission"
local n = 0
request = function()
  n = n + 1
  if n % 20 == 0 then
    return wrk.format("POST", "/api/v1/submissions",
      { ["Authorization"] = "Bearer $token", ["Content-Type"] = "text/csv" }, body)
  elseif n % 20 == 10 and report then
    return wrk.format("GET", report)
  end
  return wrk.format("GET", reads[n % #reads + 1])
end
LUA
( while kill -0 "$pid" 2>/dev/null; do echo "$(( $(date +%s) - start )),$(ps -o rss= -p "$pid" | tr -d ' ')"; sleep 10; done ) > "$out/rss.csv" &
sampler=$!

seconds() { case "$1" in *m) echo $(( ${1%m} * 60 ));; *s) echo "${1%s}";; *) echo "$1";; esac; }
seg=$(( $(seconds "$dur") / segs ))
echo "== $segs segments of ${seg} s, $conns connections: 90 % reads, 5 % submissions, 5 % report downloads (demo)"
for i in $(seq 1 "$segs"); do
  wrk -t"$threads" -c"$conns" -d"${seg}s" --latency -s "$out/mix.lua" "http://$addr" > "$out/seg$i.txt"
  echo "segment $i: $(grep -E 'Requests/sec' "$out/seg$i.txt" | xargs), rss $(ps -o rss= -p "$pid" | awk '{printf "%.0f MiB", $1/1024}')"
done
args=(); for i in $(seq 1 "$segs"); do args+=("segment $i=$out/seg$i.txt"); done
python3 bench/wrk_table.py "${args[@]}"
python3 - "$out/rss.csv" <<'PY'
import sys
rows = [tuple(map(int, l.split(","))) for l in open(sys.argv[1]) if l.strip().count(",") == 1 and l.strip().split(",")[1]]
rss = [r[1] / 1024 for r in rows]
n = len(rss); q = max(1, n // 6)
print(f"resident memory, {n} samples every 10 s: first {rss[0]:.0f} MiB, max {max(rss):.0f} MiB, last {rss[-1]:.0f} MiB; "
      f"mean of the first sixth {sum(rss[:q]) / q:.0f} MiB, of the last sixth {sum(rss[-q:]) / q:.0f} MiB")
PY
grep -cE "ERROR|panicked" "$out/serve.log" | xargs -I{} echo "server log: {} error lines"
grep -E "ERROR|panicked" "$out/serve.log" | head -5 || true
