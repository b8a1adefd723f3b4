-- solieu schema 4: the vintages of an import found without a scan, for the
-- nodes and servers that catch up with imports made elsewhere
-- (Store::imports_since).
CREATE INDEX vintage_import ON vintage (import_id);
