//! The real server on port 0 over a temporary demo store: authentication,
//! scopes, all-or-nothing submissions, freshness of derived figures, audit.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn solieu(data: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_solieu"));
    cmd.arg("--data")
        .arg(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "solieu {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

struct Server {
    child: Child,
    addr: String,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        solieu(&data, &["demo"], None);
        let mut child = Command::new(env!("CARGO_BIN_EXE_solieu"))
            .arg("--data")
            .arg(&data)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line.trim().rsplit("http://").next().unwrap().to_string();
        assert!(addr.contains(':'), "{line}");
        Server {
            child,
            addr,
            data,
            _dir: dir,
        }
    }

    fn account(&self, name: &str, role: &str, scope: &[&str]) -> String {
        let mut args = vec!["user", "add", name, "--role", role];
        args.extend_from_slice(scope);
        solieu(&self.data, &args, Some("một mật khẩu đủ dài\n"));
        solieu(&self.data, &["token", "create", name], None)
            .trim()
            .to_string()
    }

    /// (status, body) of a request.
    fn http(&self, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> (u16, String) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{auth}Content-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        let _ = s.write_all(body);
        let mut resp = Vec::new();
        let _ = s.read_to_end(&mut resp);
        let text = String::from_utf8_lossy(&resp).to_string();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map_or(String::new(), |(_, b)| b.to_string());
        (status, body)
    }

    fn vintages(&self) -> u64 {
        let (_, body) = self.http("GET", "/api/v1/health", None, b"");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["vintages"].as_u64().unwrap()
    }

    fn value(&self, indicator: &str, area: &str, period: &str) -> Option<f64> {
        let (status, body) = self.http(
            "GET",
            &format!(
                "/api/v1/figures?indicator={indicator}&area={area}&period={period}&measure=value"
            ),
            None,
            b"",
        );
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v[0]["value"].as_f64()
    }
}

const IN_SCOPE: &[u8] = b"indicator,area,period,value\nRETAIL_GOODS,79,2020-10,80000\n";
const OUT_OF_SCOPE: &[u8] = b"indicator,area,period,value\nRETAIL_GOODS,75,2020-10,80000\n";
const OTHER_INDICATOR: &[u8] = b"indicator,area,period,value\nEXPORTS,79,2020-10,4000\n";

#[test]
fn writes_are_authorised_by_role_and_scope_and_seen_at_once() {
    let srv = Server::start();
    let reporter = srv.account(
        "hcm",
        "reporter",
        &["--area", "79", "--indicator", "RETAIL_GOODS"],
    );
    let viewer = srv.account("lanhdao", "viewer", &[]);
    let analyst = srv.account("phantich", "analyst", &[]);
    let unscoped = srv.account("chuaphanquyen", "reporter", &[]);

    let before = srv.vintages();
    // refused: no token, an unknown token, a viewer, a reporter outside its scope or without one
    let refused: [(Option<&str>, &[u8], u16); 6] = [
        (None, IN_SCOPE, 401),
        (Some("slt_0000"), IN_SCOPE, 401),
        (Some(&viewer), IN_SCOPE, 403),
        (Some(&reporter), OUT_OF_SCOPE, 403),
        (Some(&reporter), OTHER_INDICATOR, 403),
        (Some(&unscoped), IN_SCOPE, 403),
    ];
    for (token, body, want) in refused {
        let (status, text) = srv.http("POST", "/api/v1/submissions", token, body);
        assert_eq!(status, want, "{text}");
        let e: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(
            e["error"]["request_id"].as_str().unwrap().starts_with('r'),
            "{text}"
        );
        assert!(
            !text.contains("SQL") && !text.contains("panicked"),
            "{text}"
        );
    }
    assert_eq!(
        srv.vintages(),
        before,
        "nothing written by refused requests"
    );

    // a submission with errors: located, and nothing written
    let bad = b"indicator,area,period,value\nRETAIL_GOODS,79,2020-10,80000\nRETAIL_GOODS,79,2020-11,12x\n";
    let (status, text) = srv.http("POST", "/api/v1/submissions", Some(&reporter), bad);
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("submission.csv:3:value"), "{text}");
    assert_eq!(srv.vintages(), before);

    // in scope: written, and every derived figure sees it on the next request
    assert_ne!(srv.value("RETAIL_GOODS", "79", "2020-10"), Some(80000.0));
    let (status, text) = srv.http("POST", "/api/v1/submissions", Some(&reporter), IN_SCOPE);
    assert_eq!(status, 201, "{text}");
    assert_eq!(srv.value("RETAIL_GOODS", "79", "2020-10"), Some(80000.0));
    assert_eq!(srv.vintages(), before + 1);
    let (_, ytd) = srv.http(
        "GET",
        "/api/v1/figures?indicator=RETAIL_GOODS&area=79&period=2020-01/2020-10&measure=value&explain=true",
        None,
        b"",
    );
    assert!(
        ytd.contains("80000"),
        "the year-to-date is computed with the new month: {ytd}"
    );

    // an analyst writes anywhere
    let (status, text) = srv.http("POST", "/api/v1/submissions", Some(&analyst), OUT_OF_SCOPE);
    assert_eq!(status, 201, "{text}");

    // an import by another process (the CLI) is seen by the running server
    let cli = srv.data.parent().unwrap().join("cli.csv");
    std::fs::write(
        &cli,
        "indicator,area,period,value\nRETAIL_GOODS,79,2020-10,81000\n",
    )
    .unwrap();
    solieu(&srv.data, &["import", cli.to_str().unwrap()], None);
    assert_eq!(srv.value("RETAIL_GOODS", "79", "2020-10"), Some(81000.0));

    // every write and every refusal is in the audit log, with the token and the address
    let audit = solieu(&srv.data, &["audit", "--limit", "50"], None);
    assert!(
        audit.contains("api.submission") && audit.contains("from 127.0.0.1"),
        "{audit}"
    );
    assert!(audit.contains("api.submission.refused"), "{audit}");
    assert!(
        audit.contains("token.create") && audit.contains("account.create"),
        "{audit}"
    );
}

#[test]
fn errors_are_json_and_bodies_are_limited() {
    let srv = Server::start();
    let (status, text) = srv.http("GET", "/api/v1/nothing", None, b"");
    assert_eq!(status, 404);
    assert!(text.contains("\"not_found\""), "{text}");
    let (status, text) = srv.http(
        "GET",
        "/api/v1/figures?indicator=RETAIL_GOODS&area=79&period=2020-13",
        None,
        b"",
    );
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("invalid period"), "{text}");
    let (status, _) = srv.http("GET", "/api/v1/indicators", None, b"");
    assert_eq!(status, 200);
    let analyst = srv.account("phantich", "analyst", &[]);
    let big = vec![b'x'; solieu::server::MAX_BODY_BYTES + 1];
    let (status, _) = srv.http("POST", "/api/v1/submissions", Some(&analyst), &big);
    assert_eq!(status, 413);
}
