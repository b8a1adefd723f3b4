-- solieu schema 6: the exports of the foreign-invested and of the domestic
-- sector, once indicators of their own (EXPORTS_FDI, EXPORTS_DOMESTIC), are
-- the codes FDI and DOMESTIC of EXPORTS' SECTOR breakdown. Their series are
-- renamed, not copied: every vintage keeps its value, time and import, and
-- its history. The old codes still answer, as aliases (solieu_model::indicator).
UPDATE series SET indicator = 'EXPORTS', dims = 'SECTOR=FDI'
 WHERE indicator = 'EXPORTS_FDI' AND dims = ''
   AND EXISTS (SELECT 1 FROM indicator WHERE code = 'EXPORTS')
   AND NOT EXISTS (SELECT 1 FROM series s WHERE s.indicator = 'EXPORTS' AND s.area_key = series.area_key
                   AND s.measure = series.measure AND s.dims = 'SECTOR=FDI');
UPDATE series SET indicator = 'EXPORTS', dims = 'SECTOR=DOMESTIC'
 WHERE indicator = 'EXPORTS_DOMESTIC' AND dims = ''
   AND EXISTS (SELECT 1 FROM indicator WHERE code = 'EXPORTS')
   AND NOT EXISTS (SELECT 1 FROM series s WHERE s.indicator = 'EXPORTS' AND s.area_key = series.area_key
                   AND s.measure = series.measure AND s.dims = 'SECTOR=DOMESTIC');
UPDATE form_indicator SET indicator = 'EXPORTS'
 WHERE indicator IN ('EXPORTS_FDI', 'EXPORTS_DOMESTIC')
   AND NOT EXISTS (SELECT 1 FROM form_indicator f WHERE f.form_id = form_indicator.form_id AND f.indicator = 'EXPORTS');
DELETE FROM form_indicator WHERE indicator IN ('EXPORTS_FDI', 'EXPORTS_DOMESTIC');
DELETE FROM indicator
 WHERE code IN ('EXPORTS_FDI', 'EXPORTS_DOMESTIC')
   AND NOT EXISTS (SELECT 1 FROM series s WHERE s.indicator = indicator.code);
