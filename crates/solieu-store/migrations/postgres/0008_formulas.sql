-- solieu schema 8: an indicator may be defined by a formula over other
-- indicators (`GRDP_CURRENT / POPULATION`); its figures are computed on
-- request, never stored. Empty for a stored indicator.
ALTER TABLE indicator ADD COLUMN formula TEXT NOT NULL DEFAULT '';
