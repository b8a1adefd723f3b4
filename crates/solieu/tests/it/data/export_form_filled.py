# Writes export_form_filled.xlsx: the Department of Industry and Trade's real, empty export-by-product
# template (../shared/data/real/bc_xk022020.xlsx in the project's shared material) filled in the way a
# department fills it for February 2020 — openpyxl (PyPI) writes into the template's own cells, so the
# layout, merged header bands and header texts are the real ones. Quantities only for goods counted in
# tonnes; the "Tổng" row's value is the sum of the groups, its quantity left empty.
# Run: python export_form_filled.py PATH/TO/bc_xk022020.xlsx export_form_filled.xlsx
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.active
# label -> (Feb qty, Feb value, Feb yoy index, Feb mom index, 2-month qty, 2-month value, 2-month yoy index, % of annual plan)
FILL = {
    "Hạt điều": (2.1, 14.6, 104.3, 88.2, 4.5, 31.2, 102.7, 14.8),
    "Giày dép các loại": (None, 96.3, 108.1, 93.5, None, 199.3, 106.9, 15.9),
    "Hàng dệt, may": (None, 112.4, 97.6, 91.0, None, 235.9, 98.8, 15.2),
    "Cao su": (6.8, 9.2, 92.4, 85.1, 14.8, 20.0, 94.0, 13.1),
    "Gỗ và sản phẩm gỗ": (None, 165.7, 112.5, 96.3, None, 337.8, 110.9, 16.4),
    "Giấy và các sản phẩm từ giấy": (None, 18.5, 101.2, 98.9, None, 37.2, 100.8, 15.0),
    "Máy móc, thiết bị, dụng cụ phụ tùng khác": (None, 88.9, 115.3, 97.2, None, 180.4, 113.6, 16.7),
    "Máy vi tính, sản phẩm điện tử và linh kiện": (None, 74.1, 109.8, 94.6, None, 152.4, 108.2, 16.0),
    "Sắn và các sản phẩm từ sắn": (12.3, 4.4, 90.5, 87.3, 26.4, 9.4, 91.8, 12.6),
    "Phương tiện vận tải và phụ tùng": (None, 23.6, 104.0, 99.1, None, 47.4, 103.5, 15.3),
    "Sản phẩm từ chất dẻo": (None, 31.8, 106.7, 95.5, None, 65.1, 105.9, 15.6),
    "Sản phẩm từ cao su": (None, 12.2, 103.1, 96.0, None, 24.9, 102.4, 15.1),
    "Nguyên phụ liệu dệt, may, da, giày": (None, 27.5, 99.4, 92.8, None, 57.1, 100.1, 14.9),
    "Sản phẩm hóa chất": (None, 15.9, 107.2, 97.7, None, 32.2, 106.3, 15.4),
    "Hàng hóa khác": (None, 206.8, 105.0, 93.9, None, 427.1, 104.1, 15.5),
}
total_feb = total_cum = 0.0
for r in range(3, 18):
    label = ws.cell(r, 2).value.strip()
    vals = FILL[label]
    for k, v in enumerate(vals):
        if v is not None:
            ws.cell(r, 3 + k).value = v
    total_feb += vals[1]
    total_cum += vals[5]
assert ws.cell(18, 2).value.strip() == "Tổng"
ws.cell(18, 4).value = round(total_feb, 1)
ws.cell(18, 5).value = 105.9
ws.cell(18, 6).value = 94.0
ws.cell(18, 8).value = round(total_cum, 1)
ws.cell(18, 9).value = 104.8
ws.cell(18, 10).value = 15.6
wb.save(sys.argv[2])
