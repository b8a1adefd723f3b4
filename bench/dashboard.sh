# Sourced by bench/http.sh and bench/nodes.sh: the leaders' dashboard as a
# wrk script (a province's key indicators: month, year-to-date, both
# growths; the provinces ranked by year-to-date growth; a 22-month
# sparkline; a commune's key indicators), on the benchmark data set.
dashboard_lua() {
  local inds provs
  inds=$(seq -f 'I%03g' 1 10 | paste -sd,)
  provs=$(seq -f '%02g' 1 34 | paste -sd,)
  cat <<LUA
local paths = {
  "/api/v1/observations?indicator=$inds&area=01&period=2025-10&measure=value,cumulative,yoy_pct,cumulative_yoy_pct",
  "/api/v1/observations?indicator=I001&area=$provs&period=2025-01/2025-10&measure=cumulative_yoy_pct,rank_yoy",
  "/api/v1/observations?indicator=I001&area=01&period=2024-01..2025-10&measure=value",
  "/api/v1/observations?indicator=$inds&area=00042&period=2025-10&measure=value,yoy_pct",
}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
LUA
}
