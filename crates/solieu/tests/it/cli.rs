//! End-to-end tests: the real `solieu` binary on a fresh store in a
//! temporary directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rust_xlsxwriter::{Format, FormatAlign, Workbook};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
        };
        let out = env.run(&["init"]);
        assert!(out.status.success(), "{}", stderr(&out));
        env
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_solieu"))
            .arg("--data")
            .arg(self.data())
            .args(args)
            .env_remove("SOLIEU_DATA")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "solieu {args:?} failed: {}",
            stderr(&out)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn file(&self, name: &str, content: &[u8]) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p.display().to_string()
    }

    /// `solieu check` output: the counts of everything stored.
    fn counts(&self) -> String {
        self.ok(&["check"])
    }

    /// One derived figure's CSV row (`query --format csv`), with `extra` flags.
    fn figure(
        &self,
        ind: &str,
        area: &str,
        period: &str,
        measure: &str,
        extra: &[&str],
    ) -> Vec<String> {
        let mut a = vec![
            "--indicator",
            ind,
            "--area",
            area,
            "--period",
            period,
            "--measure",
            measure,
        ];
        a.extend_from_slice(extra);
        self.query_csv(&a).remove(0)
    }

    fn query_csv(&self, args: &[&str]) -> Vec<Vec<String>> {
        let mut a = vec!["query", "--format", "csv"];
        a.extend_from_slice(args);
        let text = self.ok(&a);
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        rdr.records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect()
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const HEADER: &str = "indicator,area,period,measure,value,status,unit,source\n";

#[test]
fn each_import_error_class_is_located_and_writes_nothing() {
    let env = Env::new();
    let good = env.file(
        "good.csv",
        format!("{HEADER}RETAIL_GOODS,79,2020-10,level,70000,E,tỷ đồng,Sở Công Thương\n")
            .as_bytes(),
    );
    env.ok(&["import", &good]);
    let before = env.counts();
    let cases: &[(&str, &str, &str)] = &[
        (
            "NOPE,79,2020-10,level,1,E,,x",
            "unknown indicator",
            ":3:indicator",
        ),
        (
            "RETAIL_GOODS,99,2020-10,level,1,E,,x",
            "unknown area code '99'",
            ":3:area",
        ),
        (
            "RETAIL_GOODS,74,2025-08,level,1,E,,x",
            "no version valid for 2025-08",
            ":3:area",
        ),
        (
            "RETAIL_GOODS,79,2020-13,level,1,E,,x",
            "invalid period '2020-13'",
            ":3:period",
        ),
        (
            "RETAIL_GOODS,79,2020-02-30,level,1,E,,x",
            "a day is not a reporting period",
            ":3:period",
        ),
        (
            "RETAIL_GOODS,79,2020-10,level,NaN,E,,x",
            "not a finite number",
            ":3:value",
        ),
        (
            "RETAIL_GOODS,79,2020-10,level,1e309,E,,x",
            "not a finite number",
            ":3:value",
        ),
        (
            "RETAIL_GOODS,79,2020-10,level,\"1.234.567,8,9\",E,,x",
            "not a number",
            ":3:value",
        ),
        (
            "RETAIL_GOODS,79,2020-10,level,5,E,triệu USD,x",
            "unit is not compatible",
            ":3:unit",
        ),
        (
            "RETAIL_GOODS,79,2020-10,growth,5,E,,x",
            "unknown measure",
            ":3:measure",
        ),
        (
            "RETAIL_GOODS,79,2020-10,level,5,X,,x",
            "unknown status",
            ":3:status",
        ),
        (
            "RETAIL_GOODS,79,2020-09,level,5,E,,x\nRETAIL_GOODS,79,2020-09,level,6,E,,x",
            "duplicate",
            ":4:value",
        ),
    ];
    for (i, (row, message, place)) in cases.iter().enumerate() {
        // each bad row comes after a valid one: the valid one must not be written either
        let f = env.file(
            &format!("bad{i}.csv"),
            format!("{HEADER}EXPORTS,79,2020-10,level,3700,E,,x\n{row}\n").as_bytes(),
        );
        let out = env.run(&["import", &f]);
        let err = stderr(&out);
        assert!(!out.status.success(), "{row} was accepted");
        assert!(
            err.contains(message),
            "{row}: expected '{message}' in {err}"
        );
        assert!(
            err.contains(&format!("bad{i}.csv{place}")),
            "{row}: expected location '{place}' in {err}"
        );
        assert!(err.contains("nothing was written"), "{err}");
        assert_eq!(env.counts(), before, "{row} changed the store");
    }
    // a missing column and an empty file
    let f = env.file("nocol.csv", b"indicator,area,value\nRETAIL_GOODS,79,1\n");
    let err = stderr(&env.run(&["import", &f]));
    assert!(err.contains("missing column(s) period"), "{err}");
    let f = env.file("empty.csv", b"");
    assert!(!env.run(&["import", &f]).status.success());
    assert_eq!(env.counts(), before);
}

#[test]
fn revisions_are_kept_and_as_of_returns_what_was_known() {
    let env = Env::new();
    let v1 = env.file(
        "v1.csv",
        format!("{HEADER}GRDP_CONST,79,2019,yoy_pct,7.86,E,%,Cục Thống kê\n").as_bytes(),
    );
    let v2 = env.file(
        "v2.csv",
        format!("{HEADER}GRDP_CONST,79,2019,yoy_pct,7.83,A,%,Cục Thống kê\n").as_bytes(),
    );
    let out = env.ok(&["import", &v1]);
    assert!(out.contains("1 new vintages (0 revisions)"), "{out}");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let between = chrono::Utc::now().to_rfc3339();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = env.ok(&["import", &v2]);
    assert!(out.contains("1 new vintages (1 revisions)"), "{out}");
    // re-importing the same file adds nothing
    let out = env.ok(&["import", &v2]);
    assert!(out.contains("0 new vintages"), "{out}");
    let now = env.query_csv(&[
        "--indicator",
        "GRDP_CONST",
        "--area",
        "79",
        "--period",
        "2019",
    ]);
    assert_eq!(
        (now.len(), now[0][4].as_str(), now[0][5].as_str()),
        (1, "7.83", "A")
    );
    let then = env.query_csv(&[
        "--indicator",
        "GRDP_CONST",
        "--area",
        "79",
        "--period",
        "2019",
        "--as-of",
        &between,
    ]);
    assert_eq!(
        (then.len(), then[0][4].as_str(), then[0][5].as_str()),
        (1, "7.86", "E")
    );
    let hist = env.query_csv(&["--indicator", "GRDP_CONST", "--area", "79", "--history"]);
    assert_eq!(
        hist.iter().map(|r| r[4].as_str()).collect::<Vec<_>>(),
        ["7.86", "7.83"]
    );
    let json = env.ok(&["query", "--indicator", "GRDP_CONST", "--format", "json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed[0]["value"], serde_json::json!(7.83));
    assert_eq!(parsed[0]["status"], "A");
    let before_any = env.query_csv(&["--indicator", "GRDP_CONST", "--as-of", "2000-01-01"]);
    assert!(before_any.is_empty());
}

#[test]
fn dry_run_writes_nothing() {
    let env = Env::new();
    let before = env.counts();
    let f = env.file(
        "a.csv",
        format!("{HEADER}EXPORTS,79,2020-10,level,3700,E,,x\n").as_bytes(),
    );
    let out = env.ok(&["import", "--dry-run", &f]);
    assert!(out.contains("1 observations valid"), "{out}");
    assert_eq!(env.counts(), before);
}

#[test]
fn nfc_and_nfd_inputs_are_stored_identically() {
    let env = Env::new();
    let nfc = "Sở Công Thương";
    let nfd: String = unicode_nfd(nfc);
    assert_ne!(nfc.as_bytes(), nfd.as_bytes());
    let a = env.file(
        "nfc.csv",
        format!("{HEADER}EXPORTS,79,2020-10,level,3700,E,,{nfc}\n").as_bytes(),
    );
    let b = env.file(
        "nfd.csv",
        format!("{HEADER}EXPORTS,79,2020-10,level,3700,E,,{nfd}\n").as_bytes(),
    );
    env.ok(&["import", &a]);
    let out = env.ok(&["import", &b]);
    assert!(
        out.contains("0 new vintages"),
        "NFD text was stored as something new: {out}"
    );
    let rows = env.query_csv(&["--indicator", "EXPORTS"]);
    assert_eq!(rows[0][6], nfc);
}

fn unicode_nfd(s: &str) -> String {
    // decompose the few letters used above, by hand, so the test does not
    // share the normaliser it checks
    s.replace('ở', "o\u{31b}\u{309}")
        .replace('ô', "o\u{302}")
        .replace('ư', "u\u{31b}")
        .replace('ơ', "o\u{31b}")
}

#[test]
fn units_are_converted_exactly() {
    let env = Env::new();
    let f = env.file(
        "u.csv",
        format!("{HEADER}EXPORTS,79,2020-01/2020-10,level,36.7,E,billion USD,VOV\nRETAIL_GOODS,79,2020-01,level,76.24,E,nghìn tỷ đồng,x\n").as_bytes(),
    );
    env.ok(&["import", &f]);
    let rows = env.query_csv(&["--indicator", "EXPORTS,RETAIL_GOODS"]);
    let values: Vec<&str> = rows.iter().map(|r| r[4].as_str()).collect();
    assert_eq!(values, ["36700", "76240"]);
}

#[test]
fn areas_resolve_by_code_and_period() {
    let env = Env::new();
    let f = env.file(
        "d.csv",
        format!(
            "{HEADER}RETAIL_GOODS,769,2020-12,level,1,A,,x\nRETAIL_GOODS,769,2021-01,level,2,A,,x\n\
             RETAIL_GOODS,79,2025-06,level,3,A,,x\nRETAIL_GOODS,79,2025-07,level,4,A,,x\n"
        )
        .as_bytes(),
    );
    env.ok(&["import", &f]);
    let rows = env.query_csv(&["--indicator", "RETAIL_GOODS", "--area", "769"]);
    let names: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[2].as_str(), r[8].as_str()))
        .collect();
    assert_eq!(
        names,
        [("2020-12", "Quận 2"), ("2021-01", "Thành phố Thủ Đức")]
    );
    // 79 before and after 1 July 2025 are two areas: a query for July finds only the new one
    let july = env.query_csv(&[
        "--indicator",
        "RETAIL_GOODS",
        "--area",
        "79",
        "--period",
        "2025-07",
    ]);
    assert_eq!(july.len(), 1);
    assert_eq!(july[0][4], "4");
    let all = env.query_csv(&["--indicator", "RETAIL_GOODS", "--area", "79"]);
    assert_eq!(all.len(), 2);
}

#[test]
fn accent_insensitive_area_search() {
    let env = Env::new();
    let out = env.ok(&["areas", "--search", "ho chi minh", "--format", "csv"]);
    assert!(out.contains("79,Thành phố Hồ Chí Minh"), "{out}");
    let out = env.ok(&[
        "areas",
        "--search",
        "dong nai",
        "--on",
        "2020-01-01",
        "--format",
        "csv",
    ]);
    assert!(out.contains("75,Tỉnh Đồng Nai"), "{out}");
    let out = env.ok(&["areas", "--on", "2025-07-01", "--format", "csv"]);
    assert_eq!(out.lines().filter(|l| l.contains(",province,")).count(), 34);
    let out = env.ok(&["indicators", "--search", "ban le", "--format", "csv"]);
    assert!(out.contains("RETAIL_GOODS"), "{out}");
}

#[test]
fn export_round_trips_through_import() {
    let env = Env::new();
    let f = env.file(
        "r.csv",
        format!("{HEADER}EXPORTS,79,2020-01/2020-10,level,36700,E,,VOV\nEXPORTS,79,2020-01/2020-10,yoy_pct,5.5,E,%,VOV\nCPI,VN,2020-10,mom_pct,-0.01,A,%,TCTK\nRETAIL_GOODS,79,2025-01/2025-09,level,1234567.8,P,,\"quoted, with comma\"\n").as_bytes(),
    );
    env.ok(&["import", &f]);
    let out = env.dir.path().join("export.csv");
    env.ok(&["export", "--format", "csv", "-o", out.to_str().unwrap()]);
    let before = env.counts();
    let text = env.ok(&["import", out.to_str().unwrap()]);
    assert!(text.contains("4 observations, 0 new vintages"), "{text}");
    assert_eq!(env.counts().split(", ").nth(3), before.split(", ").nth(3));
    // into a fresh store, the export gives the same figures
    let env2 = Env::new();
    env2.ok(&["import", out.to_str().unwrap()]);
    let a = env.query_csv(&["--indicator", "EXPORTS,CPI,RETAIL_GOODS"]);
    let b = env2.query_csv(&["--indicator", "EXPORTS,CPI,RETAIL_GOODS"]);
    let strip = |rows: Vec<Vec<String>>| {
        rows.into_iter()
            .map(|r| r[..9].to_vec())
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(a), strip(b));
}

#[test]
fn windows_1258_csv_is_decoded_to_nfc() {
    let env = Env::new();
    // "Sở Công Thương" in Windows-1258: ơ = D5 (with F2 for the hook), ô = F4, ư = DD
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"EXPORTS,79,2020-10,level,3700,E,,S\xF5\xD2 C\xF4ng Th\xFD\xF5ng\n");
    let f = env.file("cp1258.csv", &bytes);
    let out = env.run(&["import", &f]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("windows-1258"));
    let rows = env.query_csv(&["--indicator", "EXPORTS"]);
    assert_eq!(rows[0][6], "Sở Công Thương");
}

/// The two header rows of the October form, with their merged cells, at
/// rows `r` and `r + 1`: STT, Chỉ tiêu, Đơn vị tính, the month, the
/// estimate, the year to date and the two comparisons.
fn header_band(ws: &mut rust_xlsxwriter::Worksheet, r: u32, bold: &Format) {
    for (c, t) in [
        "STT",
        "Chỉ tiêu",
        "Đơn vị tính",
        "Thực hiện tháng 9",
        "Ước tính tháng 10",
        "Lũy kế 10 tháng",
    ]
    .iter()
    .enumerate()
    {
        ws.merge_range(r, c as u16, r + 1, c as u16, t, bold)
            .unwrap();
    }
    ws.merge_range(r, 6, r, 7, "So với cùng kỳ (%)", bold)
        .unwrap();
    ws.write_string_with_format(r + 1, 6, "Tháng 10", bold)
        .unwrap();
    ws.write_string_with_format(r + 1, 7, "Lũy kế", bold)
        .unwrap();
}

fn wide_workbook(path: &Path) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("BC thang 10").unwrap();
    let bold = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    ws.merge_range(
        0,
        0,
        0,
        7,
        "TÌNH HÌNH KINH TẾ - XÃ HỘI THÁNG 10 VÀ 10 THÁNG NĂM 2020",
        &bold,
    )
    .unwrap();
    ws.write_string(1, 0, "Địa bàn: Thành phố Hồ Chí Minh")
        .unwrap();
    header_band(ws, 3, &bold);
    // column-number row
    for (c, t) in ["A", "B", "C", "1", "2", "3", "4", "5"].iter().enumerate() {
        ws.write_string(5, c as u16, *t).unwrap();
    }
    // a group row without values, then indicators; numbers typed as Vietnamese text
    ws.write_string(6, 0, "I").unwrap();
    ws.write_string(6, 1, "THƯƠNG MẠI").unwrap();
    let rows: [[&str; 8]; 2] = [
        [
            "1",
            "Doanh thu bán lẻ hàng hóa",
            "tỷ đồng",
            "71.234,5",
            "72.100",
            "698.765,4",
            "109,9",
            "109,9",
        ],
        [
            "2",
            "Kim ngạch xuất khẩu hàng hóa",
            "triệu USD",
            "3.812,6",
            "3.900",
            "36.700",
            "105,5",
            "105,5",
        ],
    ];
    for (i, r) in rows.iter().enumerate() {
        for (c, t) in r.iter().enumerate() {
            ws.write_string(7 + i as u32, c as u16, *t).unwrap();
        }
    }
    // one value typed as a real number
    ws.write_number(8, 4, 3900.0).unwrap();
    // a cell in the TCVN3 font: "Sở Công Thương" typed with .VnTime
    let vntime = Format::new().set_font_name(".VnTime");
    ws.write_string(12, 0, "Nguån:").unwrap();
    ws.write_string_with_format(12, 1, "Së C\u{ab}ng Th\u{ad}\u{ac}ng", &vntime)
        .unwrap();
    wb.save(path).unwrap();
}

#[test]
fn wide_workbook_with_merged_headers_and_vietnamese_numbers() {
    let env = Env::new();
    let path = env.dir.path().join("bao-cao-thang-10.xlsx");
    wide_workbook(&path);
    let out = env.run(&["import", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = env.query_csv(&["--indicator", "RETAIL_GOODS,EXPORTS"]);
    let mut got: Vec<(String, String, String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r[0].clone(),
                r[2].clone(),
                r[3].clone(),
                r[4].clone(),
                r[5].clone(),
            )
        })
        .collect();
    got.sort();
    let want = [
        ("EXPORTS", "2020-01/2020-10", "level", "36700", "E"),
        ("EXPORTS", "2020-01/2020-10", "yoy_pct", "5.5", "E"),
        ("EXPORTS", "2020-09", "level", "3812.6", "P"),
        ("EXPORTS", "2020-10", "level", "3900", "E"),
        ("EXPORTS", "2020-10", "yoy_pct", "5.5", "E"),
        ("RETAIL_GOODS", "2020-01/2020-10", "level", "698765.4", "E"),
        ("RETAIL_GOODS", "2020-01/2020-10", "yoy_pct", "9.9", "E"),
        ("RETAIL_GOODS", "2020-09", "level", "71234.5", "P"),
        ("RETAIL_GOODS", "2020-10", "level", "72100", "E"),
        ("RETAIL_GOODS", "2020-10", "yoy_pct", "9.9", "E"),
    ];
    // "So với cùng kỳ (%)" columns are in index form: 105,5 means +5,5 %
    let mut want: Vec<(String, String, String, String, String)> = want
        .iter()
        .map(|w| (w.0.into(), w.1.into(), w.2.into(), w.3.into(), w.4.into()))
        .collect();
    want.sort();
    assert_eq!(got, want);
    assert!(rows.iter().all(|r| r[1] == "79"));
}

/// A department's monthly form laid out as offices lay them out: issuing
/// body and national motto at the top, the title, the table, then the
/// place-date line, the signature block, the names and the recipients.
/// `area_cell`: an extra "Địa bàn: …" line under the motto.
fn office_form(path: &Path, area_cell: Option<&str>) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Thang 10").unwrap();
    let bold = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    ws.merge_range(0, 0, 0, 2, "ỦY BAN NHÂN DÂN", &bold)
        .unwrap();
    ws.merge_range(0, 4, 0, 7, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", &bold)
        .unwrap();
    ws.merge_range(1, 0, 1, 2, "THÀNH PHỐ HỒ CHÍ MINH", &bold)
        .unwrap();
    ws.merge_range(1, 4, 1, 7, "Độc lập - Tự do - Hạnh phúc", &bold)
        .unwrap();
    ws.merge_range(2, 0, 2, 2, "UBND THÀNH PHỐ HỒ CHÍ MINH", &bold)
        .unwrap();
    if let Some(a) = area_cell {
        ws.write_string(3, 0, a).unwrap();
    }
    ws.merge_range(
        4,
        0,
        4,
        7,
        "MỘT SỐ CHỈ TIÊU KINH TẾ - XÃ HỘI THÁNG 10 VÀ 10 THÁNG NĂM 2020",
        &bold,
    )
    .unwrap();
    header_band(ws, 6, &bold);
    ws.write_string(8, 0, "I").unwrap();
    ws.write_string(8, 1, "THƯƠNG MẠI").unwrap();
    let rows: [(&str, &str, &str, [f64; 5]); 2] = [
        (
            "1",
            "Doanh thu bán lẻ hàng hóa",
            "tỷ đồng",
            [71234.5, 72100.0, 698765.4, 109.9, 109.9],
        ),
        (
            "2",
            "Kim ngạch xuất khẩu hàng hóa",
            "triệu USD",
            [3812.6, 3900.0, 36700.0, 105.5, 105.5],
        ),
    ];
    for (i, (n, label, unit, values)) in rows.iter().enumerate() {
        let r = 9 + i as u32;
        ws.write_string(r, 0, *n).unwrap();
        ws.write_string(r, 1, *label).unwrap();
        ws.write_string(r, 2, *unit).unwrap();
        for (k, v) in values.iter().enumerate() {
            ws.write_number(r, 3 + k as u16, *v).unwrap();
        }
    }
    // under the table: what every official form has, and no figure
    ws.write_string(12, 1, "Ghi chú: số liệu tháng 10 là ước tính")
        .unwrap();
    ws.merge_range(
        13,
        4,
        13,
        7,
        "TP. Hồ Chí Minh, ngày 05 tháng 11 năm 2020",
        &Format::new(),
    )
    .unwrap();
    ws.write_string(14, 1, "Người lập biểu").unwrap();
    ws.merge_range(14, 4, 14, 7, "KT. GIÁM ĐỐC", &bold).unwrap();
    ws.merge_range(15, 4, 15, 7, "PHÓ GIÁM ĐỐC", &bold).unwrap();
    ws.write_string(18, 1, "Nguyễn Văn An").unwrap();
    ws.merge_range(18, 4, 18, 7, "Trần Thị Bình", &bold)
        .unwrap();
    ws.write_string(20, 0, "Nơi nhận:").unwrap();
    ws.write_string(21, 0, "- Cục Thống kê;").unwrap();
    ws.write_string(22, 0, "- Lưu: VT.").unwrap();
    wb.save(path).unwrap();
}

#[test]
fn an_office_form_with_its_header_and_signature_block_imports_without_an_area() {
    let env = Env::new();
    let path = env.dir.path().join("so-cong-thuong-thang-10.xlsx");
    office_form(&path, None);
    let out = env.run(&["import", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("10 observations"), "{said}");
    let rows = env.query_csv(&["--indicator", "EXPORTS", "--period", "2020-10"]);
    assert!(
        rows.iter()
            .any(|r| r[1] == "79" && r[3] == "level" && r[4] == "3900"),
        "{rows:?}"
    );
    assert!(rows.iter().all(|r| r[1] == "79"), "{rows:?}");

    // the sheet naming two areas is refused, naming both cells; nothing written
    let env = Env::new();
    let before = env.counts();
    let path = env.dir.path().join("hai-dia-ban.xlsx");
    office_form(&path, Some("Địa bàn: Tỉnh Đồng Nai"));
    let out = env.run(&["import", path.to_str().unwrap()]);
    let err = stderr(&out);
    assert!(!out.status.success(), "accepted: {err}");
    assert!(err.contains("names two areas"), "{err}");
    assert!(err.contains(":4:A4:") || err.contains("A4"), "{err}");
    assert!(err.contains("A3"), "{err}");
    assert_eq!(env.counts(), before);
}

#[test]
fn the_same_form_as_excel_97_2003_imports_and_a_web_page_named_xls_is_refused() {
    // tests/it/data/office_form.xls is office_form() written by xlwt
    // (data/office_form_xls.py): what offices still send
    let env = Env::new();
    let xls = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/data/office_form.xls");
    let out = env.run(&["import", xls]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("10 observations"), "{said}");
    let rows = env.query_csv(&["--indicator", "RETAIL_GOODS", "--period", "2020-01/2020-10"]);
    assert!(
        rows.iter()
            .any(|r| r[1] == "79" && r[3] == "level" && r[4] == "698765.4"),
        "{rows:?}"
    );

    // a damaged one: refused, nothing written
    let before = env.counts();
    let bytes = std::fs::read(xls).unwrap();
    let cut = env.file("cut.xls", &bytes[..bytes.len() / 2]);
    let out = env.run(&["import", &cut]);
    let err = stderr(&out);
    assert!(!out.status.success(), "accepted: {err}");
    assert!(
        err.contains("cut.xls") && err.contains(".xls workbook"),
        "{err}"
    );
    assert_eq!(env.counts(), before);

    // a portal's "export to Excel": an HTML table with the .xls name
    let page = env.file(
        "bao-cao.xls",
        "<html><body><table><tr><td>Chỉ tiêu</td><td>Tháng 10</td></tr></table></body></html>"
            .as_bytes(),
    );
    let out = env.run(&["import", &page]);
    let err = stderr(&out);
    assert!(!out.status.success(), "accepted: {err}");
    assert!(
        err.contains("HTML page") && err.contains("bao-cao.xls"),
        "{err}"
    );
    assert_eq!(env.counts(), before);
}

#[test]
fn tcvn3_font_cell_is_decoded() {
    // the ingest layer exposes the decoded grid; the CLI path is covered above
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.xlsx");
    wide_workbook(&path);
    let sheets = solieu_ingest::xlsx::read_workbook(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(sheets[0].get(12, 1).text(), "Sở Công Thương");
    assert_eq!(
        sheets[0].get(12, 0).text(),
        "Nguån:",
        "text in an ordinary font is left alone"
    );
}

#[test]
fn wide_sheet_with_an_unknown_row_is_refused_with_its_cell() {
    let env = Env::new();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "Chỉ tiêu").unwrap();
    ws.write_string(0, 1, "Ước tính tháng 10 năm 2020").unwrap();
    ws.write_string(1, 0, "Doanh thu bán lẻ hàng hóa").unwrap();
    ws.write_string(1, 1, "72.100").unwrap();
    ws.write_string(2, 0, "Số con mèo").unwrap();
    ws.write_string(2, 1, "5").unwrap();
    let path = env.dir.path().join("bad.xlsx");
    wb.save(&path).unwrap();
    let before = env.counts();
    let out = env.run(&["import", "--area", "79", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("bad.xlsx[Sheet1]:3:A3") && err.contains("not an indicator of the catalogue"),
        "{err}"
    );
    assert_eq!(env.counts(), before);
}

#[test]
fn long_layout_workbook() {
    let env = Env::new();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["indicator", "area", "period", "measure", "value", "unit"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "EXPORTS").unwrap();
    ws.write_string(1, 1, "79").unwrap();
    ws.write_string(1, 2, "2020-01/2020-10").unwrap();
    ws.write_string(1, 3, "level").unwrap();
    ws.write_number(1, 4, 36.7).unwrap();
    ws.write_string(1, 5, "tỷ USD").unwrap();
    let path = env.dir.path().join("long.xlsx");
    wb.save(&path).unwrap();
    env.ok(&["import", path.to_str().unwrap()]);
    let rows = env.query_csv(&["--indicator", "EXPORTS"]);
    assert_eq!(rows[0][4], "36700");
}

#[test]
fn catalog_import_adds_indicators_and_locates_errors() {
    let env = Env::new();
    let good = env.file(
        "cat.csv",
        "code,name_vi,name_en,unit,time_aggregation,area_aggregation,decimals\nTOURISTS,Lượt khách du lịch,Tourist arrivals,nghìn lượt,flow,sum,1\n".as_bytes(),
    );
    env.ok(&["catalog", "import", &good]);
    assert!(env
        .ok(&["indicators", "--format", "csv"])
        .contains("TOURISTS,Lượt khách du lịch"));
    let bad = env.file(
        "cat2.csv",
        "code,name_vi,name_en,unit,time_aggregation,area_aggregation,decimals\nX1,Tên,Name,%,monthly,sum,1\n".as_bytes(),
    );
    let out = env.run(&["catalog", "import", &bad]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cat2.csv:2:time_aggregation"),
        "{}",
        stderr(&out)
    );
}

/// Sum of the ten monthly levels Jan–Oct of `year` for HCMC (all ten must exist).
fn jan_to_oct_levels(env: &Env, indicator: &str, year: i32) -> f64 {
    let period = format!("{year}-01..{year}-10");
    let rows = env.query_csv(&[
        "--indicator",
        indicator,
        "--area",
        "79",
        "--period",
        &period,
        "--measure",
        "level",
    ]);
    assert_eq!(rows.len(), 10, "{indicator} {year}: {rows:?}");
    rows.iter().map(|r| r[4].parse::<f64>().unwrap()).sum()
}

#[test]
fn demo_loads_and_reproduces_the_seed_figures() {
    let env = Env::new();
    let out = env.ok(&["demo"]);
    assert!(out.contains("real figures"), "{out}");
    let rows = env.query_csv(&[
        "--indicator",
        "RETAIL_GOODS",
        "--area",
        "79",
        "--period",
        "2020-01/2020-10",
        "--measure",
        "yoy_pct",
    ]);
    assert_eq!(rows[0][4], "9.9");
    // the synthetic months of Jan–Oct 2020 and 2019 reproduce the published +9,9 %
    let months = |y: i32| jan_to_oct_levels(&env, "RETAIL_GOODS", y);
    let growth = (months(2020) / months(2019) - 1.0) * 100.0;
    assert!(
        (growth - 9.9).abs() < 0.05,
        "synthetic months give {growth:.3} %"
    );
    let exports = |y: i32| jan_to_oct_levels(&env, "EXPORTS", y);
    assert!((exports(2020) - 36_700.0).abs() < 1.0, "{}", exports(2020));
    assert!(((exports(2020) / exports(2019) - 1.0) * 100.0 - 5.5).abs() < 0.05);
    // a second run adds nothing
    let before = env.counts();
    env.ok(&["demo"]);
    assert_eq!(env.counts(), before);
}

#[test]
fn dimensions_are_declared_checked_and_stored() {
    let env = Env::new();
    // an indicator broken down by some codes of the PRODUCT list
    let cat = env.file(
        "cat.csv",
        "code,name_vi,name_en,unit,time_aggregation,area_aggregation,decimals,dimensions\n\
         EXPORTS_BY_PRODUCT,Kim ngạch xuất khẩu theo mặt hàng,Exports by product,triệu USD,flow,sum,1,PRODUCT=FOOTWEAR|TEXTILES|OTHER:complete\n"
            .as_bytes(),
    );
    env.ok(&["catalog", "import", &cat]);
    let good = env.file(
        "d.csv",
        "indicator,area,period,value,product\nEXPORTS_BY_PRODUCT,79,2020-02,120.5,FOOTWEAR\nEXPORTS_BY_PRODUCT,79,2020-02,300,Dệt may\n".as_bytes(),
    );
    let out = env.ok(&["import", &good]);
    assert!(out.contains("2 new vintages"), "{out}");
    // a code of the list this indicator does not use, and no code at all
    let bad = env.file(
        "e.csv",
        "indicator,area,period,value,product\nEXPORTS_BY_PRODUCT,79,2020-02,1,RICE\nEXPORTS_BY_PRODUCT,79,2020-02,1,CAO_SU_X\n".as_bytes(),
    );
    let err = stderr(&env.run(&["import", &bad]));
    assert!(
        err.contains("e.csv:2:product")
            && err.contains("RICE (Gạo) is not one of the codes of PRODUCT used here"),
        "{err}"
    );
    assert!(
        err.contains("e.csv:3:product") && err.contains("not a code or a label of list PRODUCT"),
        "{err}"
    );
    // no code: the total
    let total = env.file(
        "f.csv",
        "indicator,area,period,value\nEXPORTS_BY_PRODUCT,79,2020-03,1\n".as_bytes(),
    );
    env.ok(&["import", &total]);
    // a catalogue naming a code its list lacks is refused
    let wrong = env.file(
        "cat2.csv",
        "code,name_vi,name_en,unit,time_aggregation,area_aggregation,decimals,dimensions\n\
         X_BY_PRODUCT,X,X,triệu USD,flow,sum,1,PRODUCT=GIAY_DEP\n"
            .as_bytes(),
    );
    let err = stderr(&env.run(&["catalog", "import", &wrong]));
    assert!(
        err.contains("cat2.csv:2:dimensions: GIAY_DEP not a code of list PRODUCT"),
        "{err}"
    );
    // the export carries the dimension column and round-trips
    let out = env.dir.path().join("x.csv");
    env.ok(&[
        "export",
        "--format",
        "csv",
        "--indicator",
        "EXPORTS_BY_PRODUCT",
        "-o",
        out.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.lines().next().unwrap().ends_with(",PRODUCT"), "{text}");
    assert!(text.contains(",TEXTILES"), "{text}");
    let again = env.ok(&["import", out.to_str().unwrap()]);
    assert!(again.contains("0 new vintages"), "{again}");
}

/// The filled copy of the Department of Industry and Trade's real
/// export-by-product template (data/export_form_filled.py).
const EXPORT_FORM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/it/data/export_form_filled.xlsx"
);

#[test]
fn the_departments_export_form_by_product_imports_and_every_cell_reads_back() {
    let env = Env::new();
    // no title says exports or imports: refused, asking which, nothing written
    let before = env.counts();
    let out = env.run(&["import", EXPORT_FORM, "--area", "74", "--year", "2020"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "accepted: {err}");
    assert!(
        err.contains("export_form_filled.xlsx[Sheet1]:2:D2")
            && err.contains("EXPORTS or IMPORTS")
            && err.contains("--indicator"),
        "{err}"
    );
    assert_eq!(env.counts(), before);

    // --dry-run says how each column was understood, and writes nothing
    let out = env.run(&[
        "import",
        EXPORT_FORM,
        "--area",
        "74",
        "--year",
        "2020",
        "--indicator",
        "EXPORTS,EXPORTS_VOLUME",
        "--dry-run",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let told = stderr(&out);
    for line in [
        "its rows are codes of PRODUCT",
        "column C 'Tháng 02 Sản lượng (Nghìn tấn)': EXPORTS_VOLUME, level 2020-02",
        "column D 'Tháng 02 Trị giá (Triệu USD)': EXPORTS, level 2020-02",
        "column E 'Tháng 02 ƯTH so cùng kỳ': EXPORTS, yoy_pct 2020-02",
        "column J '02 Tháng ƯTH so KH năm': EXPORTS, plan_pct 2020-01/2020-02",
    ] {
        assert!(told.contains(line), "{line}: {told}");
    }
    assert_eq!(env.counts(), before);
    let said = env.ok(&[
        "import",
        EXPORT_FORM,
        "--area",
        "74",
        "--year",
        "2020",
        "--indicator",
        "EXPORTS,EXPORTS_VOLUME",
    ]);
    // every filled cell: 15 groups × 6 or 8 columns, and the total's six
    assert!(said.contains("102 observations"), "{said}");
    let stored = env.query_csv(&["--indicator", "EXPORTS,EXPORTS_VOLUME", "--area", "74"]);
    assert_eq!(stored.len(), 102);
    let find = |ind: &str, period: &str, measure: &str, dims: &str| -> String {
        let hits: Vec<&Vec<String>> = stored
            .iter()
            .filter(|r| r[0] == ind && r[2] == period && r[3] == measure && r[10] == dims)
            .collect();
        assert_eq!(hits.len(), 1, "{ind} {period} {measure} {dims}: {hits:?}");
        hits[0][4].clone()
    };
    // one row of the form, column by column (C … J), and the total
    let e = "PRODUCT=CASHEW";
    assert_eq!(find("EXPORTS_VOLUME", "2020-02", "level", e), "2.1");
    assert_eq!(find("EXPORTS", "2020-02", "level", e), "14.6");
    assert_eq!(find("EXPORTS", "2020-02", "yoy_pct", e), "4.3"); // "ƯTH so cùng kỳ" 104,3
    assert_eq!(find("EXPORTS", "2020-02", "mom_pct", e), "-11.8"); // "ƯTH so tháng trước" 88,2
    assert_eq!(find("EXPORTS_VOLUME", "2020-01/2020-02", "level", e), "4.5");
    assert_eq!(find("EXPORTS", "2020-01/2020-02", "level", e), "31.2");
    assert_eq!(find("EXPORTS", "2020-01/2020-02", "yoy_pct", e), "2.7");
    assert_eq!(find("EXPORTS", "2020-01/2020-02", "plan_pct", e), "14.8");
    assert_eq!(find("EXPORTS", "2020-02", "level", ""), "901.9");
    assert_eq!(find("EXPORTS", "2020-01/2020-02", "level", ""), "1857.4");
    assert_eq!(
        find("EXPORTS", "2020-02", "level", "PRODUCT=ELECTRONICS"),
        "74.1"
    );
    // the quantity of unlike goods has no total: none stored
    assert!(!stored
        .iter()
        .any(|r| r[0] == "EXPORTS_VOLUME" && r[10].is_empty()));

    // derived, as a leader reads them: level, growth both ways, share and rank among the groups
    let rows = env.query_csv(&[
        "--indicator",
        "EXPORTS",
        "--area",
        "74",
        "--period",
        "2020-02",
        "--dim",
        "PRODUCT=*",
        "--measure",
        "value,cumulative,yoy_pct,cumulative_yoy_pct,plan_pct,share_pct,rank",
    ]);
    assert_eq!(rows.len(), 15 * 7, "{rows:?}");
    let fig = |code: &str, measure: &str| -> (String, String) {
        let r = rows
            .iter()
            .find(|r| r[9] == format!("PRODUCT={code}") && r[3] == measure)
            .unwrap_or_else(|| panic!("{code} {measure}"));
        (r[4].clone(), r[7].clone())
    };
    assert_eq!(fig("ELECTRONICS", "cumulative").0, "152.4");
    assert_eq!(fig("ELECTRONICS", "cumulative_yoy_pct").0, "8.2");
    assert_eq!(fig("ELECTRONICS", "plan_pct").0, "16");
    let share: f64 = fig("ELECTRONICS", "share_pct").0.parse().unwrap();
    assert!((share - 74.1 / 901.9 * 100.0).abs() < 1e-6, "{share}");
    assert_eq!(fig("OTHER", "rank"), ("1".into(), "of 15".into()));
    assert_eq!(fig("WOOD", "rank").0, "2");
    assert_eq!(fig("CASSAVA", "rank").0, "15");
    // a label as the filter
    let rows = env.query_csv(&[
        "--indicator",
        "EXPORTS",
        "--area",
        "74",
        "--period",
        "2020-02",
        "--dim",
        "PRODUCT=Hàng dệt may",
    ]);
    // stored figures (no measure): that code's level and growth rates only
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(
        (rows[0][4].as_str(), rows[0][10].as_str()),
        ("112.4", "PRODUCT=TEXTILES")
    );
}

#[test]
fn a_breakdown_must_add_up_and_its_parts_make_the_total() {
    let env = Env::new();
    let before = env.counts();
    // the parts of a complete breakdown disagree with the total; a part
    // ("trong đó") above its whole; a label meaning the same code twice
    let bad = env.file(
        "bad.csv",
        "indicator,area,period,value,sector,market,product\n\
         EXPORTS,79,2020-10,3900,,,\n\
         EXPORTS,79,2020-10,1000,Khu vực kinh tế trong nước,,\n\
         EXPORTS,79,2020-10,2800,FDI,,\n\
         EXPORTS,79,2020-10,4000,,US,\n\
         EXPORTS,79,2020-10,70,,,ELECTRONICS\n\
         EXPORTS,79,2020-10,70,,,\"Máy vi tính, sản phẩm điện tử và linh kiện\"\n"
            .as_bytes(),
    );
    let out = env.run(&["import", &bad]);
    let err = stderr(&out);
    assert!(!out.status.success(), "accepted: {err}");
    assert!(
        err.contains("bad.csv:2:value") && err.contains("3900") && err.contains("add up to 3800"),
        "{err}"
    );
    assert!(
        err.contains("bad.csv:5:value")
            && err.contains("US")
            && err.contains("not above its whole"),
        "{err}"
    );
    assert!(
        err.contains("bad.csv:7:value") && err.contains("duplicate"),
        "{err}"
    );
    assert_eq!(env.counts(), before);

    // parts with no total: the total is their sum
    let parts = env.file(
        "parts.csv",
        "indicator,area,period,value,sector\nEXPORTS,79,2020-10,1100,DOMESTIC\nEXPORTS,79,2020-10,2800,FDI\n".as_bytes(),
    );
    env.ok(&["import", &parts]);
    let rows = derived(
        &env,
        &[
            "--indicator",
            "EXPORTS",
            "--area",
            "79",
            "--period",
            "2020-10",
            "--measure",
            "value",
        ],
    );
    assert_eq!(rows[0].0, "3900");
    assert!(rows[0].2.contains("aggregated"), "{rows:?}");
    let rows = env.query_csv(&[
        "--indicator",
        "EXPORTS",
        "--area",
        "79",
        "--period",
        "2020-10",
        "--dim",
        "SECTOR=FDI",
        "--measure",
        "share_pct",
    ]);
    let share: f64 = rows[0][4].parse().unwrap();
    assert!((share - 2800.0 / 3900.0 * 100.0).abs() < 1e-6, "{share}");

    // SDMX-CSV carries the breakdown both ways: exported, read into another store
    let out = env.dir.path().join("e.sdmx.csv");
    env.ok(&[
        "export",
        "--format",
        "sdmx-csv",
        "--indicator",
        "EXPORTS",
        "-o",
        out.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains(",VALUE,FDI,_T,_T,_T,_T,_T,2020-10,2800,"),
        "{text}"
    );
    let other = Env::new();
    other.ok(&["import", out.to_str().unwrap()]);
    let rows = other.query_csv(&["--indicator", "EXPORTS", "--dim", "SECTOR=FDI"]);
    assert_eq!((rows.len(), rows[0][4].as_str()), (1, "2800"), "{rows:?}");
}

/// `query` rows as (value, status, basis, note) for derived figures.
fn derived(env: &Env, args: &[&str]) -> Vec<(String, String, String, String)> {
    env.query_csv(args)
        .into_iter()
        .map(|r| (r[4].clone(), r[5].clone(), r[6].clone(), r[7].clone()))
        .collect()
}

#[test]
fn seed_growth_rates_come_out_of_the_stored_levels() {
    let env = Env::new();
    env.ok(&["demo"]);
    // computed from the months of 2019 and 2020, not read from the reported rates
    for (indicator, published) in [("RETAIL_GOODS", 9.9), ("EXPORTS", 5.5)] {
        let rows = derived(
            &env,
            &[
                "--indicator",
                indicator,
                "--area",
                "79",
                "--period",
                "2020-10",
                "--measure",
                "cumulative_yoy_pct",
                "--computed",
            ],
        );
        let (value, _, basis, note) = &rows[0];
        let v: f64 = value.parse().unwrap();
        assert!((v - published).abs() < 0.05, "{indicator}: {v}");
        assert!(!basis.contains("reported"), "{basis}");
        assert!(!note.contains("DISCREPANCY"), "{note}");
    }
    // the default shows the reported figure, agreeing with the computed one
    let rows = derived(
        &env,
        &[
            "--indicator",
            "RETAIL_GOODS",
            "--area",
            "79",
            "--period",
            "2020-01/2020-10",
            "--measure",
            "yoy_pct",
        ],
    );
    assert_eq!(
        (rows[0].0.as_str(), rows[0].2.as_str()),
        ("9.9", "reported")
    );
}

/// `query` arguments for the merged Ho Chi Minh City, October 2025.
fn merged_query(measures: &str) -> [&str; 8] {
    [
        "--indicator",
        "RETAIL_GOODS",
        "--area",
        "79",
        "--period",
        "2025-10",
        "--measure",
        measures,
    ]
}

const MERGER: &str = "indicator,area,period,value,status\n\
    RETAIL_GOODS,79,2024-10,1000,A\nRETAIL_GOODS,74,2024-10,300,A\nRETAIL_GOODS,77,2024-10,200,A\n\
    RETAIL_GOODS,79,2025-10,1650,E\n";

#[test]
fn a_merged_province_is_compared_with_its_predecessors() {
    let env = Env::new();
    let f = env.file("m.csv", MERGER.as_bytes());
    env.ok(&["import", &f]);
    let q = merged_query("yoy_pct,value");
    let rows = derived(&env, &q);
    // 1650 against 1000 + 300 + 200 = 1500: +10 %, on the comparable basis, an estimate
    assert_eq!(rows[0].0, "10");
    assert_eq!(rows[0].1, "E");
    assert!(rows[0].2.contains("comparable basis"), "{:?}", rows[0]);
    assert_eq!(rows[1].0, "1650");
    // without the comparable basis there is nothing to compare with, and it says why
    let mut strict = q.to_vec();
    strict.push("--no-comparable");
    let rows = derived(&env, &strict);
    assert_eq!(rows[0].0, "");
    assert!(rows[0].3.contains("did not exist"), "{:?}", rows[0]);
    // --explain names every vintage used: the four stored levels
    let json = env.ok(&[
        "query",
        "--indicator",
        "RETAIL_GOODS",
        "--area",
        "79",
        "--period",
        "2025-10",
        "--measure",
        "yoy_pct",
        "--explain",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let inputs = v[0]["inputs"].as_array().unwrap();
    let mut areas: Vec<&str> = inputs
        .iter()
        .map(|i| i["area_key"].as_str().unwrap())
        .collect();
    areas.sort_unstable();
    assert_eq!(areas, ["74", "77", "79", "79@2025-07-01"]);
    assert_eq!(v[0]["value"], serde_json::json!(10.0));
}

#[test]
fn derived_figures_as_of_a_past_time_and_discrepancies() {
    let env = Env::new();
    let f = env.file("m.csv", MERGER.as_bytes());
    env.ok(&["import", &f]);
    let between = chrono::Utc::now().to_rfc3339();
    std::thread::sleep(std::time::Duration::from_millis(20));
    // the estimate is revised, and a source reports a growth rate that disagrees
    let g = env.file(
        "r.csv",
        "indicator,area,period,measure,value,status\n\
         RETAIL_GOODS,79,2025-10,level,1800,P\nRETAIL_GOODS,79,2025-10,yoy_pct,15,P\n"
            .as_bytes(),
    );
    env.ok(&["import", &g]);
    let q = merged_query("yoy_pct");
    let now = derived(&env, &q);
    assert_eq!(now[0].0, "15");
    assert!(
        now[0].3.contains("DISCREPANCY: reported 15 vs computed 20"),
        "{:?}",
        now[0]
    );
    let mut then = q.to_vec();
    then.extend(["--as-of", &between]);
    let then = derived(&env, &then);
    assert_eq!((then[0].0.as_str(), then[0].1.as_str()), ("10", "E"));
    // the region: members of the period, partial when one lacks the figure
    let r = derived(
        &env,
        &[
            "--indicator",
            "RETAIL_GOODS",
            "--area",
            "VKTTDPN",
            "--period",
            "2024-10",
            "--measure",
            "value",
        ],
    );
    assert_eq!(r[0].0, "");
    assert!(
        r[0].3.contains("member area(s) without the figure"),
        "{:?}",
        r[0]
    );
}

fn report(env: &Env, args: &[&str]) -> String {
    let mut a = vec!["report"];
    a.extend_from_slice(args);
    env.ok(&a)
}

/// Writes the report of Ho Chi Minh City, October 2020 (issued 11/11/2020)
/// in a format to a file; returns its path.
fn report_file(env: &Env, format: &str) -> PathBuf {
    let path = env.dir.path().join(format!("r.{format}"));
    let p = path.to_str().unwrap();
    report(
        env,
        &[
            "--area",
            "79",
            "--period",
            "2020-10",
            "--format",
            format,
            "--date",
            "2020-11-11",
            "-o",
            p,
        ],
    );
    path
}

#[test]
fn the_report_says_what_was_published() {
    let env = Env::new();
    env.ok(&["demo"]);
    let oct = report(&env, &["--area", "79", "--period", "2020-10"]);
    assert!(
        oct.starts_with("# BÁO CÁO TÌNH HÌNH KINH TẾ - XÃ HỘI THÁNG 10 VÀ 10 THÁNG NĂM 2020"),
        "{oct}"
    );
    for published in [
        "doanh thu bán lẻ hàng hóa ước đạt 686.507 tỷ đồng, tăng 9,9% so với cùng kỳ",
        "kim ngạch xuất khẩu hàng hóa ước đạt 36,7 tỷ USD, tăng 5,5% so với cùng kỳ",
        "ước đạt 290.736 tỷ đồng, đạt 71,6% dự toán, giảm 12,8% so với cùng kỳ",
        "quỹ phát triển khoa học và công nghệ tính đến tháng 10/2020 là 122 doanh nghiệp",
        "số sự kiện về đổi mới sáng tạo và khởi nghiệp ước đạt 35 sự kiện",
    ] {
        assert!(oct.contains(published), "missing «{published}» in\n{oct}");
    }
    assert!(
        !oct.contains("-4") && !oct.contains("−"),
        "falls are written with giảm"
    );
    let nov = report(&env, &["--area", "79", "--period", "2020-11"]);
    for published in [
        "tháng 11 ước đạt 116.271 tỷ đồng, tăng 2,21% so với tháng trước và giảm 4,1% so với cùng kỳ",
        "ước đạt 1.172.800 tỷ đồng, giảm 2,3% so với cùng kỳ",
    ] {
        assert!(nov.contains(published), "missing «{published}» in\n{nov}");
    }
    let en = report(
        &env,
        &["--area", "79", "--period", "2020-10", "--lang", "en"],
    );
    assert!(
        en.contains("36.7 billion USD, up 5.5% on the same period"),
        "{en}"
    );
    // a section without data is left out, not printed with zeros
    assert!(!oct.contains("NÔNG, LÂM NGHIỆP"), "{oct}");
    // and a month without any data is no report at all
    let out = env.run(&["report", "--area", "79", "--period", "2031-01"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no figures for Thành phố Hồ Chí Minh (79) in 2031-01"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn growth_in_the_report_comes_from_levels_when_no_rate_was_reported() {
    let env = Env::new();
    env.ok(&["demo"]);
    // only the monthly levels of 2019 and 2020, into a fresh store
    let levels = env.dir.path().join("levels.csv");
    let rows = env.query_csv(&[
        "--indicator",
        "RETAIL_GOODS",
        "--area",
        "79",
        "--period",
        "2019-01..2020-10",
    ]);
    let mut csv = String::from("indicator,area,period,value,status\n");
    for r in rows.iter().filter(|r| r[3] == "level") {
        csv.push_str(&format!("{},{},{},{},{}\n", r[0], r[1], r[2], r[4], r[5]));
    }
    std::fs::write(&levels, csv).unwrap();
    let fresh = Env::new();
    fresh.ok(&["import", levels.to_str().unwrap()]);
    let text = report(&fresh, &["--area", "79", "--period", "2020-10"]);
    assert!(
        text.contains(
            "doanh thu bán lẻ hàng hóa ước đạt 686.507 tỷ đồng, tăng 9,9% so với cùng kỳ"
        ),
        "{text}"
    );
}

#[test]
fn a_report_as_of_a_date_does_not_change_after_a_revision() {
    let env = Env::new();
    env.ok(&["demo"]);
    let between = chrono::Utc::now().to_rfc3339();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let args = [
        "--area",
        "79",
        "--period",
        "2020-10",
        "--as-of",
        &between,
        "--sources",
    ];
    let before = report(&env, &args);
    let revision = env.file(
        "rev.csv",
        "indicator,area,period,value,status,source\nRETAIL_GOODS,79,2020-10,75000,A,Cục Thống kê (số chính thức)\n".as_bytes(),
    );
    env.ok(&["import", &revision]);
    assert_eq!(
        report(&env, &args),
        before,
        "the same bytes as of the same time"
    );
    let now = report(&env, &["--area", "79", "--period", "2020-10"]);
    assert!(now.contains("75.000 tỷ đồng"), "{now}");
    assert!(!before.contains("75.000 tỷ đồng"));
    assert!(
        before.contains("NGUỒN SỐ LIỆU") && before.contains("synthetic demo"),
        "{before}"
    );
}

#[test]
fn report_formats_templates_and_escaping() {
    let env = Env::new();
    env.ok(&["demo"]);
    // the table as numbers with number formats
    let x = report_file(&env, "xlsx");
    let sheets = solieu_ingest::xlsx::read_workbook(&std::fs::read(&x).unwrap()).unwrap();
    let row = sheets[0]
        .rows
        .iter()
        .find(|r| r[0].text() == "Kim ngạch xuất khẩu hàng hóa")
        .expect("exports row");
    assert!(
        matches!(row[4], solieu_ingest::xlsx::Cell::Number(v) if (v - 36_700.0).abs() < 1e-9),
        "{row:?}"
    );
    assert!(
        matches!(row[6], solieu_ingest::xlsx::Cell::Number(v) if (v - 105.5).abs() < 1e-9),
        "{row:?}"
    );
    // DOCX: a Word package (its content is checked with python-docx in .ci/run)
    let w = report_file(&env, "docx");
    let bytes = std::fs::read(&w).unwrap();
    assert!(bytes.starts_with(b"PK") && bytes.windows(17).any(|x| x == b"word/document.xml"));
    // HTML: a chart drawn in SVG, no script, names escaped
    let cat = env.file(
        "cat.csv",
        "code,name_vi,name_en,unit,time_aggregation,area_aggregation,decimals\nTOURISM_REVENUE,<script>alert(1)</script> | *du lịch*,Tourism,tỷ đồng,flow,sum,0\n".as_bytes(),
    );
    env.ok(&["catalog", "import", &cat]);
    let d = env.file(
        "t.csv",
        "indicator,area,period,value\nTOURISM_REVENUE,79,2020-10,100\n".as_bytes(),
    );
    env.ok(&["import", &d]);
    let html = report(
        &env,
        &["--area", "79", "--period", "2020-10", "--format", "html"],
    );
    assert!(html.contains("<svg") && !html.contains("<script"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    let md = report(&env, &["--area", "79", "--period", "2020-10"]);
    assert!(
        md.contains(r"\<script\>alert(1)\</script\> \| \*du lịch\*"),
        "{md}"
    );
    // a department's own template
    let dir = env.dir.path().join("tpl");
    std::fs::create_dir_all(&dir).unwrap();
    let builtin = report(&env, &["--area", "79", "--period", "2020-10"]);
    assert!(builtin.contains("Tính chung 10 tháng"));
    std::fs::write(
        dir.join("report.vi.md"),
        "# Sở KH&ĐT — {{ area }}\n{% for s in sections %}{% for i in s.items %}{% if i.cumulative_yoy %}- {{ i.name }}: {{ i.cumulative_yoy.value | change(i.cumulative_yoy.decimals) }}\n{% endif %}{% endfor %}{% endfor %}",
    )
    .unwrap();
    let own = report(
        &env,
        &[
            "--area",
            "79",
            "--period",
            "2020-10",
            "--template",
            dir.to_str().unwrap(),
        ],
    );
    assert!(
        own.contains("- Doanh thu bán lẻ hàng hóa: tăng 9,9%"),
        "{own}"
    );
    // a broken template is an error that names the file and line
    std::fs::write(dir.join("report.vi.md"), "{% for x in %}\n").unwrap();
    let out = env.run(&[
        "report",
        "--area",
        "79",
        "--period",
        "2020-10",
        "--template",
        dir.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("report.vi.md:1"), "{}", stderr(&out));
}

/// Runs an external tool; `None` when it is not installed, unless CI asks
/// for it (SOLIEU_REQUIRE_TOOLS=1), where a missing tool fails the test.
fn tool(name: &str, args: &[&str]) -> Option<String> {
    match Command::new(name).args(args).output() {
        Ok(o) => {
            assert!(o.status.success(), "{name} failed: {}", stderr(&o));
            Some(String::from_utf8(o.stdout).unwrap())
        }
        Err(_) if std::env::var("SOLIEU_REQUIRE_TOOLS").as_deref() == Ok("1") => {
            panic!("{name} is required here (SOLIEU_REQUIRE_TOOLS=1) but not installed")
        }
        Err(_) => {
            eprintln!("{name} not installed: skipped");
            None
        }
    }
}

#[test]
fn the_pdf_report_holds_the_vietnamese_text() {
    let env = Env::new();
    env.ok(&["demo"]);
    let pdf = report_file(&env, "pdf");
    let p = pdf.to_str().unwrap();
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    let Some(text) = tool("pdftotext", &[p, "-"]) else {
        return;
    };
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    use unicode_normalization::UnicodeNormalization;
    assert_eq!(text.nfc().collect::<String>(), text, "NFC text");
    for published in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Thành phố Hồ Chí Minh, ngày 11 tháng 11 năm 2020",
        "doanh thu bán lẻ hàng hóa ước đạt 686.507 tỷ đồng, tăng 9,9% so với cùng kỳ",
        "kim ngạch xuất khẩu hàng hóa ước đạt 36,7 tỷ USD, tăng 5,5% so với cùng kỳ",
    ] {
        assert!(text.contains(published), "missing «{published}» in\n{text}");
    }
}

#[test]
fn xlsx_and_sdmx_csv_exports_hold_numbers_and_inert_text() {
    let env = Env::new();
    let f = env.file(
        "h.csv",
        format!("{HEADER}EXPORTS,79,2020-10,level,3924.7,E,,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\nEXPORTS,79,2020-01/2020-10,yoy_pct,5.5,A,%,TCTK\n").as_bytes(),
    );
    env.ok(&["import", &f]);
    let x = env.dir.path().join("e.xlsx");
    let out = env.ok(&["export", "--format", "xlsx", "-o", x.to_str().unwrap()]);
    assert!(out.contains("2 observations"), "{out}");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&x).unwrap()).unwrap();
    let mut read = |name: &str| {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut s).unwrap();
        s
    };
    // written in constant-memory mode: strings inline in the sheet
    let sheet = read("xl/worksheets/sheet1.xml");
    let strings = sheet.clone();
    assert!(
        sheet.contains("<v>3924.7</v>") && sheet.contains("<v>5.5</v>"),
        "numbers are numbers: {sheet}"
    );
    assert!(!sheet.contains("<f>"), "no formula");
    assert!(
        strings.contains("Mã chỉ tiêu") && strings.contains("Kim ngạch xuất khẩu hàng hóa"),
        "Vietnamese headers and names"
    );
    assert!(
        strings.contains("'=HYPERLINK"),
        "formula text made inert: {strings}"
    );
    assert!(strings.contains("ước tính") && strings.contains("chính thức"));
    let c = env.dir.path().join("e.sdmx.csv");
    env.ok(&["export", "--format", "sdmx-csv", "-o", c.to_str().unwrap()]);
    let text = std::fs::read_to_string(&c).unwrap();
    assert!(
        text.starts_with(
            "DATAFLOW,FREQ,INDICATOR,REF_AREA,MEASURE,SECTOR,PRODUCT,MARKET,INDUSTRY,REVENUE_SOURCE,CPI_GROUP,TIME_PERIOD,OBS_VALUE,OBS_STATUS"
        ),
        "{text}"
    );
    assert!(
        text.contains("SOLIEU:DF_SOLIEU(1.0),M,EXPORTS,79,VALUE,_T,_T,_T,_T,_T,_T,2020-10,3924.7,E,TRIEU_USD,0,1"),
        "{text}"
    );
    assert!(
        text.contains(
            "SOLIEU:DF_SOLIEU(1.0),M,EXPORTS,79,YOY_PCT_YTD,_T,_T,_T,_T,_T,_T,2020-10,5.5,A,PCT,0,1"
        ),
        "{text}"
    );
    let bad = env.run(&["export", "--format", "pdf", "-o", "x"]);
    assert!(!bad.status.success());
}

#[test]
fn sdmx_csv_round_trips_and_deletions_are_refused() {
    let env = Env::new();
    let f = env.file(
        "s.csv",
        format!("{HEADER}EXPORTS,79,2020-10,level,3924.7,E,,TCTK\nEXPORTS,79,2020-01/2020-10,level,36700,E,,TCTK\nEXPORTS,79,2020-01/2020-10,yoy_pct,5.5,A,%,TCTK\nGRDP_CONST,79,2020-Q3,yoy_pct,-1.5,P,%,TCTK\n").as_bytes(),
    );
    env.ok(&["import", &f]);
    let out = env.dir.path().join("s.sdmx.csv");
    env.ok(&[
        "export",
        "--format",
        "sdmx-csv",
        "-o",
        out.to_str().unwrap(),
    ]);
    // into a fresh store through the ordinary import: the same figures
    let env2 = Env::new();
    let text = env2.ok(&["import", out.to_str().unwrap()]);
    assert!(text.contains("4 observations"), "{text}");
    let strip = |rows: Vec<Vec<String>>| {
        rows.into_iter()
            .map(|r| r[..6].to_vec())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        strip(env.query_csv(&["--indicator", "EXPORTS,GRDP_CONST"])),
        strip(env2.query_csv(&["--indicator", "EXPORTS,GRDP_CONST"]))
    );
    // SDMX-CSV 2.0 with a deletion: located, and nothing written
    let before = env2.counts();
    let v2 = env2.file(
        "d.csv",
        b"STRUCTURE,STRUCTURE_ID,ACTION,FREQ,INDICATOR,REF_AREA,MEASURE,TIME_PERIOD,OBS_VALUE,OBS_STATUS\ndataflow,SOLIEU:DF_SOLIEU(1.0),R,M,EXPORTS,79,VALUE,2020-10,3925,A\ndataflow,SOLIEU:DF_SOLIEU(1.0),D,M,EXPORTS,79,VALUE,2020-09,1,A\n",
    );
    let o = env2.run(&["import", &v2]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("d.csv:3:ACTION"), "{}", stderr(&o));
    assert_eq!(env2.counts(), before);
}

#[test]
fn parquet_exports_one_file_or_a_partitioned_archive() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let env = Env::new();
    let f = env.file(
        "p.csv",
        format!("{HEADER}EXPORTS,79,2020-10,level,3924.7,E,,TCHQ\nEXPORTS,79,2019-10,level,3720.1,A,,TCHQ\nEXPORTS,79,2020-01/2020-10,yoy_pct,5.5,A,%,TCTK\n").as_bytes(),
    );
    env.ok(&["import", &f]);
    let one = env.dir.path().join("all.parquet");
    let out = env.ok(&["export", "--format", "parquet", "-o", one.to_str().unwrap()]);
    assert!(out.contains("3 observations"), "{out}");
    let r = SerializedFileReader::new(std::fs::File::open(&one).unwrap()).unwrap();
    let rows: Vec<Vec<(String, Field)>> = r
        .get_row_iter(None)
        .unwrap()
        .map(|r| {
            r.unwrap()
                .get_column_iter()
                .map(|(n, f)| (n.clone(), f.clone()))
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 3);
    let get =
        |row: &Vec<(String, Field)>, k: &str| row.iter().find(|c| c.0 == k).unwrap().1.clone();
    let oct = rows
        .iter()
        .find(|r| get(r, "period") == Field::Str("2020-10".into()))
        .unwrap();
    assert_eq!(get(oct, "value"), Field::Double(3924.7));
    assert_eq!(get(oct, "status"), Field::Str("E".into()));
    assert_eq!(get(oct, "unit"), Field::Str("triệu USD".into()));
    assert_eq!(
        get(oct, "area_name"),
        Field::Str("Thành phố Hồ Chí Minh".into())
    );
    // a partitioned archive: one directory per indicator and year
    let dir = env.dir.path().join("archive");
    let out = env.ok(&["export", "--format", "parquet", "-o", dir.to_str().unwrap()]);
    assert!(out.contains("in 2 partitions"), "{out}");
    assert!(dir
        .join("indicator=EXPORTS/year=2019/part-0.parquet")
        .exists());
    assert!(dir
        .join("indicator=EXPORTS/year=2020/part-0.parquet")
        .exists());
    // never over an earlier export
    let again = env.run(&["export", "--format", "parquet", "-o", dir.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn hostile_text_files_are_refused_cleanly_and_nothing_is_written() {
    let env = Env::new();
    let ok = env.file(
        "ok.csv",
        b"indicator,area,period,value\nEXPORTS,79,2020-08,3500\n",
    );
    env.ok(&["import", &ok]);
    let before = env.counts();
    let mut wide_header = String::from("indicator,area,period,value");
    for i in 0..1_000_000 {
        wide_header.push_str(&format!(",x{i}"));
    }
    let huge_cell = format!(
        "indicator,area,period,value\nEXPORTS,79,2020-10,{}\n",
        "1".repeat(100 << 20)
    );
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "wide.csv",
            format!("{wide_header}\nEXPORTS,79,2020-10,1\n").into_bytes(),
            "unknown column 'x0'",
        ),
        ("line.csv", huge_cell.into_bytes(), "not a finite number"),
        (
            "nul.csv",
            b"indicator,area,period,value\nEXPORTS,79,2020-10,37\x0000\n".to_vec(),
            "NUL byte",
        ),
        (
            "year0.csv",
            b"indicator,area,period,value\nEXPORTS,79,0000-01,1\n".to_vec(),
            "period",
        ),
        (
            "badutf8.csv",
            b"indicator,area,period,value\nEXPORTS,79,2020-10,\xff\xfe37\n".to_vec(),
            "not a number",
        ),
    ];
    for (name, bytes, want) in cases {
        let f = env.file(name, &bytes);
        let out = env.run(&["import", &f]);
        let err = stderr(&out);
        assert!(!out.status.success(), "{name} was accepted");
        assert!(
            err.contains(want),
            "{name}: expected '{want}' in {}",
            &err[..err.len().min(2000)]
        );
        assert!(
            err.len() < 64 << 10,
            "{name}: the message echoes the input ({} bytes)",
            err.len()
        );
        assert_eq!(env.counts(), before, "{name} changed the store");
    }
    // a BOM, CRLF and bare LF mixed, and a negative zero: read as meant
    let f = env.file(
        "mixed.csv",
        "\u{feff}indicator,area,period,value\r\nEXPORTS,79,2020-10,3924.7\nEXPORTS,79,2020-09,-0\r\n".as_bytes(),
    );
    let out = env.ok(&["import", &f]);
    assert!(out.contains("2 observations"), "{out}");
    let rows = env.query_csv(&[
        "--indicator",
        "EXPORTS",
        "--area",
        "79",
        "--period",
        "2020-09",
    ]);
    assert!(
        rows.iter().any(|r| r.iter().any(|c| c == "0"))
            && !rows.iter().any(|r| r.iter().any(|c| c == "-0")),
        "{rows:?}"
    );
}

#[test]
fn the_old_sector_codes_still_import_and_answer_as_codes_of_exports() {
    let env = Env::new();
    // a department's file of the first release, and a form row by the old name
    let old = env.file(
        "old.csv",
        "indicator,area,period,value\nEXPORTS_FDI,79,2020-10,2800\nEXPORTS_DOMESTIC,79,2020-10,1100\n"
            .as_bytes(),
    );
    env.ok(&["import", &old]);
    let rows = env.query_csv(&["--indicator", "EXPORTS", "--dim", "SECTOR=*"]);
    assert_eq!(rows.len(), 2, "{rows:?}");
    // the old codes answer: stored and derived
    let rows = env.query_csv(&["--indicator", "EXPORTS_FDI"]);
    assert_eq!(
        (rows.len(), rows[0][4].as_str(), rows[0][10].as_str()),
        (1, "2800", "SECTOR=FDI"),
        "{rows:?}"
    );
    let rows = derived(
        &env,
        &[
            "--indicator",
            "EXPORTS_FDI",
            "--area",
            "79",
            "--period",
            "2020-10",
            "--measure",
            "value",
        ],
    );
    assert_eq!(rows[0].0, "2800");
    // the total is their sum, and the same figure twice is refused
    let rows = derived(
        &env,
        &[
            "--indicator",
            "EXPORTS",
            "--area",
            "79",
            "--period",
            "2020-10",
            "--measure",
            "value",
        ],
    );
    assert_eq!(rows[0].0, "3900");
    let twice = env.file(
        "twice.csv",
        "indicator,area,period,value,sector\nEXPORTS_FDI,79,2020-11,1,\nEXPORTS,79,2020-11,2,FDI\n"
            .as_bytes(),
    );
    let err = stderr(&env.run(&["import", &twice]));
    assert!(
        err.contains("twice.csv:3:value") && err.contains("duplicate"),
        "{err}"
    );
    // the old code cannot be defined again
    let cat = env.file(
        "cat.csv",
        "code,name_vi,name_en,unit,time_aggregation,area_aggregation,decimals\nEXPORTS_FDI,X,X,triệu USD,flow,sum,1\n"
            .as_bytes(),
    );
    let err = stderr(&env.run(&["catalog", "import", &cat]));
    assert!(
        err.contains("EXPORTS_FDI is now EXPORTS broken down by SECTOR=FDI"),
        "{err}"
    );
}

/// The statistics office's SDMX-ML messages (data/gso-nsdp/README.md).
const GSO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/data/gso-nsdp");

/// The value of one figure in `query --format csv` output, by indicator,
/// period, measure and breakdown.
fn figure(rows: &[Vec<String>], ind: &str, period: &str, measure: &str, dims: &str) -> f64 {
    let hits: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| {
            r[0] == ind
                && r[2] == period
                && r[3] == measure
                && r.get(9).map_or("", String::as_str) == dims
        })
        .collect();
    assert_eq!(hits.len(), 1, "{ind} {period} {measure} {dims}: {hits:?}");
    hits[0][4]
        .parse()
        .unwrap_or_else(|_| panic!("{ind} {period} {measure}: {:?}", hits[0]))
}

#[test]
fn the_statistics_offices_sdmx_ml_messages_import_with_the_built_in_mapping() {
    let env = Env::new();
    // every message imports; what no mapping row covers is said, not hidden
    for (file, read) in [
        ("CPIVNM.xml", 918),
        ("GDPVNM.xml", 4434),
        ("IIPVNM.xml", 470),
        ("LMIVNM.xml", 141),
        ("POPVNM.xml", 15),
        ("PPIVNM.xml", 729),
    ] {
        let out = env.run(&["import", &format!("{GSO}/{file}")]);
        assert!(out.status.success(), "{file}: {}", stderr(&out));
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            said.contains(&format!("{read} observations, {read} new vintages")),
            "{file}: {said}"
        );
        assert!(stderr(&out).contains("structure IMF:ECOFIN_DSD(1.0)"));
    }
    // the import records the message: its ID, sender and Prepared time
    let audit = env.ok(&["audit"]);
    assert!(
        audit.contains("CPIVNM.xml: SDMX message IREF805461 of ZZZ, prepared 2024-11-13T06:49:09Z"),
        "{audit}"
    );
    let notes = stderr(&env.run(&["import", &format!("{GSO}/LMIVNM.xml")]));
    assert!(notes.contains("INDICATOR=LUR15O_PT (31)"), "{notes}");
    assert!(
        notes.contains("UNIT_MULT 3 not applied to UNEMPLOYMENT_RATE"),
        "{notes}"
    );

    // a figure of each message reads back as the file gives it (OBS_VALUE ×
    // 10^(UNIT_MULT − the catalogue unit's power): 9 for tỷ đồng, 3 for nghìn người)
    let q = |ind: &str, period: &str, measure: &str, dim: Option<&str>| {
        let mut a = vec![
            "--indicator",
            ind,
            "--area",
            "VN",
            "--period",
            period,
            "--measure",
            measure,
        ];
        if let Some(d) = dim {
            a.extend(["--dim", d]);
        }
        env.query_csv(&a)
    };
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6 * b.abs().max(1.0);
    for (ind, period, dim, dims, want) in [
        ("CPI_FIXED", "2020-08", None, "", 102.8928),
        ("IIP_FIXED", "2017-01", None, "", 96.8),
        ("GRDP_CURRENT", "2004", None, "", 779_337.670_445_457_8),
        ("LABOUR_FORCE", "2012-Q1", None, "", 51_978.4),
        ("POPULATION", "2020", None, "", 97_582.693),
        (
            "PPI",
            "2011-Q1",
            Some("INDUSTRY=A"),
            "INDUSTRY=A",
            117.872_062_953_239,
        ),
    ] {
        let rows = q(ind, period, "value", dim);
        let got = figure(&rows, ind, period, "value", dims);
        assert!(close(got, want), "{ind} {period}: {got} ≠ {want}");
    }
    // what the office published from the same index: CPI of October 2024
    // up 0,33% on September, 2,89% on October 2023, and 3,78% on average
    // over ten months; agriculture 11,96% of GDP in 2023
    let rows = q(
        "CPI_FIXED",
        "2024-10",
        "mom_pct,yoy_pct,cumulative_yoy_pct",
        None,
    );
    for (m, want) in [
        ("mom_pct", 0.33),
        ("yoy_pct", 2.89),
        ("cumulative_yoy_pct", 3.78),
    ] {
        let got = figure(&rows, "CPI_FIXED", "2024-10", m, "");
        assert!((got - want).abs() < 0.005, "{m}: {got}");
    }
    let rows = q("GRDP_CURRENT", "2023", "share_pct", Some("INDUSTRY=A"));
    let got = figure(&rows, "GRDP_CURRENT", "2023", "share_pct", "INDUSTRY=A");
    assert!((got - 11.96).abs() < 0.005, "{got}");

    // the same message again adds nothing; a later one with one revised
    // value adds exactly that vintage, recorded at its Prepared time
    let again = env.ok(&["import", &format!("{GSO}/POPVNM.xml")]);
    assert!(again.contains("15 observations, 0 new vintages"), "{again}");
    let pop = std::fs::read_to_string(format!("{GSO}/POPVNM.xml")).unwrap();
    let later = pop
        .replace("2024-10-09T01:24:42Z", "2025-03-01T02:00:00Z")
        .replace(
            r#"TIME_PERIOD="2020" OBS_VALUE="97582.693""#,
            r#"TIME_PERIOD="2020" OBS_VALUE="97582.7""#,
        );
    assert_ne!(later, pop);
    let later = env.file("POPVNM-2025.xml", later.as_bytes());
    let said = env.ok(&["import", &later]);
    assert!(said.contains("1 new vintages (1 revisions)"), "{said}");
    let rows = q("POPULATION", "2020", "value", None);
    assert!(close(
        figure(&rows, "POPULATION", "2020", "value", ""),
        97_582.7
    ));
    // the earlier message after the later one is a back-dated revision: refused
    let before = env.counts();
    let out = env.run(&["import", &format!("{GSO}/POPVNM.xml")]);
    assert!(!out.status.success(), "accepted: {}", stderr(&out));
    assert_eq!(env.counts(), before);
}

#[test]
fn a_bad_sdmx_ml_message_or_mapping_is_located_and_writes_nothing() {
    let env = Env::new();
    let before = env.counts();
    let pop = std::fs::read_to_string(format!("{GSO}/POPVNM.xml")).unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "value.xml",
            pop.replace(r#"OBS_VALUE="97582.693""#, r#"OBS_VALUE="97.582,693""#),
            "OBS_VALUE of 2020",
        ),
        (
            "mult.xml",
            pop.replacen(r#"UNIT_MULT="3""#, r#"UNIT_MULT="thousand""#, 1),
            "expected an integer power of ten",
        ),
        (
            "other.xml",
            pop.replace(r#"id="ECOFIN_DSD""#, r#"id="BOP_DSD""#),
            "IMF:BOP_DSD(1.0), which built-in ECOFIN mapping does not map",
        ),
        (
            "broken.xml",
            pop[..pop.len() / 2].to_string(),
            "not well-formed XML",
        ),
    ];
    for (name, text, expected) in cases {
        let f = env.file(name, text.as_bytes());
        let out = env.run(&["import", &f]);
        let err = stderr(&out);
        assert!(!out.status.success(), "{name} accepted: {err}");
        assert!(err.contains(expected), "{name}: {err}");
        assert!(err.contains(name), "{name} not named: {err}");
    }
    // the located value: file, series and period
    let f = env.file(
        "value.xml",
        pop.replace(r#"OBS_VALUE="97582.693""#, r#"OBS_VALUE="n/a?""#)
            .as_bytes(),
    );
    let err = stderr(&env.run(&["import", &f]));
    assert!(err.contains("INDICATOR=LP_PE_NUM"), "{err}");
    // a mapping naming an indicator the catalogue lacks, or with a column it does not know
    let bad = env.file(
        "map.csv",
        b"structure,series,indicator,unit_power\nIMF:ECOFIN_DSD(1.0),INDICATOR=LP_PE_NUM,PEOPLE,3\n",
    );
    let err = stderr(&env.run(&["import", &format!("{GSO}/POPVNM.xml"), "--mapping", &bad]));
    assert!(
        err.contains("map.csv:2:indicator") && err.contains("PEOPLE"),
        "{err}"
    );
    let bad = env.file(
        "map2.csv",
        b"structure,series,indicator,colour\nX,A=B,POPULATION,red\n",
    );
    let err = stderr(&env.run(&["import", &format!("{GSO}/POPVNM.xml"), "--mapping", &bad]));
    assert!(err.contains("unknown column"), "{err}");
    assert_eq!(env.counts(), before);

    // a mapping of one's own: the population in persons (UNIT_MULT 3 read
    // into a catalogue unit of one person is × 1000), exactly
    let own = env.file(
        "own.csv",
        "structure,series,indicator,dims,measure,unit_power,area,source\nIMF:ECOFIN_DSD,INDICATOR=LP_PE_NUM,POPULATION,,,3,,Tổng cục Thống kê\n".as_bytes(),
    );
    let said = env.ok(&["import", &format!("{GSO}/POPVNM.xml"), "--mapping", &own]);
    assert!(said.contains("15 observations"), "{said}");
    let shifted = env.file(
        "persons.xml",
        pop.replace(r#"UNIT_MULT="3""#, r#"UNIT_MULT="0""#)
            .as_bytes(),
    );
    let fresh = Env::new();
    fresh.ok(&["import", &shifted, "--mapping", &own]);
    let rows = fresh.query_csv(&[
        "--indicator",
        "POPULATION",
        "--area",
        "VN",
        "--period",
        "2020",
    ]);
    assert_eq!(rows[0][4], "97.582693", "{rows:?}");
}

/// A one-page HTTP server: each connection gets `status`, `ctype` and
/// `body` (or nothing at all when `status` is 0, until the client gives
/// up). Returns its address and the request lines it saw.
fn stub_http(
    answers: Vec<(u16, &'static str, Vec<u8>)>,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(vec![]));
    let log = seen.clone();
    std::thread::spawn(move || {
        for (stream, (status, ctype, body)) in listener.incoming().zip(answers) {
            let mut stream = stream.unwrap();
            let mut first = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            reader.read_line(&mut first).unwrap();
            loop {
                let mut l = String::new();
                if reader.read_line(&mut l).unwrap() == 0 || l == "\r\n" {
                    break;
                }
            }
            log.lock().unwrap().push(first.trim().to_string());
            if status == 0 {
                std::thread::sleep(std::time::Duration::from_millis(1500));
                continue;
            }
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    (addr, seen)
}

#[test]
fn a_pull_reads_a_real_endpoints_answer_and_refuses_what_is_not_data() {
    let env = Env::new();
    let cpi = std::fs::read(format!("{GSO}/CPIVNM.xml")).unwrap();
    let (addr, seen) = stub_http(vec![
        (500, "text/plain", b"internal error".to_vec()),
        (
            200,
            "text/html",
            b"<!DOCTYPE html><html><body>Portal</body></html>".to_vec(),
        ),
        (0, "", vec![]),
        (200, "application/xml", cpi),
    ]);
    let url = format!("http://{addr}/rest");
    let before = env.counts();
    for (expected, extra) in [
        ("HTTP 500", vec![]),
        ("an HTML page, not SDMX data", vec![]),
        ("no answer within 1 s", vec!["--timeout", "1"]),
    ] {
        let mut args = vec![
            "pull",
            "--url",
            &url,
            "--flow",
            "IMF,ECOFIN_DSD,1.0",
            "--key",
            "M.VN.PCPI_IX",
        ];
        args.extend(extra);
        let out = env.run(&args);
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains(expected),
            "{expected}: {}",
            stderr(&out)
        );
    }
    assert_eq!(env.counts(), before);
    // the stored answer of the real endpoint, through the built-in mapping
    let said = env.ok(&[
        "pull",
        "--url",
        &url,
        "--flow",
        "IMF,ECOFIN_DSD,1.0",
        "--key",
        "M.VN.PCPI_IX",
    ]);
    assert!(
        said.contains("918 observations, 918 new vintages"),
        "{said}"
    );
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .all(|l| l.starts_with("GET /rest/data/IMF,ECOFIN_DSD,1.0/M.VN.PCPI_IX HTTP/1.1")));
    let audit = env.ok(&["audit"]);
    assert_eq!(audit.matches("pull.failed").count(), 3, "{audit}");
}

/// A small form whose "So cùng kỳ (%)" column holds `yoy` for the two rows.
/// A small form as offices lay them out: the issuing body in A1, the title
/// in A3, the header in row 5 (STT, Chỉ tiêu, Đơn vị tính, then `columns`),
/// one row per (label, unit, values) from row 6, numbered.
fn small_form(
    path: &Path,
    body: &str,
    title: &str,
    columns: &[&str],
    rows: &[(&str, &str, &[f64])],
) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, body).unwrap();
    ws.write_string(2, 0, title).unwrap();
    for (c, h) in ["STT", "Chỉ tiêu", "Đơn vị tính"]
        .iter()
        .chain(columns)
        .enumerate()
    {
        ws.write_string(4, c as u16, *h).unwrap();
    }
    for (i, (label, unit, values)) in rows.iter().enumerate() {
        let r = 5 + i as u32;
        ws.write_string(r, 0, (i + 1).to_string()).unwrap();
        ws.write_string(r, 1, *label).unwrap();
        ws.write_string(r, 2, *unit).unwrap();
        for (k, v) in values.iter().enumerate() {
            ws.write_number(r, 3 + k as u16, *v).unwrap();
        }
    }
    wb.save(path).unwrap();
}

fn comparison_form(path: &Path, yoy: [f64; 2]) {
    small_form(
        path,
        "UBND THÀNH PHỐ HỒ CHÍ MINH",
        "MỘT SỐ CHỈ TIÊU KINH TẾ THÁNG 10 NĂM 2020",
        &["Ước tính tháng 10", "So cùng kỳ (%)"],
        &[
            ("Doanh thu bán lẻ hàng hóa", "tỷ đồng", &[71234.5, yoy[0]]),
            (
                "Kim ngạch xuất khẩu hàng hóa",
                "triệu USD",
                &[3812.6, yoy[1]],
            ),
        ],
    );
}

#[test]
fn a_comparison_column_of_growth_rates_is_not_read_as_an_index() {
    let env = Env::new();
    // 105,5 is an index (+5,5 %); -2,1 and 3,4 cannot be: they are rates
    let rates = env.dir.path().join("rates.xlsx");
    comparison_form(&rates, [-2.1, 3.4]);
    let out = env.run(&["import", rates.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("read as growth rates"),
        "{}",
        stderr(&out)
    );
    let rows = env.query_csv(&["--indicator", "RETAIL_GOODS,EXPORTS", "--area", "79"]);
    let yoy: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r[3] == "yoy_pct")
        .map(|r| (r[0].as_str(), r[4].as_str()))
        .collect();
    assert_eq!(yoy, [("EXPORTS", "3.4"), ("RETAIL_GOODS", "-2.1")]);
    // an index column stays an index
    let env = Env::new();
    let index = env.dir.path().join("index.xlsx");
    comparison_form(&index, [97.9, 105.5]);
    env.ok(&["import", index.to_str().unwrap()]);
    let rows = env.query_csv(&["--indicator", "EXPORTS", "--area", "79"]);
    assert!(
        rows.iter().any(|r| r[3] == "yoy_pct" && r[4] == "5.5"),
        "{rows:?}"
    );
    // both forms in one column: refused, located, nothing written
    let mixed = env.dir.path().join("mixed.xlsx");
    comparison_form(&mixed, [-2.1, 105.5]);
    let before = env.counts();
    let out = env.run(&["import", mixed.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("mixed.xlsx[Sheet1]:6:E6") && err.contains("mixes indices"),
        "{err}"
    );
    assert_eq!(env.counts(), before);
}

/// A form whose row labels are the department's own words.
fn own_labels_form(path: &Path) {
    small_form(
        path,
        "SỞ CÔNG THƯƠNG TỈNH ĐỒNG NAI",
        "BÁO CÁO THÁNG 10 NĂM 2020",
        &["Ước tính tháng 10"],
        &[
            ("Tổng mức bán lẻ HH và DTDV", "tỷ đồng", &[15234.5]),
            ("Kim ngạch XK", "triệu USD", &[1712.3]),
            ("- XK gạo", "triệu USD", &[12.5]),
        ],
    );
}

#[test]
fn a_departments_own_row_labels_map_to_the_catalogue() {
    let env = Env::new();
    let form = env.dir.path().join("own.xlsx");
    own_labels_form(&form);
    let form = form.to_str().unwrap();
    // unmapped: located, with the nearest catalogue names when there are some
    let before = env.counts();
    let out = env.run(&["import", form]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("own.xlsx[Sheet1]:6:B6") && err.contains("solieu mapping import"),
        "{err}"
    );
    assert!(err.contains("for unit 75"), "{err}");
    // a mapping file with mistakes changes nothing and says each one
    let bad = env.file(
        "bad.csv",
        "source_label,indicator,dims,unit\nTổng mức bán lẻ HH và DTDV,RETAIL_TOTL,,\nXK gạo,EXPORTS,PRODUCT=CAVIAR,75\nKim ngạch XK,EXPORTS,,99\n".as_bytes(),
    );
    let out = env.run(&["mapping", "import", &bad]);
    assert!(!out.status.success());
    let err = stderr(&out);
    for part in [
        "bad.csv:2:indicator: 'RETAIL_TOTL' is not an indicator of the catalogue (nearest: RETAIL_TOTAL",
        "bad.csv:3:dims: 'CAVIAR'",
        "bad.csv:4:unit: '99' is not an area code",
    ] {
        assert!(err.contains(part), "{part}: {err}");
    }
    assert_eq!(env.counts(), before);
    assert!(!env.ok(&["mapping", "list"]).contains("RETAIL"));
    // the unit's own mappings, and one for every unit
    let good = env.file(
        "labels.csv",
        "source_label,indicator,dims,unit\nTổng mức bán lẻ HH và DTDV,RETAIL_TOTAL,,\nKim ngạch XK,EXPORTS,,75\nXK gạo,EXPORTS,PRODUCT=RICE,75\n".as_bytes(),
    );
    let said = env.ok(&["mapping", "import", &good]);
    assert!(said.contains("3 label mappings"), "{said}");
    let listed = env.ok(&["mapping", "list", "--unit", "75"]);
    assert!(
        listed.contains("XK gạo") && listed.contains("PRODUCT=RICE"),
        "{listed}"
    );
    env.ok(&["import", form]);
    let rows = env.query_csv(&["--indicator", "RETAIL_TOTAL,EXPORTS", "--area", "75"]);
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r[0].as_str(),
                r[4].as_str(),
                r.get(10).map_or("", String::as_str),
            )
        })
        .collect();
    assert!(got.contains(&("RETAIL_TOTAL", "15234.5", "")), "{got:?}");
    assert!(got.contains(&("EXPORTS", "1712.3", "")), "{got:?}");
    assert!(
        got.contains(&("EXPORTS", "12.5", "PRODUCT=RICE")),
        "{got:?}"
    );
    assert!(env.ok(&["audit"]).contains("labels.upsert"));
}

#[test]
fn the_same_form_as_an_opendocument_spreadsheet_imports() {
    // tests/it/data/office_form.ods is office_form() written by odfpy
    // (data/office_form_ods.py), with merged header bands, covered cells and
    // LibreOffice's repeated empty cells and rows
    let env = Env::new();
    let ods = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/data/office_form.ods");
    let out = env.run(&["import", ods, "--dry-run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "column G 'So với cùng kỳ (%) Tháng 10': the row's indicator, yoy_pct 2020-10"
        ),
        "{}",
        stderr(&out)
    );
    let said = env.ok(&["import", ods]);
    assert!(said.contains("10 observations"), "{said}");
    let rows = env.query_csv(&["--indicator", "RETAIL_GOODS", "--period", "2020-01/2020-10"]);
    assert!(
        rows.iter()
            .any(|r| r[1] == "79" && r[3] == "level" && r[4] == "698765.4"),
        "{rows:?}"
    );
    // a damaged one: refused, nothing written
    let before = env.counts();
    let bytes = std::fs::read(ods).unwrap();
    let cut = env.file("cut.ods", &bytes[..bytes.len() / 2]);
    let out = env.run(&["import", &cut]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("cut.ods"), "{}", stderr(&out));
    assert_eq!(env.counts(), before);
}

#[test]
fn an_xls_form_typed_in_the_tcvn3_font_imports() {
    // tests/it/data/office_form_tcvn3.xls: a form typed in .VnTime, written
    // by xlwt (data/office_form_tcvn3_xls.py); the .xls format gives no cell
    // fonts, so the sheet is recognised once its text is read as TCVN3
    let env = Env::new();
    let xls = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/data/office_form_tcvn3.xls"
    );
    let out = env.run(&["import", xls]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cells in legacy Vietnamese fonts decoded to Unicode"),
        "{}",
        stderr(&out)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("6 observations"), "{said}");
    let rows = env.query_csv(&["--indicator", "RETAIL_GOODS,EXPORTS", "--area", "75"]);
    assert!(
        rows.iter()
            .any(|r| r[0] == "RETAIL_GOODS" && r[2] == "2020-01/2020-10" && r[4] == "105678.9"),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r[0] == "EXPORTS" && r[2] == "2020-10" && r[4] == "1700" && r[5] == "E"),
        "{rows:?}"
    );
}

#[test]
fn a_column_of_a_later_period_than_the_title_is_refused() {
    let env = Env::new();
    let path = env.dir.path().join("late.xlsx");
    small_form(
        &path,
        "UBND THÀNH PHỐ HỒ CHÍ MINH",
        "MỘT SỐ CHỈ TIÊU KINH TẾ THÁNG 10 NĂM 2020",
        &["Thực hiện tháng 10/2019", "Ước tính tháng 11/2020"],
        &[("Doanh thu bán lẻ hàng hóa", "tỷ đồng", &[61000.0, 71234.5])],
    );
    let before = env.counts();
    let out = env.run(&["import", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    // the previous year's column is a comparison; the later month is not
    assert!(!err.contains(":5:D5"), "{err}");
    assert!(
        err.contains("late.xlsx[Sheet1]:5:E5")
            && err.contains("the column is for 2020-11 but the title (A3")
            && err.contains("reports 2020-10"),
        "{err}"
    );
    assert_eq!(env.counts(), before);
}

#[test]
fn an_unknown_name_is_an_error_with_the_nearest_known_one_not_an_empty_answer() {
    let env = Env::new();
    for (args, expected) in [
        (
            vec!["query", "--indicator", "RETAL_GOODS", "--area", "79"],
            "unknown indicator 'RETAL_GOODS'; nearest: RETAIL_GOODS (Doanh thu bán lẻ hàng hóa)",
        ),
        (
            vec![
                "query",
                "--indicator",
                "doanh thu ban le hang hoa",
                "--area",
                "79",
                "--period",
                "2020-10",
                "--measure",
                "value",
            ],
            "nearest: RETAIL_GOODS (Doanh thu bán lẻ hàng hóa)",
        ),
        (
            vec!["query", "--indicator", "NOPE", "--area", "79"],
            "unknown indicator 'NOPE'",
        ),
        (
            vec![
                "query",
                "--indicator",
                "RETAIL_GOODS",
                "--area",
                "799",
                "--period",
                "2020-10",
                "--measure",
                "value",
            ],
            "unknown area code '799'",
        ),
    ] {
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // an old code that is now a breakdown code still answers
    let out = env.run(&["query", "--indicator", "EXPORTS_FDI", "--area", "79"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn formula_indicators_reproduce_the_statistics_offices_published_ratios() {
    let env = Env::new();
    for file in ["GDPVNM.xml", "POPVNM.xml"] {
        env.ok(&["import", &format!("{GSO}/{file}")]);
    }
    let value = |ind: &str, period: &str, measure: &str| -> f64 {
        let row = env.figure(ind, "VN", period, measure, &[]);
        assert_eq!(row[6], "formula", "{row:?}");
        row[4].parse().unwrap_or_else(|_| panic!("{row:?}"))
    };
    // GSO, 2023: GDP per capita 101,9 triệu đồng; agriculture 11,96 %,
    // industry and construction 37,12 %, services 42,54 %, product taxes 8,38 %
    // (CSV carries the unrounded figure; the report and the table round it to the indicator's decimals)
    let round = |v: f64, d: i32| (v * 10f64.powi(d)).round() / 10f64.powi(d);
    assert_eq!(round(value("GRDP_PER_CAPITA", "2023", "value"), 1), 101.9);
    let shares = [
        ("GRDP_SHARE_AGRI", 11.96),
        ("GRDP_SHARE_INDUSTRY", 37.12),
        ("GRDP_SHARE_SERVICES", 42.54),
        ("GRDP_SHARE_TAXES", 8.38),
    ];
    let mut total = 0.0;
    for (ind, published) in shares {
        let v = value(ind, "2023", "value");
        assert_eq!(round(v, 2), published, "{ind}");
        total += v;
    }
    assert!(
        (total - 100.0).abs() < 0.015,
        "the structure adds to {total}"
    );
    // the change in percentage points is the difference of the two years' shares
    let level = |dim: &str, year: &str| -> f64 {
        let extra = if dim.is_empty() {
            vec![]
        } else {
            vec!["--dim", dim]
        };
        env.figure("GRDP_CURRENT", "VN", year, "value", &extra)[4]
            .parse()
            .unwrap()
    };
    let share = |y: &str| level("INDUSTRY=BTF", y) / level("", y) * 100.0;
    let pp = value("GRDP_SHARE_INDUSTRY", "2023", "change_pp");
    assert!((pp - (share("2023") - share("2022"))).abs() < 0.006, "{pp}");
    // a level has no change in points
    let row = env.figure("GRDP_CURRENT", "VN", "2023", "change_pp", &[]);
    assert!(row[7].contains("percentage points"), "{row:?}");
    // --explain shows the formula and every input with its import
    let out = env.ok(&[
        "query",
        "--indicator",
        "GRDP_PER_CAPITA",
        "--area",
        "VN",
        "--period",
        "2023",
        "--measure",
        "value",
        "--explain",
    ]);
    assert!(out.contains("formula: GRDP_CURRENT / POPULATION"), "{out}");
    assert!(out.contains("POPULATION VN 2023 level = 100309.2"), "{out}");
}

#[test]
fn a_regions_ratio_is_the_ratio_of_its_sums_and_late_members_are_estimated() {
    let env = Env::new();
    // GRDP (tỷ đồng) and average population (nghìn người) of the region's
    // eight members in 2019: figures made up for the test, of realistic size
    let members = [
        ("79", 1_330_000.0, 8_993.1),
        ("74", 350_000.0, 2_456.3),
        ("75", 380_000.0, 3_113.7),
        ("77", 350_000.0, 1_152.2),
        ("72", 80_000.0, 1_171.6),
        ("70", 60_000.0, 997.8),
        ("80", 120_000.0, 1_695.1),
        ("82", 100_000.0, 1_765.2),
    ];
    let mut csv = String::from(HEADER);
    for (a, g, p) in members {
        csv.push_str(&format!("GRDP_CURRENT,{a},2019,level,{g},A,tỷ đồng,test\n"));
        csv.push_str(&format!(
            "POPULATION,{a},2019,level,{p},A,nghìn người,test\n"
        ));
    }
    env.ok(&["import", &env.file("grdp.csv", csv.as_bytes())]);
    let q = |ind: &str, area: &str, period: &str, measure: &str| {
        env.figure(ind, area, period, measure, &[])
    };
    let region: f64 = q("GRDP_PER_CAPITA", "VKTTDPN", "2019", "value")[4]
        .parse()
        .unwrap();
    let (g, p): (f64, f64) = members
        .iter()
        .fold((0.0, 0.0), |(g, p), m| (g + m.1, p + m.2));
    let ratio_of_sums = g / p;
    let mean_of_ratios = members.iter().map(|m| m.1 / m.2).sum::<f64>() / 8.0;
    assert!(
        (region - ratio_of_sums).abs() < 0.05,
        "{region} vs {ratio_of_sums}"
    );
    assert!((region - mean_of_ratios).abs() > 1.0, "{mean_of_ratios}");

    // the FDI sector's share of exports, and its change in points
    let mut csv = String::from("indicator,area,period,value,sector\n");
    for (y, fdi, dom) in [(2019, 2_000.0, 1_000.0), (2020, 2_200.0, 1_000.0)] {
        csv.push_str(&format!(
            "EXPORTS,79,{y}-10,{fdi},FDI\nEXPORTS,79,{y}-10,{dom},DOMESTIC\n"
        ));
    }
    env.ok(&["import", &env.file("exports.csv", csv.as_bytes())]);
    let share = q("EXPORTS_FDI_SHARE", "79", "2020-10", "value");
    assert_eq!(share[4], "68.75", "{share:?}");
    let pp: f64 = q("EXPORTS_FDI_SHARE", "79", "2020-10", "change_pp")[4]
        .parse()
        .unwrap();
    let want = 2_200.0 / 3_200.0 * 100.0 - 2_000.0 / 3_000.0 * 100.0;
    assert!((pp - want).abs() < 0.01, "{pp} vs {want}");

    // retail sales of October: every member reported in 2019, one is late in 2020
    let mut csv = String::from(HEADER);
    for (k, (a, _, _)) in members.iter().enumerate() {
        let v = 1_000.0 * (k + 1) as f64;
        csv.push_str(&format!(
            "RETAIL_GOODS,{a},2019-10,level,{v},A,tỷ đồng,test\n"
        ));
        if *a != "82" {
            csv.push_str(&format!(
                "RETAIL_GOODS,{a},2020-10,level,{},A,tỷ đồng,test\n",
                v * 1.1
            ));
        }
    }
    env.ok(&["import", &env.file("retail.csv", csv.as_bytes())]);
    let row = q("RETAIL_GOODS", "VKTTDPN", "2020-10", "value");
    let total: f64 = row[4].parse().unwrap();
    // the seven that reported grew 10 %: Tiền Giang's 8 000 of 2019 is estimated at 8 800
    assert!((total - 28_000.0 * 1.1 - 8_800.0).abs() < 0.5, "{row:?}");
    assert_eq!(row[5], "E", "{row:?}");
    assert!(row[6].contains("estimated"), "{row:?}");
    let explained = env.ok(&[
        "query",
        "--indicator",
        "RETAIL_GOODS",
        "--area",
        "VKTTDPN",
        "--period",
        "2020-10",
        "--measure",
        "value",
        "--explain",
    ]);
    assert!(
        explained.contains("RETAIL_GOODS 82 2020-10 ≈ 8800 [E] estimate"),
        "{explained}"
    );
    // without estimates the total is absent, and says why
    let row = env.figure(
        "RETAIL_GOODS",
        "VKTTDPN",
        "2020-10",
        "value",
        &["--no-estimates"],
    );
    assert!(
        row[7].contains("1 member area(s) without the figure"),
        "{row:?}"
    );
    // the report says which member's figure is an estimate, and writes the share in points
    let report = env.ok(&["report", "--area", "VKTTDPN", "--period", "2020-10"]);
    assert!(
        report.contains("Doanh thu bán lẻ hàng hóa tháng 10 ước đạt"),
        "{report}"
    );
    assert!(
        report.contains("*Số liệu của Tỉnh Tiền Giang (doanh thu bán lẻ hàng hóa tháng 10/2020) chưa được báo cáo: là số ước tính"),
        "{report}"
    );
    let report = env.ok(&["report", "--area", "79", "--period", "2020-10"]);
    assert!(
        report.contains("Tỷ trọng kim ngạch xuất khẩu của khu vực có vốn đầu tư nước ngoài tháng 10 đạt 68,8%, tăng 2,1 điểm phần trăm so với cùng kỳ."),
        "{report}"
    );
    // another method for this indicator: the mean of the same month in earlier years
    let cat = env.file(
        "seasonal.csv",
        "code,name_vi,name_en,unit,time_aggregation,area_aggregation,decimals,reporting_unit,estimate\n\
         RETAIL_GOODS,Doanh thu bán lẻ hàng hóa,Retail sales of goods,tỷ đồng,flow,sum,0,Sở Công Thương,seasonal\n"
            .as_bytes(),
    );
    env.ok(&["catalog", "import", &cat]);
    let row = q("RETAIL_GOODS", "VKTTDPN", "2020-10", "value");
    let total: f64 = row[4].parse().unwrap();
    assert!((total - 28_000.0 * 1.1 - 8_000.0).abs() < 0.5, "{row:?}");
    assert!(row[6].contains("estimated"), "{row:?}");
    // the member's figure arrives: the estimate is gone
    let late = format!("{HEADER}RETAIL_GOODS,82,2020-10,level,9000,A,tỷ đồng,test\n");
    env.ok(&["import", &env.file("late.csv", late.as_bytes())]);
    let row = q("RETAIL_GOODS", "VKTTDPN", "2020-10", "value");
    let total: f64 = row[4].parse().unwrap();
    assert!((total - 28_000.0 * 1.1 - 9_000.0).abs() < 0.5, "{row:?}");
    assert_eq!((row[5].as_str(), row[6].as_str()), ("A", "aggregated"));
    let report = env.ok(&["report", "--area", "VKTTDPN", "--period", "2020-10"]);
    assert!(!report.contains("chưa được báo cáo"), "{report}");
}

#[test]
fn a_catalogue_with_a_bad_formula_is_refused_with_the_row_and_the_reason() {
    let env = Env::new();
    let head = "code,name_vi,name_en,unit,time_aggregation,area_aggregation,decimals,formula\n";
    let cases = [
        (
            "X1,Tên,Name,%,,,1,GRDP_CURRENT / \n",
            "cat.csv:2:formula: X1: the formula does not parse at column",
        ),
        (
            "X1,Tên,Name,%,,,1,NOPE / GRDP_CURRENT * 100\n",
            "unknown indicator NOPE",
        ),
        (
            "X1,Tên,Name,tỷ đồng,,,1,GRDP_CURRENT / POPULATION\n",
            "the formula gives triệu dong/nguoi but the indicator's unit is 'tỷ đồng'",
        ),
        (
            "X1,Tên,Name,%,,,1,EXPORTS[SECTOR=NONE] / EXPORTS * 100\n",
            "NONE is not a code of SECTOR",
        ),
        (
            "X1,Tên,Name,%,,,1,X2 * 1\nX2,Tên,Name,%,,,1,X1 * 1\n",
            "the formula refers to itself: X1 → X2 → X1",
        ),
    ];
    let before = env.ok(&["indicators", "--format", "csv"]);
    for (rows, want) in cases {
        let f = env.file("cat.csv", format!("{head}{rows}").as_bytes());
        let out = env.run(&["catalog", "import", &f]);
        assert!(!out.status.success(), "{rows}");
        assert!(stderr(&out).contains(want), "{rows}: {}", stderr(&out));
    }
    // an unknown column is refused, not ignored
    let f = env.file(
        "cat.csv",
        "code,name_vi,name_en,unit,time_aggregation,area_aggregation,decimals,fomula\n".as_bytes(),
    );
    let out = env.run(&["catalog", "import", &f]);
    assert!(
        stderr(&out).contains("unknown column 'fomula'"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        env.ok(&["indicators", "--format", "csv"]),
        before,
        "nothing changed"
    );
    // a unit that cannot be worked out is a warning; the indicator is added
    let f = env.file(
        "cat.csv",
        format!("{head}X3,Tên,Name,tỷ đồng,,,1,GRDP_CURRENT * 0.75\n").as_bytes(),
    );
    let out = env.run(&["catalog", "import", &f]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("warning: "), "{}", stderr(&out));
    assert!(env
        .ok(&["indicators", "--format", "csv"])
        .contains("GRDP_CURRENT * 0.75"));
}

#[test]
fn five_year_targets_average_growth_and_overlapping_plans() {
    let env = Env::new();
    // yearly growth of HCMC's GRDP at constant prices (test input) and the
    // five-year plan's target of average annual growth
    let rates = [
        (2016, 8.05),
        (2017, 8.25),
        (2018, 8.3),
        (2019, 7.86),
        (2020, 1.39),
    ];
    let mut csv = String::from(HEADER);
    for (y, r) in rates {
        csv.push_str(&format!("GRDP_CONST,79,{y},yoy_pct,{r},A,%,test\n"));
    }
    csv.push_str("GRDP_CONST,79,2016/2020,plan_yoy_pct,8,A,%,Nghị quyết Đại hội\n");
    env.ok(&["import", &env.file("grdp.csv", csv.as_bytes())]);
    let q = |period: &str, measure: &str| -> f64 {
        let row = env.figure("GRDP_CONST", "79", period, measure, &[]);
        row[4]
            .parse()
            .unwrap_or_else(|_| panic!("{period} {measure}: {row:?}"))
    };
    // the geometric mean of the five yearly rates, 2015 as base
    let product: f64 = rates.iter().map(|(_, r)| 1.0 + r / 100.0).product();
    let want = (product.powf(1.0 / 5.0) - 1.0) * 100.0;
    let avg = q("2016/2020", "avg_annual_growth_pct");
    assert!((avg - want).abs() < 1e-6, "{avg} vs {want}");
    assert!((q("2016/2020", "target_gap_pp") - (want - 8.0)).abs() < 1e-6);
    // the report of October 2020 says where the plan stands after four years
    let report = env.ok(&["report", "--area", "79", "--period", "2020-10"]);
    let four: f64 = rates[..4].iter().map(|(_, r)| 1.0 + r / 100.0).product();
    let so_far = (four.powf(0.25) - 1.0) * 100.0;
    let line = format!(
        "Bình quân 2016–2019, tổng sản phẩm trên địa bàn (GRDP) theo giá so sánh 2010 tăng {}%/năm; kế hoạch giai đoạn 2016–2020 tăng 8%/năm (đạt mục tiêu).",
        format!("{so_far:.2}").replace('.', ",")
    );
    assert!(report.contains(&line), "{line}\n{report}");
    // a plan over a span that overlaps the one stored is refused, nothing written
    let before = env.counts();
    let bad = format!("{HEADER}GRDP_CONST,79,2018/2022,plan_yoy_pct,7,A,%,test\n");
    let out = env.run(&["import", &env.file("bad.csv", bad.as_bytes())]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("the span 2018/2022 overlaps the plan for 2016/2020"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.counts(), before);
    // the next five-year plan, and a yearly plan inside a span, are fine
    let ok = format!(
        "{HEADER}GRDP_CONST,79,2021/2025,plan_yoy_pct,8,A,%,test\nGRDP_CONST,79,2021,plan_yoy_pct,6,A,%,test\n"
    );
    env.ok(&["import", &env.file("ok.csv", ok.as_bytes())]);
}

#[test]
fn a_regions_report_sets_its_members_side_by_side() {
    let env = Env::new();
    env.ok(&["demo"]);
    let report = env.ok(&["report", "--area", "VKTTDPN", "--period", "2020-10"]);
    let table: Vec<Vec<String>> = report
        .lines()
        .skip_while(|l| {
            !l.starts_with(
                "| Doanh thu bán lẻ hàng hóa | Lũy kế 10 tháng | Tỷ trọng trong vùng (%)",
            )
        })
        .skip(2)
        .take_while(|l| l.starts_with("| "))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect();
    assert_eq!(table.len(), 8, "{report}");
    let number = |s: &str| s.replace('.', "").replace(',', ".").parse::<f64>().unwrap();
    // the largest first, ranked 1 to 8, shares adding up to 100 %
    let values: Vec<f64> = table.iter().map(|r| number(&r[1])).collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
    let ranks: Vec<&str> = table.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(ranks, ["1", "2", "3", "4", "5", "6", "7", "8"]);
    let shares: f64 = table.iter().map(|r| number(&r[2])).sum();
    assert!((shares - 100.0).abs() < 0.5, "{shares}");
    // each share is the member's year-to-date over the region's, as the engine gives them
    let region: f64 = env.figure("RETAIL_GOODS", "VKTTDPN", "2020-01/2020-10", "value", &[])[4]
        .parse()
        .unwrap();
    let hcm: f64 = env.figure("RETAIL_GOODS", "79", "2020-01/2020-10", "value", &[])[4]
        .parse()
        .unwrap();
    assert_eq!(table[0][0], "Thành phố Hồ Chí Minh");
    assert!((values[0] - hcm).abs() < 0.5, "{} vs {hcm}", values[0]);
    assert!((number(&table[0][2]) - hcm / region * 100.0).abs() < 0.05);
}
