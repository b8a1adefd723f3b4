-- solieu schema 4: the vintages of an import found without a scan, for the
-- nodes and servers that catch up with imports made elsewhere
-- (Store::imports_since); and the latest recording time found without a
-- scan of every import (each import asks for it: the soak found an import
-- costing 4 ms more for every 60,000 before it).
CREATE INDEX vintage_import ON vintage (import_id);
CREATE INDEX import_recorded ON import (recorded_at);
