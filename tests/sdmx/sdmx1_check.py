# The SDMX 2.1 REST surface read by the real sdmx1 client (PyPI), against
# `solieu serve` on the demo store. Usage: python sdmx1_check.py http://HOST:PORT/sdmx/v1
import sys, sdmx
url = sys.argv[1]
sdmx.add_source({"id": "SOLIEU", "url": url, "name": "solieu", "supports": {"codelist": True, "structure-specific data": False}})
c = sdmx.Client("SOLIEU")
flows = c.dataflow()
assert list(flows.dataflow) == ["DF_SOLIEU"], flows
msg = c.dataflow("DF_SOLIEU")
dsd = msg.structure["DSD_SOLIEU"]
dims = [d.id for d in dsd.dimensions.components]
assert dims == ["FREQ", "INDICATOR", "REF_AREA", "MEASURE", "TIME_PERIOD"], dims
assert [a.id for a in dsd.attributes.components] == ["OBS_STATUS", "UNIT_MEASURE", "UNIT_MULT", "DECIMALS"]
areas = msg.codelist["CL_AREA"]
assert str(areas["79"].name.localizations["vi"]).startswith("Thành phố Hồ Chí Minh")
assert "79@2025-07-01" in areas, "area versions are codes"
s = sdmx.to_pandas(c.data("DF_SOLIEU", key="M.RETAIL_GOODS.79.VALUE", params={"startPeriod": "2020-01", "endPeriod": "2020-10"}))
assert len(s) == 10, s
assert abs(float(s.xs("2020-10", level="TIME_PERIOD").iloc[0]) - 72212.8) < 1e-6, s
g = sdmx.to_pandas(c.data("DF_SOLIEU", key="M.RETAIL_GOODS.79.YOY_PCT_YTD", params={"startPeriod": "2020-10", "endPeriod": "2020-10"}))
assert abs(float(g.iloc[0]) - 9.9) < 1e-9, g
last = sdmx.to_pandas(c.data("DF_SOLIEU", key="M.EXPORTS.79.VALUE", params={"lastNObservations": 1, "endPeriod": "2020-10"}))
assert list(last.index.get_level_values("TIME_PERIOD")) == ["2020-10"], last
# structure-specific data, read with the DSD (sdmx1 then asks for it itself)
ss = c.data("DF_SOLIEU", key="M.RETAIL_GOODS.79.VALUE", params={"startPeriod": "2020-10", "endPeriod": "2020-10"}, dsd=dsd)
v = sdmx.to_pandas(ss)
assert abs(float(v.iloc[0]) - 72212.8) < 1e-6, v
try:
    c.data("DF_SOLIEU", key="M.NOPE.79.VALUE")
    raise SystemExit("expected no results")
except Exception as e:
    assert "404" in str(e), e
print("sdmx1 ok:", len(areas), "area codes;", len(s), "months of retail sales; 10-month growth", float(g.iloc[0]))
