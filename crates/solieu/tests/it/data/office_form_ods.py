# Writes office_form.ods (OpenDocument, with odfpy from PyPI): the form of office_form() in
# ../cli.rs, as LibreOffice saves it — merged header bands, repeated empty cells and rows.
# Run: python office_form_ods.py office_form.ods
import sys
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableRow, TableCell, CoveredTableCell
from odf.text import P

doc = OpenDocumentSpreadsheet()
t = Table(name="Thang 10")
WIDTH = 8
grid = {}      # (row, col) -> (value, colspan, rowspan)
covered = set()

def put(r, c, v, cs=1, rs=1):
    grid[(r, c)] = (v, cs, rs)
    for i in range(r, r + rs):
        for j in range(c, c + cs):
            if (i, j) != (r, c):
                covered.add((i, j))

put(0, 0, "ỦY BAN NHÂN DÂN", 3); put(0, 4, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 4)
put(1, 0, "THÀNH PHỐ HỒ CHÍ MINH", 3); put(1, 4, "Độc lập - Tự do - Hạnh phúc", 4)
put(2, 0, "UBND THÀNH PHỐ HỒ CHÍ MINH", 3)
put(4, 0, "MỘT SỐ CHỈ TIÊU KINH TẾ - XÃ HỘI THÁNG 10 VÀ 10 THÁNG NĂM 2020", 8)
put(6, 0, "STT", 1, 2); put(6, 1, "Chỉ tiêu", 1, 2); put(6, 2, "Đơn vị tính", 1, 2)
put(6, 3, "Thực hiện tháng 9", 1, 2); put(6, 4, "Ước tính tháng 10", 1, 2)
put(6, 5, "Lũy kế 10 tháng", 1, 2); put(6, 6, "So với cùng kỳ (%)", 2)
put(7, 6, "Tháng 10"); put(7, 7, "Lũy kế")
put(8, 0, "I"); put(8, 1, "THƯƠNG MẠI")
rows = [("1", "Doanh thu bán lẻ hàng hóa", "tỷ đồng", [71234.5, 72100.0, 698765.4, 109.9, 109.9]),
        ("2", "Kim ngạch xuất khẩu hàng hóa", "triệu USD", [3812.6, 3900.0, 36700.0, 105.5, 105.5])]
for i, (n, label, unit, values) in enumerate(rows):
    r = 9 + i
    put(r, 0, n); put(r, 1, label); put(r, 2, unit)
    for k, v in enumerate(values):
        put(r, 3 + k, v)
put(12, 1, "Ghi chú: số liệu tháng 10 là ước tính")
put(13, 4, "TP. Hồ Chí Minh, ngày 05 tháng 11 năm 2020", 4)
put(14, 1, "Người lập biểu"); put(14, 4, "KT. GIÁM ĐỐC", 4)
put(15, 4, "PHÓ GIÁM ĐỐC", 4)
put(18, 1, "Nguyễn Văn An"); put(18, 4, "Trần Thị Bình", 4)
put(20, 0, "Nơi nhận:"); put(21, 0, "- Cục Thống kê;"); put(22, 0, "- Lưu: VT.")

last = max(r for r, _ in grid)
for r in range(last + 1):
    row = TableRow()
    c = 0
    while c < WIDTH:
        if (r, c) in grid:
            v, cs, rs = grid[(r, c)]
            attrs = {}
            if cs > 1: attrs["numbercolumnsspanned"] = cs
            if rs > 1: attrs["numberrowsspanned"] = rs
            if isinstance(v, float):
                cell = TableCell(valuetype="float", value=v, **attrs)
                cell.addElement(P(text=str(v)))
            else:
                cell = TableCell(valuetype="string", **attrs)
                cell.addElement(P(text=v))
            row.addElement(cell); c += 1
        elif (r, c) in covered:
            row.addElement(CoveredTableCell()); c += 1
        else:
            # a run of empty cells, written once with a repeat count, as LibreOffice does
            n = 1
            while c + n < WIDTH and (r, c + n) not in grid and (r, c + n) not in covered:
                n += 1
            row.addElement(TableCell(numbercolumnsrepeated=n) if n > 1 else TableCell())
            c += n
    t.addElement(row)
# LibreOffice's trailing block of empty rows
t.addElement(TableRow(numberrowsrepeated=1048000))
doc.spreadsheet.addElement(t)
doc.save(sys.argv[1])
