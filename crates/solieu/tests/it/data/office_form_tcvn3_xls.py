# Writes office_form_tcvn3.xls (Excel 97-2003, with xlwt from PyPI): a monthly form typed in the
# TCVN3 font .VnTime, as older offices still keep them. The TCVN3 code table is read from
# crates/solieu-ingest/src/legacy.rs (the decoder's own), inverted, so the file holds the bytes a
# .VnTime user typed. Run: python office_form_tcvn3_xls.py office_form_tcvn3.xls
import re, sys, unicodedata, pathlib, xlwt

src = (pathlib.Path(__file__).parents[4] / "solieu-ingest/src/legacy.rs").read_text()
def table(name):
    body = re.search(name + r": \[char; \d+\] = \[(.*?)\];", src, re.S).group(1)
    return [chr(int(m[3:-1], 16)) if m.startswith("\\u") else m
            for m in re.findall(r"'(\\u\{[0-9a-f]+\}|[^']+)'", body)]
high, low = table("TCVN3_HIGH"), table("TCVN3_80")
enc = {}
for i, ch in enumerate(low):
    enc.setdefault(ch, chr(0x80 + i))
for i, ch in enumerate(high):
    enc.setdefault(ch, chr(0xA0 + i))

def vn3(s):
    out = []
    for ch in unicodedata.normalize("NFC", s):
        if ch in enc:
            out.append(enc[ch])
        elif ord(ch) < 0x80:
            out.append(ch)
        else:
            raise SystemExit(f"no TCVN3 code for {ch!r}")
    return "".join(out)

font = xlwt.easyxf("font: name .VnTime")
wb = xlwt.Workbook(encoding="latin-1")
ws = wb.add_sheet("Thang 10")
def put(r, c, v):
    ws.write(r, c, vn3(v) if isinstance(v, str) else v, font)
put(0, 0, "UBND TỈNH ĐỒNG NAI")
put(2, 0, "BÁO CÁO MỘT SỐ CHỈ TIÊU KINH TẾ THÁNG 10 NĂM 2020")
for c, h in enumerate(["STT", "Chỉ tiêu", "Đơn vị tính", "Thực hiện tháng 9", "Ước tính tháng 10", "Lũy kế 10 tháng"]):
    put(4, c, h)
rows = [("1", "Doanh thu bán lẻ hàng hóa", "tỷ đồng", [11234.5, 11500.0, 105678.9]),
        ("2", "Kim ngạch xuất khẩu hàng hóa", "triệu USD", [1612.6, 1700.0, 15980.0])]
for i, (n, label, unit, values) in enumerate(rows):
    r = 5 + i
    put(r, 0, n); put(r, 1, label); put(r, 2, unit)
    for k, v in enumerate(values):
        put(r, 3 + k, v)
put(8, 3, "Đồng Nai, ngày 05 tháng 11 năm 2020")
put(9, 1, "Người lập biểu"); put(9, 3, "GIÁM ĐỐC")
wb.save(sys.argv[1])
