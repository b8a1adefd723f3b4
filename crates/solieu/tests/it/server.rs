//! The real server on port 0 over a temporary demo store: the full
//! authorisation matrix, all-or-nothing submissions, the round workflow
//! through lock, rules and outliers, key tasks, sessions and CSRF, published
//! data for anonymous readers, rate limits, the audit log, the report, the
//! OpenAPI document.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

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

const PASSWORD: &str = "một mật khẩu đủ dài";

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

/// How a request authenticates.
#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Token(&'a str),
    Session {
        cookie: &'a str,
        csrf: Option<&'a str>,
    },
}

struct Resp {
    status: u16,
    headers: String,
    body: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        solieu(&data, &["demo"], None);
        let mut child = Command::new(env!("CARGO_BIN_EXE_solieu"))
            .arg("--data")
            .arg(&data)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
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
        solieu(&self.data, &args, Some(&format!("{PASSWORD}\n")));
        solieu(&self.data, &["token", "create", name], None)
            .trim()
            .to_string()
    }

    fn request(&self, method: &str, path: &str, auth: Auth<'_>, ctype: &str, body: &[u8]) -> Resp {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        let auth = match auth {
            Auth::None => String::new(),
            Auth::Token(t) => format!("Authorization: Bearer {t}\r\n"),
            Auth::Session { cookie, csrf } => format!(
                "Cookie: other=1; solieu_session={cookie}\r\n{}",
                csrf.map_or(String::new(), |c| format!("X-CSRF-Token: {c}\r\n"))
            ),
        };
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{auth}Content-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        let _ = s.write_all(body);
        let mut resp = Vec::new();
        let _ = s.read_to_end(&mut resp);
        let split = resp
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(resp.len());
        let headers = String::from_utf8_lossy(&resp[..split]).to_string();
        let raw = resp.get(split + 4..).unwrap_or(&[]);
        let status = headers
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        // chunked bodies (JSON from axum is not chunked; files may be),
        // taken apart as bytes: a file need not be UTF-8
        let bytes = if headers
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(raw)
        } else {
            raw.to_vec()
        };
        let body = String::from_utf8_lossy(&bytes).to_string();
        Resp {
            status,
            headers,
            body,
        }
    }

    fn csv(&self, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> Resp {
        let auth = token.map_or(Auth::None, Auth::Token);
        self.request(method, path, auth, "text/csv", body)
    }

    fn json(&self, method: &str, path: &str, auth: Auth<'_>, body: &Value) -> Resp {
        let b = if body.is_null() {
            vec![]
        } else {
            body.to_string().into_bytes()
        };
        self.request(method, path, auth, "application/json", &b)
    }

    fn get(&self, path: &str, token: &str) -> Value {
        let r = self.json("GET", path, Auth::Token(token), &Value::Null);
        assert_eq!(r.status, 200, "GET {path}: {}", r.body);
        r.json()
    }

    fn vintages(&self) -> u64 {
        let r = self.json("GET", "/api/v1/health", Auth::None, &Value::Null);
        r.json()["vintages"].as_u64().unwrap()
    }

    fn value(&self, token: &str, indicator: &str, area: &str, period: &str) -> Option<f64> {
        let v = self.get(
            &format!(
                "/api/v1/observations?indicator={indicator}&area={area}&period={period}&measure=value"
            ),
            token,
        );
        v["rows"][0]["value"].as_f64()
    }
}

fn dechunk(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&rest[..eol]);
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        let tail = &rest[eol + 2..];
        if n == 0 || tail.len() < n {
            break;
        }
        out.extend_from_slice(&tail[..n]);
        rest = tail[n..].strip_prefix(b"\r\n").unwrap_or(&tail[n..]);
    }
    out
}

/// A bare GET with an `Accept` header, as an SDMX client sends it: the
/// status and the whole answer (head and body) as text.
fn raw_get(addr: &str, path: &str, accept: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status: u16 = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, out)
}

fn assert_clean_error(r: &Resp) {
    let e = r.json();
    let err = &e["error"];
    assert!(
        err["request_id"].as_str().unwrap().starts_with('r'),
        "{}",
        r.body
    );
    assert!(
        err["code"].is_string() && err["message"].is_string(),
        "{}",
        r.body
    );
    for leak in ["SQL", "sqlite", "panicked", "src/", ".rs:"] {
        assert!(!r.body.contains(leak), "{leak} leaked: {}", r.body);
    }
}

const IN_SCOPE: &[u8] = b"indicator,area,period,value\nRETAIL_GOODS,79,2020-10,80000\n";
const OUT_OF_SCOPE: &[u8] = b"indicator,area,period,value\nRETAIL_GOODS,75,2020-10,80000\n";
const OTHER_INDICATOR: &[u8] = b"indicator,area,period,value\nEXPORTS,79,2020-10,4000\n";

#[test]
fn writes_are_authorised_by_role_and_scope_and_seen_at_once() {
    let srv = Server::start(&[]);
    let reporter = srv.account(
        "hcm",
        "reporter",
        &["--area", "79", "--indicator", "RETAIL_GOODS"],
    );
    let viewer = srv.account("lanhdao", "viewer", &[]);
    let analyst = srv.account("phantich", "analyst", &[]);
    let unscoped = srv.account("chuaphanquyen", "reporter", &[]);

    let before = srv.vintages();
    let refused: [(Option<&str>, &[u8], u16); 6] = [
        (None, IN_SCOPE, 401),
        (Some("slt_0000"), IN_SCOPE, 401),
        (Some(&viewer), IN_SCOPE, 403),
        (Some(&reporter), OUT_OF_SCOPE, 403),
        (Some(&reporter), OTHER_INDICATOR, 403),
        (Some(&unscoped), IN_SCOPE, 403),
    ];
    for (token, body, want) in refused {
        let r = srv.csv("POST", "/api/v1/submissions", token, body);
        assert_eq!(r.status, want, "{}", r.body);
        assert_clean_error(&r);
    }
    assert_eq!(
        srv.vintages(),
        before,
        "nothing written by refused requests"
    );

    // a submission with errors: located, and nothing written
    let bad = b"indicator,area,period,value\nRETAIL_GOODS,79,2020-10,80000\nRETAIL_GOODS,79,2020-11,12x\n";
    let r = srv.csv("POST", "/api/v1/submissions", Some(&reporter), bad);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("submission.csv:3:value"), "{}", r.body);
    assert_eq!(srv.vintages(), before);
    // the same in JSON: the item and the field
    let r = srv.json(
        "POST",
        "/api/v1/submissions",
        Auth::Token(&reporter),
        &json!({"observations": [
            {"indicator": "RETAIL_GOODS", "area": "79", "period": "2020-10", "value": 80000},
            {"indicator": "RETAIL_GOODS", "area": "79", "period": "2020-13", "value": 1},
        ]}),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("submission.json:2:period"), "{}", r.body);
    assert_eq!(srv.vintages(), before);

    // in scope: written, and every derived figure sees it on the next request
    assert_ne!(
        srv.value(&viewer, "RETAIL_GOODS", "79", "2020-10"),
        Some(80000.0)
    );
    let r = srv.csv("POST", "/api/v1/submissions", Some(&reporter), IN_SCOPE);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        srv.value(&viewer, "RETAIL_GOODS", "79", "2020-10"),
        Some(80000.0)
    );
    assert_eq!(srv.vintages(), before + 1);
    let ytd = srv.get(
        "/api/v1/observations?indicator=RETAIL_GOODS&area=79&period=2020-01/2020-10&measure=value&explain=true",
        &viewer,
    );
    assert!(
        ytd.to_string().contains("80000"),
        "the year-to-date is computed with the new month: {ytd}"
    );

    // JSON submissions go the same way
    let r = srv.json(
        "POST",
        "/api/v1/submissions",
        Auth::Token(&reporter),
        &json!({"observations": [{"indicator": "RETAIL_GOODS", "area": "79", "period": "2020-11", "value": "81234.5", "status": "E"}]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        srv.value(&viewer, "RETAIL_GOODS", "79", "2020-11"),
        Some(81234.5)
    );

    // an analyst writes anywhere
    let r = srv.csv("POST", "/api/v1/submissions", Some(&analyst), OUT_OF_SCOPE);
    assert_eq!(r.status, 201, "{}", r.body);

    // an import by another process (the CLI) is seen by the running server
    let cli = srv.data.parent().unwrap().join("cli.csv");
    std::fs::write(
        &cli,
        "indicator,area,period,value\nRETAIL_GOODS,79,2020-10,81000\n",
    )
    .unwrap();
    solieu(&srv.data, &["import", cli.to_str().unwrap()], None);
    std::thread::sleep(std::time::Duration::from_millis(250));
    assert_eq!(
        srv.value(&viewer, "RETAIL_GOODS", "79", "2020-10"),
        Some(81000.0)
    );

    // every write and every refusal is in the audit log, with the token and the address
    let audit = solieu(&srv.data, &["audit", "--limit", "50"], None);
    assert!(
        audit.contains("submission") && audit.contains("from 127.0.0.1"),
        "{audit}"
    );
    assert!(audit.contains("submission.refused"), "{audit}");
    assert!(
        audit.contains("token.create") && audit.contains("account.create"),
        "{audit}"
    );
}

#[test]
fn errors_are_json_and_bodies_are_limited() {
    let srv = Server::start(&[]);
    let analyst = srv.account("phantich", "analyst", &[]);
    let r = srv.csv("GET", "/api/v1/nothing", None, b"");
    assert_eq!(r.status, 404);
    assert!(r.body.contains("\"not_found\""), "{}", r.body);
    let r = srv.csv(
        "GET",
        "/api/v1/observations?indicator=RETAIL_GOODS&area=79&period=2020-13",
        Some(&analyst),
        b"",
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("invalid period"), "{}", r.body);
    assert_clean_error(&r);
    // axum's own rejections come out as the same JSON error
    let r = srv.csv("DELETE", "/api/v1/indicators", Some(&analyst), b"");
    assert_eq!(r.status, 405, "{}", r.body);
    assert_clean_error(&r);
    let r = srv.request(
        "PUT",
        "/api/v1/rules/R",
        Auth::Token(&analyst),
        "application/json",
        b"{not json",
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_clean_error(&r);
    let r = srv.csv(
        "GET",
        "/api/v1/observations?indicator=X",
        Some(&analyst),
        b"",
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_clean_error(&r);
    let r = srv.csv("GET", "/api/v1/indicators", None, b"");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert!(r
        .header("content-security-policy")
        .unwrap()
        .contains("frame-ancestors 'none'"));
    let big = vec![b'x'; solieu_server::MAX_BODY_BYTES + 1];
    let r = srv.csv("POST", "/api/v1/submissions", Some(&analyst), &big);
    assert_eq!(r.status, 413);
    assert_clean_error(&r);
    assert!(r.body.contains("MiB"), "{}", r.body);
}

/// Everything a refused write could have changed, read as an admin.
fn digest(srv: &Server, admin: &str) -> String {
    let mut out = vec![srv.vintages().to_string()];
    for path in [
        "/api/v1/forms",
        "/api/v1/rules",
        "/api/v1/tasks",
        "/api/v1/users",
        "/api/v1/tokens",
        "/api/v1/releases",
        "/api/v1/rounds?form=BC_THANG&from=2026-01&to=2026-12",
    ] {
        out.push(srv.get(path, admin).to_string());
    }
    out.join("\n")
}

#[test]
fn authorisation_matrix_every_role_every_write_in_and_out_of_scope() {
    // many requests from one token in a short time: no rate limit here
    let srv = Server::start(&["--rate-limit", "0"]);
    let admin = srv.account("quantri", "admin", &[]);
    let analyst = srv.account("phantich", "analyst", &[]);
    let rep_in = srv.account("hcm", "reporter", &["--area", "79"]);
    let rep_out = srv.account("dongnai", "reporter", &["--area", "75"]);
    let viewer = srv.account("lanhdao", "viewer", &[]);
    let spare = srv.account("khac", "viewer", &[]);
    let spare_token: i64 = srv.get("/api/v1/tokens?account=khac", &admin)[0]["id"]
        .as_i64()
        .unwrap();
    let _ = spare;

    // the world the writes act on
    let form = json!({"name": "Báo cáo tháng", "frequency": "month",
                      "indicators": ["RETAIL_GOODS", "EXPORTS"], "units": ["79", "75"]});
    assert_eq!(
        srv.json("PUT", "/api/v1/forms/BC_THANG", Auth::Token(&admin), &form)
            .status,
        200
    );
    let task = srv.json(
        "POST",
        "/api/v1/tasks",
        Auth::Token(&admin),
        &json!({"title": "Đẩy nhanh giải ngân vốn đầu tư công", "document": "Kết luận 12/KL-UBND",
                "unit": "79", "deadline": "2026-12-31"}),
    );
    assert_eq!(task.status, 201, "{}", task.body);
    let task_id = task.json()["id"].as_i64().unwrap();

    let roles: [(&str, Auth<'_>); 6] = [
        ("anonymous", Auth::None),
        ("viewer", Auth::Token(&viewer)),
        ("reporter_out", Auth::Token(&rep_out)),
        ("reporter_in", Auth::Token(&rep_in)),
        ("analyst", Auth::Token(&analyst)),
        ("admin", Auth::Token(&admin)),
    ];
    let values = json!({"values": [{"indicator": "RETAIL_GOODS", "value": 70000}]});
    let round =
        |period: &str, action: &str| format!("/api/v1/rounds/BC_THANG/79/{period}/{action}");
    // (name, method, path, body, setup as admin, roles allowed)
    type Case = (
        &'static str,
        &'static str,
        String,
        Value,
        Vec<(String, Value)>,
        &'static [&'static str],
    );
    let writers: &[&str] = &["reporter_in", "analyst", "admin"];
    let staff: &[&str] = &["analyst", "admin"];
    let admins: &[&str] = &["admin"];
    let cases: Vec<Case> = vec![
        (
            "submission",
            "POST",
            "/api/v1/submissions".into(),
            json!({"observations": [{"indicator": "RETAIL_GOODS", "area": "79", "period": "2025-10", "value": 1234}]}),
            vec![],
            writers,
        ),
        (
            "plans",
            "PUT",
            "/api/v1/plans".into(),
            json!({"plans": [{"indicator": "RETAIL_GOODS", "area": "79", "year": 2027, "level": 900000, "growth_pct": 10}]}),
            vec![],
            writers,
        ),
        (
            "form",
            "PUT",
            "/api/v1/forms/BC_QUY".into(),
            json!({"name": "Quý", "frequency": "quarter", "indicators": ["GRDP_CONST"], "units": ["79"]}),
            vec![],
            staff,
        ),
        (
            "round draft",
            "POST",
            round("2026-01", "draft"),
            values.clone(),
            vec![],
            writers,
        ),
        (
            "round submit",
            "POST",
            round("2026-02", "submit"),
            values.clone(),
            vec![],
            writers,
        ),
        (
            "round return",
            "POST",
            round("2026-03", "return"),
            json!({"comment": "kiểm tra lại"}),
            vec![(round("2026-03", "submit"), values.clone())],
            staff,
        ),
        (
            "round approve",
            "POST",
            round("2026-04", "approve"),
            Value::Null,
            vec![
                (round("2026-04", "return"), json!({"comment": "x"})),
                (round("2026-04", "submit"), values.clone()),
            ],
            staff,
        ),
        (
            "round lock",
            "POST",
            round("2026-05", "lock"),
            Value::Null,
            vec![
                (round("2026-05", "unlock"), Value::Null),
                (round("2026-05", "return"), json!({"comment": "x"})),
                (round("2026-05", "submit"), values.clone()),
            ],
            staff,
        ),
        (
            "round unlock",
            "POST",
            round("2026-06", "unlock"),
            Value::Null,
            vec![
                (round("2026-06", "submit"), values.clone()),
                (round("2026-06", "lock"), Value::Null),
            ],
            admins,
        ),
        (
            "rule",
            "PUT",
            "/api/v1/rules/R_RETAIL".into(),
            json!({"expression": "RETAIL_GOODS >= 0", "severity": "error"}),
            vec![],
            staff,
        ),
        (
            "task create",
            "POST",
            "/api/v1/tasks".into(),
            json!({"title": "Báo cáo chuyên đề", "document": "CV 1/UBND", "unit": "79", "deadline": "2027-01-15"}),
            vec![],
            staff,
        ),
        (
            "task progress",
            "PATCH",
            format!("/api/v1/tasks/{task_id}"),
            json!({"progress": 40, "note": "đã giải ngân 40%"}),
            vec![],
            writers,
        ),
        (
            "user create",
            "POST",
            "/api/v1/users".into(),
            json!({"name": "moi", "role": "viewer", "password": PASSWORD}),
            vec![],
            admins,
        ),
        (
            "token for another",
            "POST",
            "/api/v1/tokens".into(),
            json!({"account": "khac"}),
            vec![],
            admins,
        ),
        (
            "token revoke another's",
            "DELETE",
            format!("/api/v1/tokens/{spare_token}"),
            Value::Null,
            vec![],
            admins,
        ),
        (
            "release",
            "POST",
            "/api/v1/releases?force=true".into(),
            json!({"note": "Số liệu tháng"}),
            vec![],
            staff,
        ),
    ];
    let mut tried = 0;
    for (name, method, path, body, setup, allowed) in &cases {
        for (role, auth) in roles {
            for (p, b) in setup {
                let _ = srv.json("POST", p, Auth::Token(&admin), b);
            }
            let before = digest(&srv, &admin);
            let r = srv.json(method, path, auth, body);
            tried += 1;
            if allowed.contains(&role) {
                assert!(
                    (200..300).contains(&r.status),
                    "{name} as {role}: expected success, got {} {}",
                    r.status,
                    r.body
                );
            } else {
                let want = if role == "anonymous" { 401 } else { 403 };
                assert_eq!(r.status, want, "{name} as {role}: {}", r.body);
                assert_clean_error(&r);
                assert_eq!(
                    digest(&srv, &admin),
                    before,
                    "{name} as {role} changed the store"
                );
            }
        }
    }
    assert_eq!(tried, cases.len() * roles.len());

    // every write of the OpenAPI document is in the matrix, or named here
    // with the reason it is not: a new write route without an
    // authorisation case fails this test
    let exempt = [
        (
            "POST",
            "/api/v1/session",
            "signing in: for anyone with a password (sessions test)",
        ),
        (
            "DELETE",
            "/api/v1/session",
            "signing out: one's own session (sessions test)",
        ),
    ];
    let doc = srv.get("/api/v1/openapi.json", &admin);
    let same_route = |template: &str, path: &str| {
        let (t, p): (Vec<&str>, Vec<&str>) =
            (template.split('/').collect(), path.split('/').collect());
        t.len() == p.len() && t.iter().zip(&p).all(|(a, b)| a.starts_with('{') || a == b)
    };
    let mut missing = vec![];
    let mut writes = 0;
    for (template, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let method = method.to_ascii_uppercase();
            if !["POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                continue;
            }
            writes += 1;
            let covered = cases.iter().any(|(_, m, path, ..)| {
                *m == method && same_route(template, path.split('?').next().unwrap())
            });
            let excused = exempt.iter().any(|(m, t, _)| *m == method && t == template);
            if !covered && !excused {
                missing.push(format!("{method} {template}"));
            }
        }
    }
    assert!(writes >= 13, "{writes} write operations in the document");
    assert!(
        missing.is_empty(),
        "write routes without an authorisation case: {missing:?}"
    );

    // every accepted write is in the audit log with who and from where
    let log = srv.get("/api/v1/audit?limit=1000", &admin);
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "submission",
        "form.put",
        "round.draft",
        "round.submit",
        "round.return",
        "round.approve",
        "round.lock",
        "round.unlock",
        "rule.put",
        "task.create",
        "task.update",
        "account.create",
        "token.create",
        "token.revoke",
        "release.publish",
        "submission.refused",
        "round.refused",
    ] {
        assert!(actions.contains(&a), "no {a} in the audit log: {actions:?}");
    }
    assert!(log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| !e["origin"].as_str().unwrap_or("").is_empty()
            || e["action"].as_str().unwrap().starts_with("init")
            || e["action"].as_str().unwrap().starts_with("catalog")
            || e["action"].as_str().unwrap() == "import"
            || e["action"].as_str().unwrap().starts_with("account")
            || e["action"].as_str().unwrap().starts_with("token.create")));
    // the audit log is for staff
    let r = srv.json("GET", "/api/v1/audit", Auth::Token(&rep_in), &Value::Null);
    assert_eq!(r.status, 403);
}

#[test]
fn round_workflow_through_lock_with_completeness_and_timeliness() {
    let srv = Server::start(&[]);
    let admin = srv.account("quantri", "admin", &[]);
    let analyst = srv.account("phantich", "analyst", &[]);
    let rep = srv.account("hcm", "reporter", &["--area", "79"]);
    let form = json!({"name": "Báo cáo tháng", "frequency": "month",
                      "indicators": ["RETAIL_GOODS", "EXPORTS"], "units": ["79", "75"]});
    assert_eq!(
        srv.json("PUT", "/api/v1/forms/BC_THANG", Auth::Token(&admin), &form)
            .status,
        200
    );
    let url = |action: &str| format!("/api/v1/rounds/BC_THANG/79/2020-10/{action}");
    let before = srv.vintages();

    // a draft with an error: located at the cell, nothing saved
    let r = srv.json("POST", &url("draft"), Auth::Token(&rep),
        &json!({"values": [{"indicator": "RETAIL_GOODS", "value": "80.000,5"}, {"indicator": "EXPORTS", "value": "abc"}]}));
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("draft:2:value"), "{}", r.body);
    let r = srv.json("POST", &url("draft"), Auth::Token(&rep),
        &json!({"values": [{"indicator": "RETAIL_GOODS", "value": 80000.5}, {"indicator": "EXPORTS", "value": 4100}]}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["round"]["status"], "draft");
    assert_eq!(srv.vintages(), before, "a draft writes no figure");
    // approving a draft is refused by the workflow
    let r = srv.json("POST", &url("approve"), Auth::Token(&analyst), &Value::Null);
    assert_eq!(r.status, 409, "{}", r.body);

    // submit the saved draft: the figures are written and seen
    let r = srv.json("POST", &url("submit"), Auth::Token(&rep), &Value::Null);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["round"]["status"], "submitted");
    assert_eq!(srv.vintages(), before + 2);
    assert_eq!(
        srv.value(&rep, "RETAIL_GOODS", "79", "2020-10"),
        Some(80000.5)
    );

    // return with a comment; the comment is required
    let r = srv.json("POST", &url("return"), Auth::Token(&analyst), &json!({}));
    assert_eq!(r.status, 400, "{}", r.body);
    let r = srv.json(
        "POST",
        &url("return"),
        Auth::Token(&analyst),
        &json!({"comment": "Xuất khẩu thấp bất thường, đề nghị kiểm tra"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["round"]["status"], "draft");
    assert!(r.json()["round"]["comment"]
        .as_str()
        .unwrap()
        .contains("kiểm tra"));
    // corrected and resubmitted through the plain submission route: the round follows
    let r = srv.csv(
        "POST",
        "/api/v1/submissions",
        Some(&rep),
        b"indicator,area,period,value\nEXPORTS,79,2020-10,4321\n",
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let m = srv.get(
        "/api/v1/rounds?form=BC_THANG&from=2020-09&to=2020-10",
        &analyst,
    );
    let cell = m["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["unit"] == "79" && c["period"] == "2020-10")
        .unwrap()
        .clone();
    assert_eq!(cell["status"], "submitted", "{m}");
    // approve, then lock
    let r = srv.json("POST", &url("approve"), Auth::Token(&analyst), &Value::Null);
    assert_eq!(r.status, 200, "{}", r.body);
    let r = srv.json("POST", &url("lock"), Auth::Token(&rep), &Value::Null);
    assert_eq!(r.status, 403, "a reporter does not lock: {}", r.body);
    let r = srv.json("POST", &url("lock"), Auth::Token(&analyst), &Value::Null);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["round"]["status"], "locked");

    // locked: writes refused, nothing written — except an admin's, which is audited
    let n = srv.vintages();
    for token in [&rep, &analyst] {
        let r = srv.csv(
            "POST",
            "/api/v1/submissions",
            Some(token),
            b"indicator,area,period,value\nEXPORTS,79,2020-10,1\n",
        );
        assert_eq!(r.status, 409, "{}", r.body);
        assert!(r.body.contains("locked"), "{}", r.body);
    }
    assert_eq!(srv.vintages(), n);
    let r = srv.csv(
        "POST",
        "/api/v1/submissions",
        Some(&admin),
        b"indicator,area,period,value\nEXPORTS,79,2020-10,4322\n",
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let log = srv.get("/api/v1/audit?action=round.locked_override", &admin);
    assert_eq!(log["entries"].as_array().unwrap().len(), 1, "{log}");
    // the CLI's imports obey the lock too, unless an admin overrides (audited)
    let file = srv.data.parent().unwrap().join("locked.csv");
    std::fs::write(
        &file,
        "indicator,area,period,value\nEXPORTS,79,2020-01/2020-10,40000\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_solieu"))
        .arg("--data")
        .arg(&srv.data)
        .args(["import", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("round BC_THANG/79/2020-10 is locked") && err.contains("--override-lock"),
        "{err}"
    );
    solieu(
        &srv.data,
        &["import", file.to_str().unwrap(), "--override-lock"],
        None,
    );
    std::thread::sleep(std::time::Duration::from_millis(250));
    let log = srv.get("/api/v1/audit?action=round.locked_override", &admin);
    assert_eq!(log["entries"].as_array().unwrap().len(), 2, "{log}");
    assert!(log.to_string().contains("cli --override-lock"), "{log}");

    // completeness and timeliness: 79 submitted (late: 2020 is long past), 75 missing
    let m = srv.get(
        "/api/v1/rounds?form=BC_THANG&from=2020-09&to=2020-10",
        &analyst,
    );
    let cell = |u: &str, p: &str| {
        m["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["unit"] == u && c["period"] == p)
            .unwrap()
            .clone()
    };
    assert_eq!(cell("79", "2020-10")["status"], "locked");
    assert_eq!(cell("79", "2020-10")["deadline"], "2020-10-14");
    assert_eq!(cell("79", "2020-10")["late"], true);
    assert_eq!(cell("75", "2020-10")["status"], "missing");
    let by_period = m["by_period"].as_array().unwrap();
    let oct = by_period.iter().find(|p| p["period"] == "2020-10").unwrap();
    assert_eq!(oct["completeness_pct"], 50.0, "{m}");
    assert_eq!(oct["timeliness_pct"], 0.0, "{m}");
    let u79 = m["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == "79")
        .unwrap();
    assert_eq!(u79["completeness_pct"], 50.0, "one of two months: {m}");
    // the trail of the round, before → after
    let log = srv.get("/api/v1/audit?target=round%20BC_THANG/79/2020-10", &admin);
    let entries = log["entries"].as_array().unwrap();
    assert!(
        entries.iter().any(|e| e["action"] == "round.lock"
            && e["before"].as_str().unwrap().contains("approved")
            && e["after"].as_str().unwrap().contains("locked")),
        "{log}"
    );
    // unlock is for admins
    let r = srv.json("POST", &url("unlock"), Auth::Token(&analyst), &Value::Null);
    assert_eq!(r.status, 403);
    let r = srv.json("POST", &url("unlock"), Auth::Token(&admin), &Value::Null);
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn rules_outliers_and_tasks() {
    let srv = Server::start(&[]);
    let analyst = srv.account("phantich", "analyst", &[]);
    let rep = srv.account("hcm", "reporter", &["--area", "79"]);
    // a rule that does not parse says where
    let r = srv.json(
        "PUT",
        "/api/v1/rules/R1",
        Auth::Token(&analyst),
        &json!({"expression": "RETAIL_GOODS <= "}),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("column 17"), "{}", r.body);
    let r = srv.json(
        "PUT",
        "/api/v1/rules/R1",
        Auth::Token(&analyst),
        &json!({"expression": "NO_SUCH > 1"}),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    // stored rules, run on every submission
    for (code, expr, sev) in [
        ("RETAIL_CAP", "RETAIL_GOODS <= 100000", "error"),
        (
            "RETAIL_YTD",
            "cumulative(RETAIL_GOODS, m) >= cumulative(RETAIL_GOODS, m-1)",
            "error",
        ),
        (
            "RETAIL_GROWTH",
            "abs(yoy_pct(RETAIL_GOODS)) <= 50",
            "warning",
        ),
    ] {
        let r = srv.json(
            "PUT",
            &format!("/api/v1/rules/{code}"),
            Auth::Token(&analyst),
            &json!({"expression": expr, "severity": sev, "description": "kiểm tra"}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = srv.csv(
        "POST",
        "/api/v1/submissions",
        Some(&rep),
        b"indicator,area,period,value\nRETAIL_GOODS,79,2020-10,150000\n",
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    let rules: Vec<&str> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"RETAIL_CAP"), "{v}");
    assert!(rules.contains(&"RETAIL_GROWTH"), "{v}");
    assert!(
        rules.contains(&"builtin.outlier"),
        "a doubled month is unusual: {v}"
    );
    assert!(!rules.contains(&"RETAIL_YTD"), "{v}");
    let cap = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["rule"] == "RETAIL_CAP")
        .unwrap();
    assert_eq!(cap["figures"][0]["value"], 150000.0, "{cap}");
    assert_eq!(cap["severity"], "error");
    // the validation results say the same on demand
    let val = srv.get("/api/v1/validation?period=2020-10&area=79", &analyst);
    assert!(val["errors"].as_u64().unwrap() >= 1, "{val}");
    // an error-level violation blocks approval
    let form = json!({"name": "Tháng", "frequency": "month", "indicators": ["RETAIL_GOODS"], "units": ["79"]});
    assert_eq!(
        srv.json("PUT", "/api/v1/forms/BC", Auth::Token(&analyst), &form)
            .status,
        200
    );
    let r = srv.json(
        "POST",
        "/api/v1/rounds/BC/79/2020-10/submit",
        Auth::Token(&rep),
        &json!({"values": [{"indicator": "RETAIL_GOODS", "value": 150001}]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = srv.json(
        "POST",
        "/api/v1/rounds/BC/79/2020-10/approve",
        Auth::Token(&analyst),
        &Value::Null,
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body.contains("rule_violations") && r.body.contains("RETAIL_GOODS <= 100000"),
        "{}",
        r.body
    );
    // fixed: approved
    let r = srv.json(
        "POST",
        "/api/v1/rounds/BC/79/2020-10/submit",
        Auth::Token(&rep),
        &json!({"values": [{"indicator": "RETAIL_GOODS", "value": 81000}]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = srv.json(
        "POST",
        "/api/v1/rounds/BC/79/2020-10/approve",
        Auth::Token(&analyst),
        &Value::Null,
    );
    assert_eq!(r.status, 200, "{}", r.body);

    // key tasks: overdue and due soon, by unit
    let today = chrono::Utc::now().date_naive();
    for (title, unit, deadline) in [
        ("Hoàn thành quy hoạch", "79", today - chrono::Days::new(10)),
        (
            "Giải ngân vốn đầu tư công",
            "79",
            today + chrono::Days::new(3),
        ),
        ("Chuyển đổi số", "75", today + chrono::Days::new(60)),
    ] {
        let r = srv.json("POST", "/api/v1/tasks", Auth::Token(&analyst),
            &json!({"title": title, "document": "Nghị quyết 01/NQ-HĐND", "document_date": "2026-01-05",
                    "unit": unit, "deadline": deadline.to_string(), "indicators": ["RETAIL_GOODS"]}));
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let t = srv.get("/api/v1/tasks?view=overdue", &rep);
    let tasks = t["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 1, "{t}");
    assert_eq!(tasks[0]["title"], "Hoàn thành quy hoạch");
    assert_eq!(tasks[0]["overdue"], true);
    let t = srv.get("/api/v1/tasks?view=due_soon", &rep);
    assert_eq!(t["tasks"].as_array().unwrap().len(), 1, "{t}");
    let t = srv.get("/api/v1/tasks?unit=79", &rep);
    assert_eq!(t["tasks"].as_array().unwrap().len(), 2, "{t}");
    assert_eq!(t["tasks"][0]["overdue"], true, "overdue first: {t}");
    // a unit's reporter reports progress on its own tasks only
    let id79 = t["tasks"][0]["id"].as_i64().unwrap();
    let r = srv.json(
        "PATCH",
        &format!("/api/v1/tasks/{id79}"),
        Auth::Token(&rep),
        &json!({"status": "done", "note": "Đã hoàn thành"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["progress"], 100);
    assert_eq!(r.json()["notes"][0]["note"], "Đã hoàn thành");
    let id75 = srv.get("/api/v1/tasks?unit=75", &rep)["tasks"][0]["id"]
        .as_i64()
        .unwrap();
    let r = srv.json(
        "PATCH",
        &format!("/api/v1/tasks/{id75}"),
        Auth::Token(&rep),
        &json!({"progress": 10}),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(srv.get("/api/v1/tasks?view=overdue", &rep)["overdue"], 0);
}

#[test]
fn sessions_need_csrf_for_writes_and_end_on_logout() {
    let srv = Server::start(&[]);
    let _ = srv.account("hcm", "reporter", &["--area", "79"]);
    let r = srv.json(
        "POST",
        "/api/v1/session",
        Auth::None,
        &json!({"name": "hcm", "password": "sai mật khẩu rồi"}),
    );
    assert_eq!(r.status, 401, "{}", r.body);
    let r = srv.json(
        "POST",
        "/api/v1/session",
        Auth::None,
        &json!({"name": "khongco", "password": "sai mật khẩu rồi"}),
    );
    assert_eq!(r.status, 401, "{}", r.body);
    let r = srv.json(
        "POST",
        "/api/v1/session",
        Auth::None,
        &json!({"name": "hcm", "password": PASSWORD}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let set = r.header("set-cookie").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Secure"),
        "{set}"
    );
    let cookie = set
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string();
    let csrf = r.json()["csrf_token"].as_str().unwrap().to_string();
    let me = srv.json(
        "GET",
        "/api/v1/session",
        Auth::Session {
            cookie: &cookie,
            csrf: None,
        },
        &Value::Null,
    );
    assert_eq!(me.json()["account"]["name"], "hcm");
    let before = srv.vintages();
    let r = srv.request(
        "POST",
        "/api/v1/submissions",
        Auth::Session {
            cookie: &cookie,
            csrf: None,
        },
        "text/csv",
        IN_SCOPE,
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("csrf"), "{}", r.body);
    let r = srv.request(
        "POST",
        "/api/v1/submissions",
        Auth::Session {
            cookie: &cookie,
            csrf: Some("slt_wrong"),
        },
        "text/csv",
        IN_SCOPE,
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(srv.vintages(), before);
    let r = srv.request(
        "POST",
        "/api/v1/submissions",
        Auth::Session {
            cookie: &cookie,
            csrf: Some(&csrf),
        },
        "text/csv",
        IN_SCOPE,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = srv.json(
        "DELETE",
        "/api/v1/session",
        Auth::Session {
            cookie: &cookie,
            csrf: Some(&csrf),
        },
        &Value::Null,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = srv.json(
        "GET",
        "/api/v1/session",
        Auth::Session {
            cookie: &cookie,
            csrf: None,
        },
        &Value::Null,
    );
    assert_eq!(
        r.status, 401,
        "an ended session is refused, not anonymous: {}",
        r.body
    );
    let log = solieu(&srv.data, &["audit", "--limit", "20"], None);
    assert!(
        log.contains("session.login_failed") && log.contains("session.logout"),
        "{log}"
    );
    assert!(
        !log.contains(PASSWORD) && !log.contains(&cookie),
        "no secret in the log"
    );
}

#[test]
fn repeated_failed_sign_ins_lock_the_name_for_a_while_existing_or_not() {
    let srv = Server::start(&[]);
    let _ = srv.account("hcm", "reporter", &["--area", "79"]);
    let try_as = |name: &str, password: &str| {
        srv.json(
            "POST",
            "/api/v1/session",
            Auth::None,
            &json!({"name": name, "password": password}),
        )
    };
    for name in ["hcm", "khongco"] {
        for _ in 0..10 {
            assert_eq!(try_as(name, "đoán thử mật khẩu").status, 401);
        }
        // the eleventh, even with the right password, waits: the same for a name that does not exist
        let r = try_as(name, PASSWORD);
        assert_eq!(r.status, 429, "{}", r.body);
        assert!(r.body.contains("try again in 15 minute"), "{}", r.body);
    }
    // another account is not affected
    let _ = srv.account("hn", "viewer", &[]);
    assert_eq!(try_as("hn", PASSWORD).status, 200);
    let log = solieu(&srv.data, &["audit", "--limit", "40"], None);
    assert!(log.contains("session.login_locked"), "{log}");
}

#[test]
fn anonymous_readers_see_the_latest_release_only() {
    let srv = Server::start(&[]);
    let analyst = srv.account("phantich", "analyst", &[]);
    let viewer = srv.account("lanhdao", "viewer", &[]);
    let q = "/api/v1/observations?indicator=RETAIL_GOODS&area=79&period=2020-10";
    // the demo store is published as loaded
    let published = srv.value(&viewer, "RETAIL_GOODS", "79", "2020-10");
    assert!(published.is_some());
    let anon = |srv: &Server| {
        srv.json("GET", q, Auth::None, &Value::Null).json()["rows"][0]["value"].as_f64()
    };
    assert_eq!(anon(&srv), published);
    // a new figure: the signed-in see it, the public not until the next release
    let r = srv.csv(
        "POST",
        "/api/v1/submissions",
        Some(&analyst),
        b"indicator,area,period,value\nRETAIL_GOODS,79,2020-10,99999\n",
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        srv.value(&viewer, "RETAIL_GOODS", "79", "2020-10"),
        Some(99999.0)
    );
    assert_eq!(anon(&srv), published);
    let r = srv.json(
        "POST",
        "/api/v1/releases",
        Auth::Token(&analyst),
        &json!({"note": "Điều chỉnh"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(anon(&srv), Some(99999.0));
    // the report follows the same rule
    let r = srv.csv(
        "GET",
        "/api/v1/report?area=79&period=2020-10&format=md",
        None,
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("tháng 10") || r.body.contains("Tháng 10"),
        "{}",
        r.body
    );
    // a closed server publishes nothing anonymously
    let closed = Server::start(&["--public", "none"]);
    let r = closed.json("GET", q, Auth::None, &Value::Null);
    assert_eq!(r.status, 401, "{}", r.body);
    assert_clean_error(&r);
}

#[test]
fn rate_limits_answer_429_per_caller() {
    let srv = Server::start(&["--rate-limit", "2", "--public", "all"]);
    let statuses: Vec<Resp> = (0..12)
        .map(|_| srv.csv("GET", "/api/v1/indicators", None, b""))
        .collect();
    let limited: Vec<&Resp> = statuses.iter().filter(|r| r.status == 429).collect();
    assert!(!limited.is_empty(), "12 quick requests at 2/s");
    assert!(statuses[0].status == 200);
    assert!(limited[0].header("retry-after").is_some());
    assert_clean_error(limited[0]);
    // another caller (a token) has its own budget
    let t = srv.account("phantich", "analyst", &[]);
    let r = srv.csv("GET", "/api/v1/indicators", Some(&t), b"");
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn figures_page_and_download_as_csv_xlsx_and_the_report() {
    let srv = Server::start(&["--public", "all"]);
    let q = "/api/v1/observations?indicator=RETAIL_GOODS,EXPORTS&area=79&period=2020-01..2020-10&measure=value,yoy_pct";
    let all = srv.csv("GET", q, None, b"").json();
    assert_eq!(all["total"], 40);
    let p1 = srv.csv("GET", &format!("{q}&limit=15"), None, b"").json();
    assert_eq!(p1["rows"].as_array().unwrap().len(), 15);
    assert_eq!(p1["next_offset"], 15);
    let p3 = srv
        .csv("GET", &format!("{q}&limit=15&offset=30"), None, b"")
        .json();
    assert_eq!(p3["rows"].as_array().unwrap().len(), 10);
    assert!(p3["next_offset"].is_null());
    assert_eq!(p3["rows"][9], all["rows"][39]);
    let csv = srv.csv("GET", &format!("{q}&format=csv"), None, b"");
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert_eq!(csv.body.lines().count(), 41, "{}", csv.body);
    assert!(csv.body.starts_with("indicator,area,period,measure,value"));
    let x = srv.csv("GET", &format!("{q}&format=xlsx"), None, b"");
    assert_eq!(x.status, 200);
    assert!(x.header("content-type").unwrap().contains("spreadsheetml"));
    // a breakdown through the API (every product group, its share and rank) and on the indicator page
    let by = srv
        .csv(
            "GET",
            "/api/v1/observations?indicator=EXPORTS&area=79&period=2020-10&dim=PRODUCT%3D*&measure=cumulative,share_pct,rank",
            None,
            b"",
        )
        .json();
    let rows = by["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 13 * 3, "{by}");
    let e = rows
        .iter()
        .find(|r| r["breakdown"] == "PRODUCT=ELECTRONICS" && r["measure"] == "rank")
        .unwrap();
    assert_eq!(
        e["breakdown_label"],
        "Máy vi tính, sản phẩm điện tử và linh kiện"
    );
    assert!(
        e["value"].as_f64().unwrap() <= 2.0 && e["out_of"] == 13,
        "{e}"
    );
    let page = srv.csv(
        "GET",
        "/indicator/EXPORTS?area=79&period=2020-10&sort=growth",
        None,
        b"",
    );
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Theo nhóm hàng")
            && page
                .body
                .contains("<th scope=\"row\">Máy vi tính, sản phẩm điện tử và linh kiện</th>"),
        "{}",
        page.body
    );
    // a formula indicator's page shows its formula, and the API computes it
    let page = srv.csv(
        "GET",
        "/indicator/EXPORTS_FDI_SHARE?area=79&period=2020-10",
        None,
        b"",
    );
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("Công thức tính: <code>EXPORTS[SECTOR=FDI] &#x2f; EXPORTS * 100</code>"),
        "{}",
        page.body
    );
    for (format, media) in [
        ("md", "text/markdown"),
        ("html", "text/html"),
        ("docx", "wordprocessingml"),
        ("xlsx", "spreadsheetml"),
    ] {
        let r = srv.csv(
            "GET",
            &format!("/api/v1/report?area=79&period=2020-10&format={format}"),
            None,
            b"",
        );
        assert_eq!(r.status, 200, "{format}: {}", r.body);
        assert!(
            r.header("content-type").unwrap().contains(media),
            "{format}"
        );
        if format == "html" {
            assert!(r
                .header("content-security-policy")
                .unwrap()
                .contains("default-src 'none'"));
        }
    }
    // exports of the stored figures in each format
    let r = srv.csv(
        "GET",
        "/api/v1/export?indicator=RETAIL_GOODS&area=79",
        None,
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.starts_with("indicator,area,period,measure,value"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("RETAIL_GOODS,79,2020-10,level,72212.8"),
        "{}",
        r.body
    );
    let r = srv.csv(
        "GET",
        "/api/v1/export?format=sdmx-csv&indicator=RETAIL_GOODS&area=79",
        None,
        b"",
    );
    assert!(
        r.body.contains(
            "SOLIEU:DF_SOLIEU(1.0),M,RETAIL_GOODS,79,VALUE,_T,_T,_T,_T,_T,_T,2020-10,72212.8,A,TY_DONG,0,0"
        ),
        "{}",
        r.body
    );
    let r = srv.csv("GET", "/api/v1/export?format=xlsx&area=79", None, b"");
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().contains("spreadsheetml"));
    let r = srv.csv("GET", "/api/v1/export?format=parquet&area=79", None, b"");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.header("content-type").unwrap(),
        "application/vnd.apache.parquet"
    );
    assert!(r.body.starts_with("PAR1"), "a Parquet file");
    let r = srv.csv("GET", "/api/v1/export?format=orc", None, b"");
    assert_eq!(r.status, 400, "{}", r.body);
    let r = srv.csv("GET", "/api/v1/report?area=79&period=1999-10", None, b"");
    assert_eq!(r.status, 404, "{}", r.body);
    assert_clean_error(&r);
    let r = srv.csv(
        "GET",
        "/api/v1/report?area=79&period=2020-10&format=exe",
        None,
        b"",
    );
    assert_eq!(r.status, 400, "{}", r.body);
}

#[test]
fn the_openapi_document_covers_every_route() {
    let srv = Server::start(&["--public", "all"]);
    let r = srv.csv("GET", "/api/v1/openapi.json", None, b"");
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let want: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("/api/v1/health", &["get"][..]),
        ("/api/v1/openapi.json", &["get"]),
        ("/api/v1/indicators", &["get"]),
        ("/api/v1/areas", &["get"]),
        ("/api/v1/observations", &["get"]),
        ("/api/v1/figures", &["get"]),
        ("/api/v1/submissions", &["post"]),
        ("/api/v1/plans", &["get", "put"]),
        ("/api/v1/report", &["get"]),
        ("/api/v1/export", &["get"]),
        ("/api/v1/forms", &["get"]),
        ("/api/v1/forms/{code}", &["put"]),
        ("/api/v1/forms/{code}/template", &["get"]),
        ("/api/v1/rounds", &["get"]),
        ("/api/v1/rounds/{form}/{unit}/{period}/{action}", &["post"]),
        ("/api/v1/rules", &["get"]),
        ("/api/v1/rules/{code}", &["put"]),
        ("/api/v1/validation", &["get"]),
        ("/api/v1/tasks", &["get", "post"]),
        ("/api/v1/tasks/{id}", &["patch"]),
        ("/api/v1/releases", &["get", "post"]),
        ("/api/v1/users", &["get", "post"]),
        ("/api/v1/tokens", &["get", "post"]),
        ("/api/v1/tokens/{id}", &["delete"]),
        ("/api/v1/audit", &["get"]),
        ("/api/v1/session", &["get", "post", "delete"]),
    ]);
    for (path, methods) in &want {
        let item = paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} missing from the document"));
        for m in *methods {
            let op = &item[*m];
            assert!(op.is_object(), "{m} {path} missing");
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{m} {path}: no responses"
            );
        }
    }
    assert_eq!(
        paths.len(),
        want.len(),
        "undocumented or unexpected paths: {:?}",
        paths.keys().collect::<Vec<_>>()
    );
    // and every documented route answers (not the fallback's 404)
    for path in want.keys() {
        let concrete = path
            .replace("{code}", "X")
            .replace("{form}/{unit}/{period}/{action}", "X/79/2020-10/approve")
            .replace("{id}", "1");
        let r = srv.csv("GET", &concrete, None, b"");
        assert!(
            !(r.status == 404 && r.body.contains("no such route")),
            "{path} is documented but not routed"
        );
    }
}

#[test]
fn uploaded_workbooks_are_checked_like_files() {
    let srv = Server::start(&["--public", "all"]);
    let rep = srv.account("hcm", "reporter", &["--area", "79"]);
    let book = |bad: bool| {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["indicator", "area", "period", "value"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (r, (p, v)) in [("2020-10", 81111.0), ("2020-11", 82222.0)]
            .iter()
            .enumerate()
        {
            let r = r as u32 + 1;
            ws.write_string(r, 0, "RETAIL_GOODS").unwrap();
            ws.write_string(r, 1, "79").unwrap();
            ws.write_string(r, 2, *p).unwrap();
            if bad && r == 2 {
                ws.write_string(r, 3, "nhiều").unwrap();
            } else {
                ws.write_number(r, 3, *v).unwrap();
            }
        }
        wb.save_to_buffer().unwrap()
    };
    let before = srv.vintages();
    let send = |bytes: &[u8]| {
        let mut s = TcpStream::connect(&srv.addr).unwrap();
        let head = format!(
            "POST /api/v1/submissions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {rep}\r\nX-File-Name: ../../bao-cao thang 10.xlsx\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            bytes.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(bytes).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    };
    let out = send(&book(true));
    assert!(out.starts_with("HTTP/1.1 422"), "{out}");
    assert!(
        out.contains("bao-cao thang 10.xlsx"),
        "the file named, its path dropped: {out}"
    );
    assert!(out.contains("D3"), "the cell located: {out}");
    assert!(!out.contains(".."), "{out}");
    assert_eq!(srv.vintages(), before, "nothing written");
    let out = send(&book(false));
    assert!(out.starts_with("HTTP/1.1 201"), "{out}");
    assert_eq!(srv.vintages(), before + 2);
}

#[cfg(unix)]
#[test]
fn shutdown_finishes_the_write_in_flight() {
    let mut srv = Server::start(&[]);
    let analyst = srv.account("phantich", "analyst", &[]);
    let before = srv.vintages();
    // a large submission, and SIGTERM while it is being written
    let mut csv = String::from("indicator,area,period,value\n");
    let mut n = 0;
    let areas = solieu(
        &srv.data,
        &["areas", "--on", "2020-01-01", "--format", "csv"],
        None,
    );
    let codes: Vec<String> = areas
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next().map(str::to_string))
        .collect();
    assert!(codes.len() > 60, "{areas}");
    for area in &codes {
        for y in 1950..2020 {
            for m in 1..=12 {
                csv.push_str(&format!("IMPORTS,{area},{y}-{m:02},{}\n", 1000 + n % 977));
                n += 1;
            }
        }
    }
    let addr = srv.addr.clone();
    let body = csv.into_bytes();
    let sender = std::thread::spawn(move || {
        let mut s = TcpStream::connect(&addr).unwrap();
        let head = format!(
            "POST /api/v1/submissions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {analyst}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&body).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    });
    std::thread::sleep(std::time::Duration::from_millis(150));
    let pid = srv.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let out = sender.join().unwrap();
    eprintln!("{n} rows; answer: {}", out.lines().next().unwrap_or("none"));
    let status = srv.child.wait().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    // answered and written wholly, or not answered and not written at all
    let check = solieu(&srv.data, &["check"], None);
    assert!(check.starts_with("ok"), "{check}");
    let stored: u64 = check
        .split(", ")
        .find_map(|p| p.strip_suffix(" vintages"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{check}"));
    if out.starts_with("HTTP/1.1 201") {
        assert_eq!(stored, before + n as u64, "{out}");
    } else {
        assert_eq!(stored, before, "{out}");
    }
}

#[test]
fn a_catalogue_change_is_served_without_a_restart() {
    let srv = Server::start(&["--public", "all"]);
    let analyst = srv.account("phantich", "analyst", &[]);
    let cat = srv.data.parent().unwrap().join("cat.csv");
    std::fs::write(
        &cat,
        "code,name_vi,name_en,unit,time_aggregation,area_aggregation,decimals\nTOURISTS,Lượt khách du lịch,Tourist arrivals,nghìn lượt,flow,sum,1\n",
    )
    .unwrap();
    solieu(
        &srv.data,
        &["catalog", "import", cat.to_str().unwrap()],
        None,
    );
    std::thread::sleep(std::time::Duration::from_millis(250));
    let list = srv.csv("GET", "/api/v1/indicators", None, b"").json();
    assert!(list.to_string().contains("TOURISTS"), "{list}");
    let r = srv.csv(
        "POST",
        "/api/v1/submissions",
        Some(&analyst),
        b"indicator,area,period,value\nTOURISTS,79,2020-10,850.5\n",
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        srv.value(&analyst, "TOURISTS", "79", "2020-10"),
        Some(850.5)
    );
}

#[test]
fn sdmx_v1_structures_data_and_errors() {
    let srv = Server::start(&[]);
    let get = |path: &str, accept: &str| {
        let mut s = TcpStream::connect(&srv.addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        let status: u16 = out.split_whitespace().nth(1).unwrap().parse().unwrap();
        (status, out)
    };
    // structures: the flow with everything it references; trailing slash, encoded ids
    let (st, body) = get(
        "/sdmx/v1/dataflow/SOLIEU/DF_SOLIEU/latest/?references=all",
        "*/*",
    );
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("content-type: application/vnd.sdmx.structure+xml;version=2.1"));
    for part in [
        "<str:Dataflow id=\"DF_SOLIEU\"",
        "<str:Codelist id=\"CL_AREA\"",
        "<str:Code id=\"79@2025-07-01\">",
        "<str:ConceptScheme",
        "<str:DataStructure id=\"DSD_SOLIEU\"",
        "package=\"codelist\" class=\"Codelist\"",
    ] {
        assert!(body.contains(part), "{part}");
    }
    // a formula indicator: its formula annotated on its code, its figures an ordinary series
    assert!(
        body.contains("<str:Code id=\"BUDGET_REVENUE_GRDP\"><com:Annotations><com:Annotation><com:AnnotationType>SOLIEU_FORMULA</com:AnnotationType><com:AnnotationText xml:lang=\"en\">BUDGET_REVENUE / GRDP_CURRENT * 100</com:AnnotationText>"),
        "{body}"
    );
    let (st, body) = get(
        "/sdmx/v1/data/DF_SOLIEU/A.BUDGET_REVENUE_GRDP.79.VALUE?startPeriod=2020&endPeriod=2020",
        "application/vnd.sdmx.data+csv;version=1.0.0",
    );
    assert_eq!(st, 200, "{body}");
    let row = body
        .lines()
        .find(|l| l.contains(",BUDGET_REVENUE_GRDP,79,VALUE,"))
        .unwrap_or_else(|| panic!("{body}"));
    let cells: Vec<&str> = row.split(',').collect();
    let v: f64 = cells[cells.len() - 5].parse().unwrap();
    assert!((v - 25.9).abs() < 0.05, "{row}");
    let (st, body) = get("/sdmx/v1/codelist/SOLIEU/CL_FREQ", "*/*");
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("CL_FREQ") && !body.contains("CL_AREA"));
    // data: generic by default, CSV on request; the key with '+' (raw and percent-encoded)
    let (st, body) = get("/sdmx/v1/data/SOLIEU%2CDF_SOLIEU%2C1.0/M.RETAIL_GOODS%2BEXPORTS.79.VALUE?startPeriod=2020-10&endPeriod=2020-10", "*/*");
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("genericdata+xml;version=2.1"));
    assert!(body.contains("<gen:ObsValue value=\"72212.8\"/>"), "{body}");
    assert!(body.contains("value=\"EXPORTS\""));
    let (st, body) = get("/sdmx/v1/data/DF_SOLIEU/M.RETAIL_GOODS+EXPORTS.79.VALUE?startPeriod=2020-10&endPeriod=2020-10", "application/vnd.sdmx.data+csv;version=1.0.0");
    assert_eq!(st, 200, "{body}");
    assert!(
        body.contains(
            "SOLIEU:DF_SOLIEU(1.0),M,RETAIL_GOODS,79,VALUE,_T,_T,_T,_T,_T,_T,2020-10,72212.8,A,TY_DONG,0,0"
        ),
        "{body}"
    );
    let (st, body) = get(
        "/sdmx/v1/data/DF_SOLIEU/M.RETAIL_GOODS.79.VALUE?startPeriod=2020-10&endPeriod=2020-10",
        "application/vnd.sdmx.structurespecificdata+xml;version=2.1",
    );
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("structurespecificdata+xml;version=2.1"));
    assert!(
        body.contains("<Series FREQ=\"M\" INDICATOR=\"RETAIL_GOODS\" REF_AREA=\"79\" MEASURE=\"VALUE\" SECTOR=\"_T\" PRODUCT=\"_T\" MARKET=\"_T\" INDUSTRY=\"_T\" REVENUE_SOURCE=\"_T\" CPI_GROUP=\"_T\" UNIT_MEASURE=\"TY_DONG\"")
            && body.contains("<Obs TIME_PERIOD=\"2020-10\" OBS_VALUE=\"72212.8\" OBS_STATUS=\"A\"/>"),
        "{body}"
    );
    let (_, body) = get("/sdmx/v1/data/DF_SOLIEU/M.RETAIL_GOODS.79.YOY_PCT_YTD?startPeriod=2020-10&endPeriod=2020-10&detail=dataonly", "*/*");
    assert!(
        body.contains("<gen:ObsValue value=\"9.9\"/>") && !body.contains("OBS_STATUS"),
        "{body}"
    );
    // every vintage with includeHistory: GRDP 2019 published as +7,86 %, revised to +7,83 %
    let (st, body) = get(
        "/sdmx/v1/data/DF_SOLIEU/A.GRDP_CONST.79.YOY_PCT?includeHistory=true&startPeriod=2019&endPeriod=2019",
        "*/*",
    );
    assert_eq!(st, 200, "{body}");
    let first = body
        .find("<gen:ObsValue value=\"7.86\"/>")
        .expect("the first publication");
    let revised = body
        .find("<gen:ObsValue value=\"7.83\"/>")
        .expect("the revision");
    assert!(first < revised, "oldest first");
    assert_eq!(body.matches("<mes:DataSet ").count(), 2, "{body}");
    assert!(
        body.contains("validFromDate=\"2020-12-30T12:00:00+07:00\""),
        "{body}"
    );
    // a flat data set: every observation with its full key
    let (st, body) = get(
        "/sdmx/v1/data/DF_SOLIEU/M.RETAIL_GOODS.79.VALUE?startPeriod=2020-10&endPeriod=2020-10&dimensionAtObservation=AllDimensions",
        "*/*",
    );
    assert_eq!(st, 200, "{body}");
    assert!(
        body.contains("dimensionAtObservation=\"AllDimensions\"") && !body.contains("<gen:Series>"),
        "{body}"
    );
    assert!(body.contains("<gen:Value id=\"TIME_PERIOD\" value=\"2020-10\"/></gen:ObsKey><gen:ObsValue value=\"72212.8\"/>"), "{body}");
    // errors as the standard says
    let cases = [
        (
            "/sdmx/v1/data/DF_SOLIEU/M.NOPE.79.VALUE",
            "*/*",
            404,
            "code=\"100\"",
        ),
        ("/sdmx/v1/data/DF_OTHER", "*/*", 404, "code=\"100\""),
        (
            "/sdmx/v1/data/DF_SOLIEU/A.B.C.D.E.F.G.H.I.J.K",
            "*/*",
            400,
            "code=\"140\"",
        ),
        (
            "/sdmx/v1/data/DF_SOLIEU?startPeriod=2020-13",
            "*/*",
            400,
            "code=\"140\"",
        ),
        (
            "/sdmx/v1/data/DF_SOLIEU?lastNObservations=x",
            "*/*",
            400,
            "code=\"140\"",
        ),
        ("/sdmx/v1/data/DF_SOLIEU", "text/html", 406, "code=\"406\""),
        (
            "/sdmx/v1/data/DF_SOLIEU?includeHistory=true",
            "application/vnd.sdmx.data+csv;version=1.0.0",
            501,
            "code=\"501\"",
        ),
        (
            "/sdmx/v1/data/DF_SOLIEU?dimensionAtObservation=REF_AREA",
            "*/*",
            501,
            "code=\"501\"",
        ),
        ("/sdmx/v1/dataflow/OTHER", "*/*", 404, "code=\"100\""),
        ("/sdmx/v1/categoryscheme", "*/*", 404, "code=\"100\""),
        (
            "/sdmx/v1/dataflow?references=everything",
            "*/*",
            400,
            "code=\"140\"",
        ),
    ];
    // every `references` value of the official 2.1 document is accepted (a
    // kind of structure solieu has none of adds nothing)
    for r in [
        "namealiasscheme",
        "hierarchicalcodelist",
        "structureset",
        "process",
    ] {
        let (st, body) = get(
            &format!("/sdmx/v1/dataflow/SOLIEU/DF_SOLIEU/latest?references={r}"),
            "*/*",
        );
        assert_eq!(st, 200, "references={r}: {body}");
        assert!(body.contains("DF_SOLIEU"), "{body}");
    }
    for (path, accept, want, code) in cases {
        let (st, body) = get(path, accept);
        assert_eq!(st, want, "{path}: {body}");
        assert!(
            body.contains("<mes:Error") && body.contains(code),
            "{path}: {body}"
        );
    }
}

#[test]
fn sdmx_v2_json_structures_filters_as_of_and_204() {
    let srv = Server::start(&[]);
    let get = |path: &str, accept: &str, lang: &str| {
        let mut s = TcpStream::connect(&srv.addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\nAccept-Language: {lang}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        let status: u16 = out.split_whitespace().nth(1).unwrap().parse().unwrap();
        let (head, raw) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
        let body = if head.contains("transfer-encoding: chunked") {
            String::from_utf8_lossy(&dechunk(raw.as_bytes())).to_string()
        } else {
            raw.to_string()
        };
        (status, out.clone(), body)
    };
    let json = |body: &str| -> serde_json::Value {
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
    };
    const SJ: &str = "application/vnd.sdmx.structure+json;version=2.0.0";
    // structures in SDMX-JSON 2.0, as pysdmx asks: trailing slash, defaults left out
    let (st, head, body) = get("/sdmx/v2/structure/dataflow/", SJ, "vi");
    assert_eq!(st, 200, "{head}");
    assert!(head.contains(&format!("content-type: {SJ}")), "{head}");
    let v = json(&body);
    assert_eq!(v["data"]["dataflows"][0]["id"], "DF_SOLIEU");
    assert!(v["meta"]["schema"]
        .as_str()
        .unwrap()
        .contains("2.0.0/sdmx-json-structure-schema.json"));
    let (st, _, body) = get(
        "/sdmx/v2/structure/datastructure/SOLIEU/DSD_SOLIEU?detail=referencepartial&references=descendants",
        SJ,
        "vi",
    );
    assert_eq!(st, 200);
    let v = json(&body);
    let dims = &v["data"]["dataStructures"][0]["dataStructureComponents"]["dimensionList"];
    assert_eq!(dims["dimensions"][2]["id"], "REF_AREA");
    assert_eq!(dims["timeDimension"]["id"], "TIME_PERIOD");
    // the six of every data structure and one per breakdown (SECTOR, PRODUCT, MARKET, INDUSTRY, REVENUE_SOURCE, CPI_GROUP)
    assert_eq!(v["data"]["codelists"].as_array().unwrap().len(), 12);
    assert_eq!(dims["dimensions"][5]["id"], "PRODUCT");
    assert_eq!(v["data"]["conceptSchemes"][0]["id"], "CS_SOLIEU");
    // names in the language asked for, and in both
    let (_, head, body) = get(
        "/sdmx/v2/structure/codelist/SOLIEU/CL_FREQ/",
        SJ,
        "en-GB,en",
    );
    assert!(head.contains("content-language: en"), "{head}");
    let v = json(&body);
    assert_eq!(v["data"]["codelists"][0]["codes"][0]["name"], "Annual");
    assert_eq!(v["data"]["codelists"][0]["codes"][0]["names"]["vi"], "Năm");
    let (st, _, body) = get("/sdmx/v2/schema/dataflow/SOLIEU/DF_SOLIEU/1.0/", SJ, "vi");
    assert_eq!(st, 200);
    assert_eq!(json(&body)["data"]["dataStructures"][0]["id"], "DSD_SOLIEU");
    let (st, _, _) = get("/sdmx/v2/structure/valuelist/SOLIEU/CL_FREQ/", SJ, "vi");
    assert_eq!(
        st, 404,
        "no value lists: pysdmx's get_codes falls back on a 404"
    );
    // data: the key, c[] filters (percent-encoded as pysdmx sends them), SDMX-CSV 2.0
    let oct = "c%5BTIME_PERIOD%5D=ge%3A2020-10%2Ble%3A2020-10";
    let (st, head, body) = get(
        &format!("/sdmx/v2/data/dataflow/SOLIEU/DF_SOLIEU/%2B/M.RETAIL_GOODS.79.VALUE?{oct}"),
        "application/vnd.sdmx.data+csv;version=2.0.0",
        "vi",
    );
    assert_eq!(st, 200, "{head}");
    assert!(head.contains("data+csv;version=2.0.0"));
    assert_eq!(
        body,
        "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,INDICATOR,REF_AREA,MEASURE,SECTOR,PRODUCT,MARKET,INDUSTRY,REVENUE_SOURCE,CPI_GROUP,TIME_PERIOD,OBS_VALUE,OBS_STATUS,UNIT_MEASURE,UNIT_MULT,DECIMALS\n\
         dataflow,SOLIEU:DF_SOLIEU(1.0),I,M,RETAIL_GOODS,79,VALUE,_T,_T,_T,_T,_T,_T,2020-10,72212.8,A,TY_DONG,0,0\n"
    );
    // SDMX-JSON 2.0 data; several keys; a filter on the indicator
    let (st, _, body) = get(
        &format!("/sdmx/v2/data/dataflow/SOLIEU/DF_SOLIEU/~/M.RETAIL_GOODS.79.VALUE._T._T._T._T._T._T,M.EXPORTS.79.VALUE._T._T._T._T._T._T?{oct}"),
        "application/vnd.sdmx.data+json;version=2.0.0",
        "vi",
    );
    assert_eq!(st, 200);
    let v = json(&body);
    let inds = &v["data"]["structures"][0]["dimensions"]["series"][1]["values"];
    assert_eq!(inds.as_array().unwrap().len(), 2, "{inds}");
    let k = inds
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["id"] == "RETAIL_GOODS")
        .unwrap();
    // the key: a position per dimension, the six breakdowns at their total
    let series = &v["data"]["dataSets"][0]["series"][format!("0:{k}:0:0:0:0:0:0:0:0")];
    assert_eq!(series["observations"]["0"][0], "72212.8", "{series}");
    let (_, _, body) = get(
        &format!("/sdmx/v2/data/dataflow/SOLIEU/DF_SOLIEU/~/M..79.VALUE?{oct}&c%5BINDICATOR%5D=RETAIL_GOODS%2CEXPORTS&c%5BPRODUCT%5D=_T"),
        "application/vnd.sdmx.data+csv;version=2.0.0",
        "vi",
    );
    assert_eq!(body.lines().count(), 3, "{body}");
    let (_, _, body) = get(
        &format!("/sdmx/v2/data/dataflow/SOLIEU/DF_SOLIEU/~/M..79.VALUE?{oct}&c%5BOBS_VALUE%5D=gt%3A50000"),
        "application/vnd.sdmx.data+csv;version=2.0.0",
        "vi",
    );
    assert!(
        body.lines().count() >= 2 && body.lines().skip(1).all(|l| l.contains("RETAIL")),
        "{body}"
    );
    // asOf: GRDP 2019 was +7,86 % until revised to +7,83 % on 30/12/2020
    let grdp =
        "/sdmx/v2/data/dataflow/SOLIEU/DF_SOLIEU/~/A.GRDP_CONST.79.YOY_PCT?c%5BTIME_PERIOD%5D=2019";
    let csv2 = "application/vnd.sdmx.data+csv;version=2.0.0";
    let (_, _, body) = get(
        &format!("{grdp}&asOf=2020-06-01T00:00:00%2B07:00"),
        csv2,
        "vi",
    );
    assert!(body.contains(",2019,7.86,"), "{body}");
    let (_, _, body) = get(grdp, csv2, "vi");
    assert!(body.contains(",2019,7.83,"), "{body}");
    let (_, _, body) = get(
        &format!("{grdp}&includeHistory=true"),
        "application/vnd.sdmx.data+json;version=2.0.0",
        "vi",
    );
    let v = json(&body);
    assert_eq!(v["data"]["dataSets"].as_array().unwrap().len(), 2, "{body}");
    assert!(v["data"]["dataSets"][1]["validFrom"]
        .as_str()
        .unwrap()
        .starts_with("2020-12-30"));
    // nothing before the data existed: 204, as SDMX 3.0 says
    let (st, head, _) = get(&format!("{grdp}&asOf=2000-01-01"), csv2, "vi");
    assert_eq!(st, 204, "{head}");
    let (st, _, _) = get(
        "/sdmx/v2/data/dataflow/SOLIEU/DF_SOLIEU/~/*?c%5BTIME_PERIOD%5D=ge%3A2090",
        "*/*",
        "vi",
    );
    assert_eq!(st, 204);
    // */* is GenericData 2.1, which sdmx1 reads
    let (st, head, _) = get(grdp, "*/*", "vi");
    assert_eq!(st, 200);
    assert!(head.contains("genericdata+xml;version=2.1"), "{head}");
    // errors
    for (path, accept, want) in [
        (
            "/sdmx/v2/data/dataflow/SOLIEU/DF_SOLIEU/~/*?startPeriod=2020",
            "*/*",
            400,
        ),
        (
            "/sdmx/v2/data/dataflow/SOLIEU/DF_SOLIEU/~/*?sort=TIME_PERIOD",
            "*/*",
            501,
        ),
        (
            "/sdmx/v2/data/dataflow/SOLIEU/DF_SOLIEU/~/*?c%5BNOPE%5D=1",
            "*/*",
            400,
        ),
        (
            "/sdmx/v2/data/dataflow/SOLIEU/DF_SOLIEU/~/*?c%5BTIME_PERIOD%5D=ge%3Asoon",
            "*/*",
            400,
        ),
        (
            "/sdmx/v2/data/dataflow/SOLIEU/DF_SOLIEU/~/*",
            "text/html",
            406,
        ),
        ("/sdmx/v2/data/dataflow/SOLIEU/DF_OTHER/~/*", "*/*", 404),
        (
            "/sdmx/v2/data/dataflow/SOLIEU/DF_SOLIEU/~/*?includeHistory=true",
            csv2,
            501,
        ),
        (
            "/sdmx/v2/structure/dataflow/SOLIEU/DF_SOLIEU/~?references=everything",
            SJ,
            400,
        ),
        (
            "/sdmx/v2/structure/dataflow",
            "application/vnd.sdmx.structure+xml;version=3.0.0",
            406,
        ),
        (
            "/sdmx/v2/availability/dataflow/SOLIEU/DF_SOLIEU/~/*",
            "*/*",
            501,
        ),
    ] {
        let (st, head, _) = get(path, accept, "vi");
        assert_eq!(st, want, "{path}: {head}");
    }
}

#[test]
fn slow_loris_clients_are_cut_off_and_others_still_served() {
    let srv = Server::start(&["--header-timeout", "1"]);
    // many connections that dribble a request head and never finish it
    let mut slow: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut s = TcpStream::connect(&srv.addr).unwrap();
            s.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    // the server still answers a normal client at once
    let r = srv.json("GET", "/api/v1/health", Auth::None, &Value::Null);
    assert_eq!(r.status, 200);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    // and has closed the slow ones: a read sees the end (or an error), not a hang
    for s in &mut slow {
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut buf = [0u8; 512];
        match s.read(&mut buf) {
            Ok(n) => assert!(
                n == 0 || String::from_utf8_lossy(&buf[..n]).contains("408"),
                "{}",
                String::from_utf8_lossy(&buf[..n])
            ),
            Err(e) => assert!(
                !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
                "a slow-loris connection is still open: {e}"
            ),
        }
    }
}

#[test]
fn a_pull_from_a_second_server_then_an_incremental_pull_brings_the_changed_figures() {
    let remote = Server::start(&[]);
    let admin = remote.account("quantri", "admin", &[]);
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("local");
    solieu(&local, &["init"], None);
    let url = format!("http://{}/sdmx/v1", remote.addr);
    let key = "M.RETAIL_GOODS.79.VALUE......";
    let pull = |extra: &[&str]| -> (bool, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_solieu"))
            .arg("--data")
            .arg(&local)
            .args(["pull", "--url", &url, "--flow", "SOLIEU,DF_SOLIEU,1.0"])
            .args(["--key", key, "--token", &admin])
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let count = |data: &Path| -> usize {
        solieu(
            data,
            &[
                "query",
                "--format",
                "csv",
                "--indicator",
                "RETAIL_GOODS",
                "--area",
                "79",
                "--measure",
                "value",
            ],
            None,
        )
        .lines()
        .filter(|l| l.starts_with("RETAIL_GOODS,79,"))
        .count()
    };
    // the first pull: every monthly figure of the series, as the remote has it
    let (ok, said, err) = pull(&[]);
    assert!(ok, "{said}{err}");
    assert!(said.contains("pull (every figure)"), "{said}");
    assert!(err.contains("structure SOLIEU:DSD_SOLIEU(1.0)"), "{err}");
    let n = count(&local);
    assert!(n > 30, "{n}");
    let value = |data: &Path| {
        solieu(
            data,
            &[
                "query",
                "--format",
                "csv",
                "--indicator",
                "RETAIL_GOODS",
                "--area",
                "79",
                "--period",
                "2020-10",
                "--measure",
                "value",
            ],
            None,
        )
    };
    assert_eq!(
        value(&local).lines().nth(1).unwrap().split(',').nth(4),
        value(&remote.data)
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .nth(4)
    );
    // a revision on the remote; the next pull asks only for what changed
    // since the last one and brings that one new vintage
    let r = remote.csv(
        "POST",
        "/api/v1/submissions",
        Some(&admin),
        b"indicator,area,period,value\nRETAIL_GOODS,79,2020-10,80123.4\n",
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let (ok, said, err) = pull(&[]);
    assert!(ok, "{said}{err}");
    assert!(said.contains("figures updated after"), "{said}");
    assert!(said.contains("1 new vintages (1 revisions)"), "{said}");
    assert!(value(&local).contains(",80123.4,"), "{}", value(&local));
    assert_eq!(count(&local), n);
    // the pulls are in the audit log, with what they asked
    let log = solieu(&local, &["audit"], None);
    assert_eq!(log.matches("pull.ok").count(), 2, "{log}");
    // a remote that is not an SDMX endpoint, or not there: refused, said, audited, nothing written
    let before = solieu(&local, &["check"], None);
    for bad in [
        format!("http://{}/nothing", remote.addr),
        "http://127.0.0.1:9".to_string(),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_solieu"))
            .arg("--data")
            .arg(&local)
            .args([
                "pull",
                "--url",
                &bad,
                "--flow",
                "SOLIEU,DF_SOLIEU,1.0",
                "--timeout",
                "5",
            ])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("pull failed:"), "{err}");
    }
    assert_eq!(solieu(&local, &["check"], None), before);
    assert_eq!(
        solieu(&local, &["audit"], None)
            .matches("pull.failed")
            .count(),
        2
    );
}

/// Types numbers into the empty input cells of a workbook solieu wrote:
/// `values` maps a cell reference (`F9`) to a number, as a person filling
/// the form would.
fn fill_cells(xlsx: &[u8], values: &[(&str, f64)]) -> Vec<u8> {
    use std::io::{Cursor, Read, Write};
    let mut zin = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut content = Vec::new();
        f.read_to_end(&mut content).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let mut text = String::from_utf8(content).unwrap();
            for (cell, v) in values {
                let at = text
                    .find(&format!("<c r=\"{cell}\" "))
                    .unwrap_or_else(|| panic!("no cell {cell}"));
                let end = at + text[at..].find("/>").unwrap();
                let open = &text[at..end];
                let filled = format!("{open}><v>{v}</v></c>");
                text.replace_range(at..end + 2, &filled);
            }
            content = text.into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&content).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn a_units_form_template_filled_in_imports_back_with_no_option() {
    let srv = Server::start(&[]);
    let admin = srv.account("quantri", "admin", &[]);
    let other = srv.account("baocao75", "reporter", &["--area", "75"]);
    let r = srv.json(
        "PUT",
        "/api/v1/forms/BC_THANG",
        Auth::Token(&admin),
        &serde_json::json!({
            "name": "Báo cáo tháng của Sở Công Thương",
            "frequency": "month",
            "indicators": ["RETAIL_GOODS", "EXPORTS", "IIP"],
            "units": ["79", "75"]
        }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // the API: a workbook for staff and the unit's reporters, not for another unit's
    let path = "/api/v1/forms/BC_THANG/template?unit=79&period=2020-11";
    let r = srv.request("GET", path, Auth::Token(&admin), "", b"");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r
        .header("content-disposition")
        .unwrap()
        .contains("BC_THANG_79_2020-11.xlsx"));
    assert!(r.body.starts_with("PK"));
    let r = srv.request("GET", path, Auth::Token(&other), "", b"");
    assert_eq!(r.status, 403, "{}", r.body);
    // the command line writes the same form
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("form.xlsx");
    solieu(
        &srv.data,
        &[
            "form",
            "template",
            "BC_THANG",
            "--unit",
            "79",
            "--period",
            "2020-11",
            "-o",
            file.to_str().unwrap(),
        ],
        None,
    );
    let bytes = std::fs::read(&file).unwrap();
    // last year's figures are there for reference, and only for reference
    let local = dir.path().join("local");
    solieu(&local, &["init"], None);
    let out = Command::new(env!("CARGO_BIN_EXE_solieu"))
        .arg("--data")
        .arg(&local)
        .args(["import", file.to_str().unwrap(), "--dry-run"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "an empty form is not a report: {err}"
    );
    assert!(err.contains("no observations"), "{err}");
    // filled in as the unit would (rows 9-11, in the catalogue's order: IIP,
    // RETAIL_GOODS, EXPORTS),
    // it imports with no option: the area from the issuing body, the period
    // from the title and headers, the indicators from the code column
    let filled = dir.path().join("filled.xlsx");
    std::fs::write(
        &filled,
        fill_cells(
            &bytes,
            &[
                ("F9", 103.4),
                ("I9", 100.2),
                ("F10", 73500.5),
                ("H10", 760012.3),
                ("I10", 108.2),
                ("F11", 3950.0),
                ("H11", 40650.0),
            ],
        ),
    )
    .unwrap();
    let said = solieu(&local, &["import", filled.to_str().unwrap()], None);
    assert!(said.contains("7 observations"), "{said}");
    let rows = solieu(
        &local,
        &[
            "query",
            "--format",
            "csv",
            "--indicator",
            "RETAIL_GOODS,EXPORTS,IIP",
            "--area",
            "79",
        ],
        None,
    );
    for want in [
        "RETAIL_GOODS,79,2020-11,level,73500.5,E",
        "RETAIL_GOODS,79,2020-01/2020-11,level,760012.3,E",
        "RETAIL_GOODS,79,2020-11,yoy_pct,8.2,E",
        "EXPORTS,79,2020-01/2020-11,level,40650,E",
        "IIP,79,2020-11,level,103.4,E",
        "IIP,79,2020-11,yoy_pct,0.2,E",
    ] {
        assert!(rows.contains(want), "{want}: {rows}");
    }
    assert!(
        !rows.contains("2019-"),
        "reference figures imported: {rows}"
    );
}

#[test]
fn sdmx_availability_says_which_codes_have_data() {
    let srv = Server::start(&[]);
    let get = |path: &str, accept: &str| raw_get(&srv.addr, &format!("/sdmx/v1{path}"), accept);
    // exact: the product groups with data for HCMC's exports, and the time range
    let (st, body) = get(
        "/availableconstraint/DF_SOLIEU/M.EXPORTS.79.VALUE/all/all",
        "*/*",
    );
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("content-type: application/vnd.sdmx.structure+xml;version=2.1"));
    for part in [
        "<str:ContentConstraint id=\"CC_DF_SOLIEU_AVAILABLE\"",
        "type=\"Actual\"",
        "<com:KeyValue id=\"PRODUCT\"><com:Value>BAGS</com:Value>",
        "<com:Value>ELECTRONICS</com:Value>",
        "<com:KeyValue id=\"REF_AREA\"><com:Value>79</com:Value></com:KeyValue>",
        "<com:StartPeriod isInclusive=\"true\">2018-01</com:StartPeriod>",
    ] {
        assert!(body.contains(part), "{part}: {body}");
    }
    // available: with ELECTRONICS chosen, the other product groups are still
    // offered (only the other dimensions narrow a dimension's choices)
    let (st, body) = get(
        "/availableconstraint/DF_SOLIEU/M.EXPORTS.79.VALUE._T.ELECTRONICS/all/PRODUCT?mode=available",
        "application/vnd.sdmx.structure+xml;version=2.1",
    );
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("<com:Value>RICE</com:Value>"), "{body}");
    assert!(!body.contains("id=\"REF_AREA\""), "{body}");
    let (_, exact) = get(
        "/availableconstraint/DF_SOLIEU/M.EXPORTS.79.VALUE._T.ELECTRONICS/all/PRODUCT",
        "*/*",
    );
    assert!(!exact.contains("<com:Value>RICE</com:Value>"), "{exact}");
    // nothing there, an unknown dimension, a bad mode, JSON asked
    for (path, accept, want) in [
        (
            "/availableconstraint/DF_SOLIEU/M.NOPE.79/all/all",
            "*/*",
            404,
        ),
        ("/availableconstraint/DF_SOLIEU/all/all/COLOUR", "*/*", 404),
        (
            "/availableconstraint/DF_SOLIEU/all/all/all?mode=some",
            "*/*",
            400,
        ),
        ("/availableconstraint/DF_OTHER/all/all/all", "*/*", 404),
        (
            "/availableconstraint/DF_SOLIEU/all/all/all",
            "application/vnd.sdmx.structure+json;version=2.0.0",
            406,
        ),
    ] {
        let (st, body) = get(path, accept);
        assert_eq!(st, want, "{path}: {body}");
    }
}

#[test]
fn an_sdmx_json_data_message_imports_back_as_it_was_served() {
    let srv = Server::start(&[]);
    let get = |accept: &str| {
        let mut s = TcpStream::connect(&srv.addr).unwrap();
        write!(
            s,
            "GET /sdmx/v1/data/DF_SOLIEU/M.EXPORTS.79.VALUE?startPeriod=2020-08&endPeriod=2020-10 HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let at = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&out[..at]).to_ascii_lowercase();
        if head.contains("transfer-encoding: chunked") {
            dechunk(&out[at + 4..])
        } else {
            out[at + 4..].to_vec()
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("exports.json");
    std::fs::write(&json, get("application/vnd.sdmx.data+json;version=2.0.0")).unwrap();
    let xml = dir.path().join("exports.xml");
    std::fs::write(
        &xml,
        get("application/vnd.sdmx.structurespecificdata+xml;version=2.1"),
    )
    .unwrap();
    // the same query as SDMX-JSON 2.0 and as SDMX-ML: the same figures, with
    // every product group's code (not the total)
    let mut read = vec![];
    for (name, file) in [("json", &json), ("xml", &xml)] {
        let data = dir.path().join(name);
        solieu(&data, &["init"], None);
        let said = solieu(&data, &["import", file.to_str().unwrap()], None);
        assert!(said.contains("new vintages"), "{said}");
        let out = dir.path().join(format!("{name}.csv"));
        solieu(
            &data,
            &[
                "export",
                "--format",
                "csv",
                "--indicator",
                "EXPORTS",
                "-o",
                out.to_str().unwrap(),
            ],
            None,
        );
        read.push(std::fs::read_to_string(&out).unwrap());
    }
    let rows = |t: &str| -> Vec<String> {
        let mut r: Vec<String> = t
            .lines()
            .skip(1)
            .map(|l| l.split(',').take(5).collect::<Vec<_>>().join(","))
            .collect();
        r.sort();
        r
    };
    assert_eq!(rows(&read[0]), rows(&read[1]));
    assert!(read[0].contains("ELECTRONICS"), "{}", read[0]);
    assert!(rows(&read[0]).len() > 30, "{}", read[0]);
}

#[test]
fn a_total_that_disagrees_with_parts_stored_earlier_is_flagged_on_the_next_write() {
    let srv = Server::start(&[]);
    let admin = srv.account("quantri", "admin", &[]);
    // the sector parts of HCMC's exports in November 2026, one submission…
    let r = srv.csv(
        "POST",
        "/api/v1/submissions",
        Some(&admin),
        b"indicator,area,period,value,SECTOR\nEXPORTS,79,2026-09,1200,DOMESTIC\nEXPORTS,79,2026-09,2600,FDI\n",
    );
    assert_eq!(r.status, 201, "{}", r.body);
    // …and a total in another that does not add up: accepted (the parts may
    // be the ones to correct), and flagged with both numbers
    let r = srv.csv(
        "POST",
        "/api/v1/submissions",
        Some(&admin),
        b"indicator,area,period,value\nEXPORTS,79,2026-09,4100\n",
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    let flagged: Vec<&Value> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["rule"] == "builtin.flow_consistency")
        .collect();
    assert!(
        flagged.iter().any(|x| x["message"]
            .as_str()
            .unwrap()
            .contains("reported 4100 but 3800 computed")),
        "{}",
        r.body
    );
}

#[test]
fn sdmx_v2_data_pages_with_offset_and_limit() {
    let srv = Server::start(&[]);
    let get = |query: &str| {
        raw_get(
            &srv.addr,
            &format!("/sdmx/v2/data/dataflow/SOLIEU/DF_SOLIEU/~/M.EXPORTS.79.VALUE._T._T._T._T._T._T{query}"),
            "application/vnd.sdmx.data+csv;version=2.0.0",
        )
    };
    let rows = |body: &str| -> Vec<String> {
        body.lines()
            .filter(|l| l.contains("dataflow,SOLIEU:DF_SOLIEU"))
            .map(|l| l.split(',').nth(13).unwrap().to_string())
            .collect()
    };
    let (st, all) = get("");
    assert_eq!(st, 200);
    let every = rows(&all);
    let (st, page) = get("?offset=2&limit=3");
    assert_eq!(st, 200, "{page}");
    assert_eq!(rows(&page), every[2..5].to_vec());
    assert!(
        page.contains(&format!("content-range: values 2-4/{}", every.len())),
        "{page}"
    );
    // past the end: nothing (204); a limit of 0, a negative offset: 400
    assert_eq!(get(&format!("?offset={}", every.len())).0, 204);
    assert_eq!(get("?limit=0").0, 400);
    assert_eq!(get("?offset=-1").0, 400);
}

#[test]
fn the_admin_page_lists_the_pulls_and_why_one_failed() {
    let srv = Server::start(&[]);
    let admin = srv.account("quantri", "admin", &[]);
    let viewer = srv.account("xem", "viewer", &[]);
    // a pull to a host that is not there, recorded in this store
    let out = Command::new(env!("CARGO_BIN_EXE_solieu"))
        .arg("--data")
        .arg(&srv.data)
        .args([
            "pull",
            "--url",
            "http://127.0.0.1:9/sdmx/v1",
            "--flow",
            "IMF,ECOFIN_DSD,1.0",
            "--timeout",
            "5",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let r = srv.request("GET", "/admin", Auth::Token(&admin), "", b"");
    assert_eq!(r.status, 200, "{}", r.body);
    for part in [
        "Các lần kéo số liệu",
        "Thất bại",
        "127.0.0.1:9",
        "IMF,ECOFIN_DSD,1.0 all",
        "cannot reach",
    ] {
        assert!(r.body.contains(part), "{part}: {}", r.body);
    }
    let r = srv.request("GET", "/admin", Auth::Token(&viewer), "", b"");
    assert_eq!(r.status, 403, "{}", r.body);
}

#[test]
fn the_overview_says_where_the_five_year_plan_stands() {
    let srv = Server::start(&["--public", "all"]);
    let analyst = srv.account("phantich", "analyst", &[]);
    // HCMC's GRDP growth of 2016–2018 (test input; the demo holds 2019 and
    // 2020) and the plan's target of average annual growth for 2016–2020
    let body = "indicator,area,period,measure,value\n\
        GRDP_CONST,79,2016,yoy_pct,8.05\nGRDP_CONST,79,2017,yoy_pct,8.25\n\
        GRDP_CONST,79,2018,yoy_pct,8.3\nGRDP_CONST,79,2016/2020,plan_yoy_pct,8.5\n";
    let r = srv.csv(
        "POST",
        "/api/v1/submissions",
        Some(&analyst),
        body.as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let page = srv.csv("GET", "/overview?area=79&period=2020-10", None, b"");
    assert_eq!(page.status, 200);
    // (8.05, 8.25, 8.3 and the demo's latest 2019 figure, 7.83: 8.11 % a year)
    assert!(
        page.body.contains(
            "<p class=\"five-year below-target\">Bình quân 2016–2019: Tổng sản phẩm trên địa bàn (GRDP) theo giá so sánh 2010 tăng 8,11%&#x2f;năm; kế hoạch giai đoạn 2016–2020: tăng 8,5%&#x2f;năm — <strong>thấp hơn mục tiêu</strong>"
        ),
        "{}",
        page.body
    );
}

#[test]
fn the_report_ends_with_the_key_tasks_of_the_coming_month() {
    let srv = Server::start(&[]);
    let admin = srv.account("quantri", "admin", &[]);
    for (title, unit, deadline) in [
        ("Đẩy nhanh giải ngân vốn đầu tư công", "79", "2020-11-20"),
        ("Hoàn thành đề án chuyển đổi số", "79", "2020-10-15"),
        (
            "Rà soát các dự án chậm tiến độ",
            "Sở Tài chính",
            "2020-11-30",
        ),
        ("Việc của tỉnh khác", "75", "2020-11-10"),
        ("Việc của năm sau", "79", "2021-03-31"),
    ] {
        let r = srv.json(
            "POST",
            "/api/v1/tasks",
            Auth::Token(&admin),
            &json!({"title": title, "document": "Kết luận 12/KL-UBND", "unit": unit, "deadline": deadline}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = srv.csv(
        "GET",
        "/api/v1/report?area=79&period=2020-10&format=md",
        Some(&admin),
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let tasks: Vec<&str> = r
        .body
        .lines()
        .skip_while(|l| !l.starts_with("## ") || !l.contains("NHIỆM VỤ TRỌNG TÂM THÁNG 11/2020"))
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(
        tasks,
        [
            "1. Hoàn thành đề án chuyển đổi số — Thành phố Hồ Chí Minh; hạn 15/10/2020 (**quá hạn**) (Kết luận 12/KL-UBND).",
            "2. Đẩy nhanh giải ngân vốn đầu tư công — Thành phố Hồ Chí Minh; hạn 20/11/2020 (Kết luận 12/KL-UBND).",
            "3. Rà soát các dự án chậm tiến độ — Sở Tài chính; hạn 30/11/2020 (Kết luận 12/KL-UBND).",
        ],
        "{}",
        r.body
    );
}
