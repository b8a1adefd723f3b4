# The SDMX 2.1 REST surface read by the real pysdmx client (PyPI, with its
# xml and data extras), against `solieu serve` on the demo store.
# Usage: python pysdmx_check.py http://HOST:PORT/sdmx/v1
import sys, urllib.request
from pysdmx.io import read_sdmx, get_datasets

base = sys.argv[1]
structures = base + "/dataflow/SOLIEU/DF_SOLIEU/latest?references=all"

def fetch(path, accept):
    req = urllib.request.Request(base + path, headers={"Accept": accept})
    return urllib.request.urlopen(req).read().decode("utf-8")

msg = read_sdmx(structures)
kinds = sorted({type(x).__name__ for x in msg.structures})
assert {"Codelist", "Dataflow", "DataStructureDefinition"} <= set(kinds), kinds
dsd = next(x for x in msg.structures if type(x).__name__ == "DataStructureDefinition")
dims = [d.id for d in dsd.components.dimensions]
breakdowns = dims[4:-1]
assert "PRODUCT" in breakdowns, dims
totals = "." + ".".join("_T" for _ in breakdowns)
query = "/data/DF_SOLIEU/M.RETAIL_GOODS+EXPORTS.79.VALUE" + totals + "?startPeriod=2020-09&endPeriod=2020-10"
seen = {}
for label, accept in [
    ("generic", "application/vnd.sdmx.genericdata+xml;version=2.1"),
    ("structure-specific", "application/vnd.sdmx.structurespecificdata+xml;version=2.1"),
    ("sdmx-csv 1.0", "application/vnd.sdmx.data+csv;version=1.0.0"),
]:
    data = read_sdmx(fetch(query, accept))
    df = data.data[0].data
    v = df[(df.INDICATOR == "RETAIL_GOODS") & (df.TIME_PERIOD == "2020-10")].OBS_VALUE.astype(float)
    assert len(df) == 4 and abs(float(v.iloc[0]) - 72212.8) < 1e-6, (label, df)
    seen[label] = len(df)
# a dataset bound to its structure
ds = get_datasets(base + query, structures)
assert len(ds) == 1 and len(ds[0].data) == 4, ds
# a breakdown with its labels: exports by product group, read with the structures
products = next(x for x in msg.structures if type(x).__name__ == "Codelist" and x.id == "CL_PRODUCT")
labels = {c.id: c.name for c in products.codes}
# pysdmx keeps one name per code (the English one of the two given)
assert labels["ELECTRONICS"] in ("Máy vi tính, sản phẩm điện tử và linh kiện",
                                 "Computers, electronic products and components"), labels.get("ELECTRONICS")
key = ".".join(["M", "EXPORTS", "79", "VALUE"] + ["" if b == "PRODUCT" else "_T" for b in breakdowns])
df = read_sdmx(fetch("/data/DF_SOLIEU/" + key + "?startPeriod=2020-10&endPeriod=2020-10",
                     "application/vnd.sdmx.data+csv;version=1.0.0")).data[0].data
df["label"] = df.PRODUCT.map(labels)
assert df.label.notna().all() and len(df) >= 11, df
total = float(df[df.PRODUCT == "_T"].OBS_VALUE.astype(float).iloc[0])
parts = df[df.PRODUCT != "_T"].OBS_VALUE.astype(float)
assert abs(parts.sum() - total) < 0.05 * len(parts), (total, parts.sum())
seen["products"] = len(parts)
print("pysdmx ok:", ", ".join(f"{k} {n} rows" for k, n in seen.items()), "; structures:", ", ".join(kinds))
