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
query = "/data/DF_SOLIEU/M.RETAIL_GOODS+EXPORTS.79.VALUE?startPeriod=2020-09&endPeriod=2020-10"
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
print("pysdmx ok:", ", ".join(f"{k} {n} rows" for k, n in seen.items()), "; structures:", ", ".join(kinds))
