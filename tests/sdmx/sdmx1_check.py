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
assert dims[:4] == ["FREQ", "INDICATOR", "REF_AREA", "MEASURE"] and dims[-1] == "TIME_PERIOD", dims
breakdowns = dims[4:-1]
assert {"SECTOR", "PRODUCT", "MARKET"} <= set(breakdowns), dims

def key(indicator, area, measure, freq="M", **codes):
    """A full key: a code per dimension, `_T` (the total) for a breakdown not given."""
    return ".".join([freq, indicator, area, measure] + [codes.get(b, "_T") for b in breakdowns])

assert [a.id for a in dsd.attributes.components] == ["OBS_STATUS", "UNIT_MEASURE", "UNIT_MULT", "DECIMALS"]
areas = msg.codelist["CL_AREA"]
assert str(areas["79"].name.localizations["vi"]).startswith("Thành phố Hồ Chí Minh")
assert "79@2025-07-01" in areas, "area versions are codes"
s = sdmx.to_pandas(c.data("DF_SOLIEU", key=key("RETAIL_GOODS", "79", "VALUE"), params={"startPeriod": "2020-01", "endPeriod": "2020-10"}))
assert len(s) == 10, s
assert abs(float(s.xs("2020-10", level="TIME_PERIOD").iloc[0]) - 72212.8) < 1e-6, s
g = sdmx.to_pandas(c.data("DF_SOLIEU", key=key("RETAIL_GOODS", "79", "YOY_PCT_YTD"), params={"startPeriod": "2020-10", "endPeriod": "2020-10"}))
assert abs(float(g.iloc[0]) - 9.9) < 1e-9, g
last = sdmx.to_pandas(c.data("DF_SOLIEU", key=key("EXPORTS", "79", "VALUE"), params={"lastNObservations": 1, "endPeriod": "2020-10"}))
assert list(last.index.get_level_values("TIME_PERIOD")) == ["2020-10"], last
# structure-specific data, read with the DSD (sdmx1 then asks for it itself)
ss = c.data("DF_SOLIEU", key=key("RETAIL_GOODS", "79", "VALUE"), params={"startPeriod": "2020-10", "endPeriod": "2020-10"}, dsd=dsd)
v = sdmx.to_pandas(ss)
assert abs(float(v.iloc[0]) - 72212.8) < 1e-6, v
# a breakdown: exports by product group, with the groups' labels and hierarchy
products = msg.codelist["CL_PRODUCT"]
assert str(products["ELECTRONICS"].name.localizations["vi"]) == "Máy vi tính, sản phẩm điện tử và linh kiện", products["ELECTRONICS"]
assert str(products["_T"].name.localizations["en"]) == "Total"
markets = msg.codelist["CL_MARKET"]
assert markets["VN"].parent is markets["ASEAN"] or getattr(markets["VN"].parent, "id", None) == "ASEAN", markets["VN"].parent
by_product = sdmx.to_pandas(c.data("DF_SOLIEU", key=key("EXPORTS", "79", "VALUE", PRODUCT=""),
                                   params={"startPeriod": "2020-10", "endPeriod": "2020-10"}))
groups = by_product.xs("2020-10", level="TIME_PERIOD")
total = float(groups.xs("_T", level="PRODUCT").iloc[0])
parts = groups.drop("_T", level="PRODUCT")
assert len(parts) >= 10 and abs(float(parts.sum()) - total) < 0.05 * len(parts), (total, parts)
try:
    c.data("DF_SOLIEU", key="M.NOPE.79.VALUE")
    raise SystemExit("expected no results")
except Exception as e:
    assert "404" in str(e), e
print("sdmx1 ok:", len(areas), "area codes;", len(s), "months of retail sales; 10-month growth", float(g.iloc[0]),
      f"; exports by {len(parts)} product groups adding up to {total}")
