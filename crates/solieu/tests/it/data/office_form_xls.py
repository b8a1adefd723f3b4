# Writes office_form.xls (Excel 97-2003, with xlwt from PyPI): the form of office_form() in
# ../cli.rs, as offices still send it. Run: python office_form_xls.py office_form.xls
import sys, xlwt
wb = xlwt.Workbook(encoding="utf-8")
ws = wb.add_sheet("Thang 10")
ws.write_merge(0, 0, 0, 2, "ỦY BAN NHÂN DÂN")
ws.write_merge(0, 0, 4, 7, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
ws.write_merge(1, 1, 0, 2, "THÀNH PHỐ HỒ CHÍ MINH")
ws.write_merge(1, 1, 4, 7, "Độc lập - Tự do - Hạnh phúc")
ws.write_merge(2, 2, 0, 2, "UBND THÀNH PHỐ HỒ CHÍ MINH")
ws.write_merge(4, 4, 0, 7, "MỘT SỐ CHỈ TIÊU KINH TẾ - XÃ HỘI THÁNG 10 VÀ 10 THÁNG NĂM 2020")
ws.write_merge(6, 7, 0, 0, "STT")
ws.write_merge(6, 7, 1, 1, "Chỉ tiêu")
ws.write_merge(6, 7, 2, 2, "Đơn vị tính")
ws.write_merge(6, 7, 3, 3, "Thực hiện tháng 9")
ws.write_merge(6, 7, 4, 4, "Ước tính tháng 10")
ws.write_merge(6, 7, 5, 5, "Lũy kế 10 tháng")
ws.write_merge(6, 6, 6, 7, "So với cùng kỳ (%)")
ws.write(7, 6, "Tháng 10")
ws.write(7, 7, "Lũy kế")
ws.write(8, 0, "I")
ws.write(8, 1, "THƯƠNG MẠI")
rows = [("1", "Doanh thu bán lẻ hàng hóa", "tỷ đồng", [71234.5, 72100.0, 698765.4, 109.9, 109.9]),
        ("2", "Kim ngạch xuất khẩu hàng hóa", "triệu USD", [3812.6, 3900.0, 36700.0, 105.5, 105.5])]
for i, (n, label, unit, values) in enumerate(rows):
    r = 9 + i
    ws.write(r, 0, n); ws.write(r, 1, label); ws.write(r, 2, unit)
    for k, v in enumerate(values):
        ws.write(r, 3 + k, v)
ws.write(12, 1, "Ghi chú: số liệu tháng 10 là ước tính")
ws.write_merge(13, 13, 4, 7, "TP. Hồ Chí Minh, ngày 05 tháng 11 năm 2020")
ws.write(14, 1, "Người lập biểu")
ws.write_merge(14, 14, 4, 7, "KT. GIÁM ĐỐC")
ws.write_merge(15, 15, 4, 7, "PHÓ GIÁM ĐỐC")
ws.write(18, 1, "Nguyễn Văn An")
ws.write_merge(18, 18, 4, 7, "Trần Thị Bình")
ws.write(20, 0, "Nơi nhận:")
ws.write(21, 0, "- Cục Thống kê;")
ws.write(22, 0, "- Lưu: VT.")
wb.save(sys.argv[1])
