-- solieu schema 7: a department's own row labels mapped to catalogue
-- indicators and breakdown codes, per reporting unit (its area code; empty
-- for every unit). `label_key` is the folded label the forms are matched by.
CREATE TABLE label_map (
    unit TEXT NOT NULL,
    label_key TEXT NOT NULL,
    label TEXT NOT NULL,
    indicator TEXT NOT NULL,
    dims TEXT NOT NULL,
    PRIMARY KEY (unit, label_key)
);
