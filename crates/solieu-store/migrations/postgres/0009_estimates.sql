-- solieu schema 9: how a regional total stands in for a member that has
-- not reported: growth (empty: last year's figure × the growth of the
-- members that reported), last, seasonal or none.
ALTER TABLE indicator ADD COLUMN estimate TEXT NOT NULL DEFAULT '';
