-- solieu schema 5: code lists of breakdowns (danh mục phân tổ) imported by
-- a department, over the ones built into solieu: one row per list and code.
CREATE TABLE code_item (
    list TEXT NOT NULL,
    code TEXT NOT NULL,
    label_vi TEXT NOT NULL,
    label_en TEXT NOT NULL,
    parent TEXT,
    aliases TEXT NOT NULL,
    ord BIGINT NOT NULL,
    valid_from TEXT,
    PRIMARY KEY (list, code)
);
