//! The web UI in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, driven over WebDriver by fantoccini) against the real
//! server on the demo store: a reporter enters a figure with an error and
//! sees the message at the cell, fixes it and submits, and the overview
//! shows the new figure; an analyst approves; an Excel file with one bad row
//! is refused with the located error and nothing written; every page loads
//! without a script error or a CSP violation. Screenshots of every page are
//! kept in `target/screenshots/` (test artefacts, not committed).
//!
//! Skipped when `chromedriver` is missing, unless SOLIEU_REQUIRE_TOOLS=1
//! (CI), where that is a failure.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

const PASSWORD: &str = "một mật khẩu đủ dài";

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn solieu(data: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_solieu"))
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn http(addr: &str, method: &str, path: &str, token: &str, body: &Value) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).unwrap();
    let b = body.to_string();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}",
        b.len()
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// ChromeDriver's legacy log command; read by Content-Length (it keeps the
/// connection open).
fn driver_log(driver: &str, session: &str) -> Value {
    let mut s = TcpStream::connect(driver).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let body = r#"{"type":"browser"}"#;
    write!(
        s,
        "POST /session/{session}/se/log HTTP/1.1\r\nHost: {driver}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut r = BufReader::new(s);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap();
            }
        }
    }
    let mut buf = vec![0; len];
    r.read_exact(&mut buf).unwrap();
    serde_json::from_slice(&buf).unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn chromedriver() -> Option<PathBuf> {
    let found = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() && std::env::var("SOLIEU_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!("chromedriver is required here (SOLIEU_REQUIRE_TOOLS=1): apt-get install chromium chromium-driver");
    }
    found
}

struct Ui {
    c: Client,
    base: String,
    shots: PathBuf,
    /// ChromeDriver's address, for the browser's console log
    driver: String,
    session: String,
}

impl Ui {
    async fn go(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    async fn shot(&self, name: &str) {
        let png = self.c.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    /// The page's script errors and CSP violations (collected by app.js).
    async fn errors(&self) -> Vec<String> {
        let v = self
            .c
            .execute(
                "return window.__solieuErrors || ['app.js did not run'];",
                vec![],
            )
            .await
            .unwrap();
        serde_json::from_value(v).unwrap()
    }

    /// The browser console's warnings and errors since the last call
    /// (failed loads, CSP reports, script errors), from ChromeDriver.
    fn console(&self) -> Vec<String> {
        let log = driver_log(&self.driver, &self.session);
        log["value"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|e| matches!(e["level"].as_str(), Some("SEVERE" | "WARNING")))
                    // the API's refusals that the page shows to the user (a
                    // located error at the cell) are answers, not faults
                    .filter(|e| {
                        let m = e["message"].as_str().unwrap_or("");
                        !(m.contains("/api/v1/") && m.contains("status of 422"))
                    })
                    .map(|e| e["message"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    async fn clean(&self, page: &str) {
        let e = self.errors().await;
        assert!(
            e.is_empty(),
            "{page}: script errors or CSP violations: {e:?}"
        );
        let c = self.console();
        assert!(c.is_empty(), "{page}: console: {c:?}");
    }

    async fn text(&self, css: &str) -> String {
        self.c
            .find(Locator::Css(css))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    async fn wait_text(&self, css: &str, want: &str) -> String {
        for _ in 0..100 {
            if let Ok(e) = self.c.find(Locator::Css(css)).await {
                let t = e.text().await.unwrap_or_default();
                if t.contains(want) {
                    return t;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} never showed '{want}': '{}'", self.text(css).await);
    }

    async fn login(&self, name: &str) {
        self.go("/static/favicon.svg").await;
        self.c.delete_all_cookies().await.unwrap();
        self.go("/login").await;
        self.c
            .find(Locator::Id("name"))
            .await
            .unwrap()
            .send_keys(name)
            .await
            .unwrap();
        self.c
            .find(Locator::Id("password"))
            .await
            .unwrap()
            .send_keys(PASSWORD)
            .await
            .unwrap();
        self.c
            .find(Locator::Id("login-submit"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        self.wait_text("header .user", name).await;
    }

    async fn fill(&self, css: &str, value: &str) {
        let e = self.c.find(Locator::Css(css)).await.unwrap();
        e.clear().await.unwrap();
        e.send_keys(value).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reporter_enters_an_analyst_approves_in_a_real_browser() {
    let Some(driver) = chromedriver() else {
        eprintln!("chromedriver not installed: browser test skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    solieu(&data, &["demo"], None);
    for (name, role, scope) in [
        ("quantri", "admin", None),
        ("hcm", "reporter", Some("79")),
        ("phantich", "analyst", None),
    ] {
        let mut args = vec!["user", "add", name, "--role", role];
        if let Some(a) = scope {
            args.extend(["--area", a]);
        }
        solieu(&data, &args, Some(&format!("{PASSWORD}\n")));
    }
    let admin = solieu(&data, &["token", "create", "quantri"], None)
        .trim()
        .to_string();
    let mut server = Command::new(env!("CARGO_BIN_EXE_solieu"))
        .arg("--data")
        .arg(&data)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--insecure-cookies",
            "--rate-limit",
            "0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _server = Kill(server);
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    let (st, _) = http(
        &addr,
        "PUT",
        "/api/v1/forms/BC_THANG",
        &admin,
        &json!({"name": "Báo cáo tháng", "frequency": "month", "indicators": ["RETAIL_GOODS", "EXPORTS"], "units": ["79", "75"]}),
    );
    assert_eq!(st, 200);
    let (st, _) = http(
        &addr,
        "PUT",
        "/api/v1/rules/XK_TRAN",
        &admin,
        &json!({"expression": "EXPORTS <= 10000", "severity": "error", "description": "kim ngạch tháng không quá 10 tỷ USD"}),
    );
    assert_eq!(st, 200);
    let (st, _) = http(
        &addr,
        "POST",
        "/api/v1/tasks",
        &admin,
        &json!({"title": "Hoàn thành báo cáo quy hoạch", "document": "Kết luận 12/KL-UBND", "unit": "79", "deadline": "2020-01-31"}),
    );
    assert_eq!(st, 201);
    // hostile text in a free-text field: shown as text, never run
    let (st, _) = http(
        &addr,
        "POST",
        "/api/v1/tasks",
        &admin,
        &json!({"title": "<img src=x onerror=alert(1)><script>alert(2)</script>Chuyển đổi số", "document": "\"><b>CV</b>", "unit": "79", "deadline": "2030-01-31"}),
    );
    assert_eq!(st, 201);

    let port = free_port();
    let _driver = Kill(
        Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"binary": "/usr/bin/chromium", "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--window-size=1280,1600", format!("--user-data-dir={}", profile.path().display()),
        ]}),
    );
    caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    let mut client = None;
    for _ in 0..50 {
        let conn = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(conn)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let c = client.expect("chromedriver answers");
    let session = c.session_id().await.unwrap().expect("a session");
    let ui = Ui {
        c,
        base: format!("http://{addr}"),
        shots,
        driver: format!("127.0.0.1:{port}"),
        session,
    };

    // anonymous: the overview of HCMC, October 2020 (the demo's public data once released)
    let (st, _) = http(
        &addr,
        "POST",
        "/api/v1/releases?force=true",
        &admin,
        &json!({"note": "T10/2020"}),
    );
    assert_eq!(st, 201);
    ui.go("/overview?area=79&period=2020-10").await;
    assert!(ui.text("h1").await.contains("Hồ Chí Minh"));
    assert_eq!(ui.text("[data-testid=value-RETAIL_GOODS]").await, "72.213");
    assert!(
        ui.text("main").await.contains("tăng 9,9%"),
        "the seed's year-to-date growth"
    );
    ui.clean("overview").await;
    ui.shot("01-overview-anonymous").await;

    // the reporter: a figure with an error, the message at the cell, nothing written
    ui.login("hcm").await;
    ui.go("/reporting").await;
    ui.clean("reporting (reporter)").await;
    ui.shot("02-reporting-reporter").await;
    ui.go("/entry/BC_THANG/79/2020-10").await;
    ui.fill("#v-RETAIL_GOODS", "80.000,5x").await;
    ui.fill("#v-EXPORTS", "4100").await;
    ui.c.find(Locator::Id("save-draft"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let msg = ui.wait_text("#e-RETAIL_GOODS", "").await;
    for _ in 0..50 {
        if !ui.text("#e-RETAIL_GOODS").await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let msg = if msg.is_empty() {
        ui.text("#e-RETAIL_GOODS").await
    } else {
        msg
    };
    assert!(
        msg.contains("80.000,5x"),
        "the API's message at the cell: '{msg}'"
    );
    assert_eq!(ui.text("#e-EXPORTS").await, "", "no message at a good cell");
    let invalid =
        ui.c.find(Locator::Id("v-RETAIL_GOODS"))
            .await
            .unwrap()
            .attr("aria-invalid")
            .await
            .unwrap();
    assert_eq!(invalid.as_deref(), Some("true"));
    ui.clean("entry with an error").await;
    ui.shot("03-entry-error-at-the-cell").await;
    // fixed and submitted
    ui.fill("#v-RETAIL_GOODS", "80000").await;
    ui.c.find(Locator::Id("submit-round"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    ui.wait_text("#round-status", "đã gửi").await;
    let rs = ui.c.find(Locator::Id("round-status")).await.unwrap();
    assert_eq!(
        rs.attr("data-status").await.unwrap().as_deref(),
        Some("submitted")
    );
    assert_eq!(ui.text("#e-RETAIL_GOODS").await, "");
    ui.clean("entry submitted").await;
    ui.shot("04-entry-submitted").await;
    // the derived figures change on the overview (signed in: the data as entered)
    ui.go("/overview?area=79&period=2020-10").await;
    assert_eq!(ui.text("[data-testid=value-RETAIL_GOODS]").await, "80.000");
    ui.clean("overview after the submission").await;
    ui.shot("05-overview-after").await;

    // an Excel file with one bad row: the located error, nothing written
    let (_, before) = http(&addr, "GET", "/api/v1/health", &admin, &Value::Null);
    let xlsx = dir.path().join("bao-cao-thang-10.xlsx");
    {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["indicator", "area", "period", "value"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_row(1, 0, ["EXPORTS", "79", "2020-09"]).unwrap();
        ws.write_number(1, 3, 3900.0).unwrap();
        ws.write_row(2, 0, ["EXPORTS", "79", "2020-08", "nhiều"])
            .unwrap();
        wb.save(&xlsx).unwrap();
    }
    ui.go("/entry/BC_THANG/79/2020-10").await;
    let input = ui.c.find(Locator::Id("upload-file")).await.unwrap();
    input.send_keys(xlsx.to_str().unwrap()).await.unwrap();
    let shown = ui.wait_text("#upload-result", "D3").await;
    assert!(shown.contains("bao-cao-thang-10.xlsx"), "{shown}");
    assert!(!ui
        .c
        .find(Locator::Id("upload-write"))
        .await
        .unwrap()
        .is_enabled()
        .await
        .unwrap());
    let (_, after) = http(&addr, "GET", "/api/v1/health", &admin, &Value::Null);
    assert_eq!(before["vintages"], after["vintages"], "nothing written");
    ui.clean("upload refused").await;
    ui.shot("06-upload-located-error").await;

    // a bad address says what is wrong, in words
    ui.go("/overview?area=NOPE").await;
    assert!(ui.text("main").await.contains("Không có địa bàn mã NOPE"));
    ui.go("/overview?area=79&period=2020-99").await;
    assert!(ui.text("main").await.contains("Kỳ không hợp lệ"));
    let _ = ui.console(); // the pages' own 404 and 400 statuses

    // the tasks and the report pages
    ui.go("/tasks").await;
    assert!(ui
        .text("main")
        .await
        .contains("Hoàn thành báo cáo quy hoạch"));
    ui.clean("tasks").await;
    ui.shot("07-tasks").await;
    ui.go("/indicator/RETAIL_GOODS?area=79&period=2020-10")
        .await;
    assert!(
        ui.text("#revisions").await.contains("hcm"),
        "the revision by the reporter"
    );
    ui.clean("indicator").await;
    ui.shot("08-indicator").await;
    ui.go("/reports?area=79&period=2020-10").await;
    ui.clean("report").await;
    ui.shot("09-report").await;

    // the analyst approves in the completeness matrix
    ui.login("phantich").await;
    ui.go("/reporting?form=BC_THANG&from=2020-09&to=2020-11")
        .await;
    ui.clean("matrix").await;
    ui.shot("10-matrix-before").await;
    ui.c.find(Locator::Css(
        "button.act[data-action=approve][data-unit='79'][data-period='2020-10']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    ui.wait_text("#action-status", "approved").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let cell =
        ui.c.find(Locator::Css(
            "td.rs-cell[data-unit='79'][data-period='2020-10']",
        ))
        .await
        .unwrap();
    assert!(cell
        .attr("class")
        .await
        .unwrap()
        .unwrap()
        .contains("rs-approved"));
    ui.clean("matrix after approval").await;
    ui.shot("11-matrix-approved").await;
    // the merged Ho Chi Minh City after 1/7/2025: compared on the same territory, and said so
    ui.go("/overview?area=79&period=2025-10").await;
    assert!(
        ui.text("#comparable-note").await.contains("cùng phạm vi"),
        "the comparable-basis note"
    );
    ui.clean("overview of the merged city").await;
    ui.shot("12-overview-merged-city").await;
    // English, and a phone's width
    ui.go("/overview?area=79&period=2020-10&lang=en").await;
    assert!(
        ui.text("h1").await.contains("October 2020") || ui.text("h1").await.contains("10/2020")
    );
    ui.c.set_window_size(390, 844).await.unwrap();
    ui.go("/overview?area=79&period=2020-10").await;
    ui.clean("overview in English on a phone").await;
    ui.shot("13-overview-phone-en").await;
    ui.c.clone().close().await.unwrap();
}
