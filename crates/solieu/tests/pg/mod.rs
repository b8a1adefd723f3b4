//! What the PostgreSQL tests of the real binary share: a database of their
//! own in the test cluster (`SOLIEU_TEST_DATABASE`, the address of a
//! throw-away database whose server `.ci/run` starts), the binary, and a
//! small HTTP client.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

pub const PASSWORD: &str = "một mật khẩu đủ dài";

/// A database of the test's own, dropped at the end.
pub struct Db {
    pub url: String,
    admin: String,
    name: String,
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A new empty database, or `None` (the test is skipped) when no test
/// cluster is given outside CI; in CI (`SOLIEU_REQUIRE_TOOLS=1`) its absence fails.
pub fn database() -> Option<Db> {
    let admin = match std::env::var("SOLIEU_TEST_DATABASE") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            assert!(
                std::env::var("SOLIEU_REQUIRE_TOOLS").as_deref() != Ok("1"),
                "SOLIEU_TEST_DATABASE is not set"
            );
            eprintln!("skipped: SOLIEU_TEST_DATABASE is not set");
            return None;
        }
    };
    let name = format!(
        "solieu_it_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
    c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    Some(Db {
        url: format!("{base}/{name}"),
        admin,
        name,
    })
}

/// Runs the binary; its standard output, or a panic with its errors.
pub fn solieu(args: &[&str], stdin: Option<&str>) -> String {
    let out = try_solieu(args, stdin);
    assert!(out.0, "solieu {args:?}: {}", out.2);
    out.1
}

/// Runs the binary: (success, stdout, stderr).
pub fn try_solieu(args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_solieu"))
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
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An analyst's API token on the store at `url`.
pub fn analyst_token(url: &str) -> String {
    solieu(
        &["--database", url, "user", "add", "ana", "--role", "analyst"],
        Some(&format!("{PASSWORD}\n")),
    );
    solieu(&["--database", url, "token", "create", "ana"], None)
        .trim()
        .to_string()
}

/// A `solieu serve` node on the database, its data directory for its
/// snapshot only.
pub struct Node {
    child: Child,
    pub addr: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Node {
    pub fn start(url: &str, data: &Path) -> Node {
        let mut child = Command::new(env!("CARGO_BIN_EXE_solieu"))
            .arg("--data")
            .arg(data)
            .args([
                "--database",
                url,
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--public",
                "all",
                "--rate-limit",
                "0",
            ])
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
        Node { child, addr }
    }

    /// (status, body) of one request.
    pub fn http(&self, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
        let Ok(mut s) = TcpStream::connect(&self.addr) else {
            return (0, String::new());
        };
        let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{auth}Content-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        if s.write_all(req.as_bytes()).is_err() {
            return (0, String::new());
        }
        let mut resp = String::new();
        let _ = s.read_to_string(&mut resp);
        let status = resp
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = resp.split_once("\r\n\r\n").map_or("", |x| x.1);
        // chunked answers: good enough for the small JSON bodies read here
        (status, body.to_string())
    }

    /// The value of one derived figure as this node serves it.
    pub fn figure(&self, indicator: &str, area: &str, period: &str) -> Option<f64> {
        let (status, body) = self.http(
            "GET",
            &format!(
                "/api/v1/figures?indicator={indicator}&area={area}&period={period}&measure=value"
            ),
            None,
            "",
        );
        if status != 200 {
            return None;
        }
        let at = body.find("\"value\":")? + 8;
        body[at..].split([',', '}']).next()?.parse().ok()
    }
}
