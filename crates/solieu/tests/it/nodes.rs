//! Several solieu nodes on one PostgreSQL database, and stores moved between
//! backends with the real binary: a write through one node is in every
//! derived figure of the other within a second; `migrate` round-trips the
//! demo store SQLite → PostgreSQL → SQLite with identical checksums;
//! `backup` and `restore` on both backends. Needs `SOLIEU_TEST_DATABASE`
//! (see `tests/pg/mod.rs`).

use std::time::{Duration, Instant};

use crate::pg::{self, solieu, try_solieu, Node};

#[test]
fn a_write_through_one_node_is_in_the_figures_of_another_within_a_second() {
    let Some(db) = pg::database() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    solieu(
        &["--data", &data("cli"), "--database", &db.url, "demo"],
        None,
    );
    let token = pg::analyst_token(&db.url);
    let a = Node::start(&db.url, &dir.path().join("a"));
    let b = Node::start(&db.url, &dir.path().join("b"));
    assert_eq!(b.figure("RETAIL_GOODS", "79", "2020-10"), Some(72212.8));
    let mut delays = vec![];
    for value in [80001.5, 80002.5, 80003.5] {
        let body = format!("indicator,area,period,value\nRETAIL_GOODS,79,2020-10,{value}\n");
        let (status, answer) = a.http("POST", "/api/v1/submissions", Some(&token), &body);
        assert_eq!(status, 201, "{answer}");
        let accepted = Instant::now();
        loop {
            if b.figure("RETAIL_GOODS", "79", "2020-10") == Some(value) {
                delays.push(accepted.elapsed());
                break;
            }
            assert!(
                accepted.elapsed() < Duration::from_secs(1),
                "node b still serves the old figure a second after node a accepted {value}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    // and the other way round, through a derived figure (year to date)
    let (status, _) = b.http(
        "POST",
        "/api/v1/submissions",
        Some(&token),
        "indicator,area,period,value\nEXPORTS,79,2020-10,5000\n",
    );
    assert_eq!(status, 201);
    let accepted = Instant::now();
    while a.figure("EXPORTS", "79", "2020-10") != Some(5000.0) {
        assert!(
            accepted.elapsed() < Duration::from_secs(1),
            "node a did not see node b's write"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!("visible on the other node after {delays:?}");
    // a node started later builds its figures from the database
    let c = Node::start(&db.url, &dir.path().join("c"));
    assert_eq!(c.figure("RETAIL_GOODS", "79", "2020-10"), Some(80003.5));
}

fn checksum_of(out: &str) -> String {
    out.rsplit("sha256:").next().unwrap().trim().to_string()
}

#[test]
fn migrate_round_trips_the_demo_store_through_postgres_and_back_unchanged() {
    let Some(db) = pg::database() else { return };
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first").to_string_lossy().into_owned();
    let back = dir.path().join("back").to_string_lossy().into_owned();
    solieu(&["--data", &first, "demo"], None);
    solieu(
        &["--data", &first, "user", "add", "ana", "--role", "analyst"],
        Some(&format!("{}\n", pg::PASSWORD)),
    );
    solieu(&["--data", &first, "token", "create", "ana"], None);
    let there = solieu(&["--data", &first, "migrate", "--to", &db.url], None);
    assert!(there.contains("13575 vintages"), "{there}");
    // a non-empty target is refused without --force, and left as it is
    let (ok, _, err) = try_solieu(&["--data", &first, "migrate", "--to", &db.url], None);
    assert!(!ok && err.contains("--force"), "{err}");
    let again = solieu(
        &["--data", &first, "migrate", "--to", &db.url, "--force"],
        None,
    );
    let home = solieu(&["--database", &db.url, "migrate", "--to", &back], None);
    assert_eq!(checksum_of(&there), checksum_of(&home));
    assert_eq!(checksum_of(&again), checksum_of(&home));
    // the copies answer as the original: figures, accounts, the audit log
    for args in [
        &[
            "query",
            "--indicator",
            "RETAIL_GOODS,EXPORTS",
            "--area",
            "79",
            "--period",
            "2020-10",
            "--measure",
            "cumulative_yoy_pct",
            "--computed",
        ][..],
        &["query", "--history", "--indicator", "GRDP_CONST"][..],
        &["audit", "--limit", "100"][..],
        &["check"][..],
    ] {
        let want = solieu(&[&["--data", &first][..], args].concat(), None);
        let pg_side = solieu(&[&["--database", &db.url][..], args].concat(), None);
        let sqlite_side = solieu(&[&["--data", &back][..], args].concat(), None);
        assert_eq!(pg_side, want, "{args:?}");
        assert_eq!(sqlite_side, want, "{args:?}");
    }
    assert!(
        solieu(
            &[
                "--data",
                &first,
                "query",
                "--indicator",
                "GRDP_CONST",
                "--history"
            ],
            None
        )
        .lines()
        .count()
            > 2
    );
}

#[test]
fn backup_and_restore_on_both_backends_verified_by_checksum() {
    let Some(db) = pg::database() else { return };
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    solieu(&["--data", &p("d"), "--database", &db.url, "demo"], None);
    // the PostgreSQL store backed up while a node serves it
    let _node = Node::start(&db.url, &dir.path().join("node"));
    let pg_backup = solieu(
        &["--database", &db.url, "backup", "-o", &p("pg.backup")],
        None,
    );
    let (ok, _, err) = try_solieu(
        &["--database", &db.url, "backup", "-o", &p("pg.backup")],
        None,
    );
    assert!(!ok && err.contains("never overwrites"), "{err}");
    // restored into a new data directory, then that one backed up and restored over the database
    let restored = solieu(&["--data", &p("r"), "restore", &p("pg.backup")], None);
    assert_eq!(checksum_of(&pg_backup), checksum_of(&restored));
    solieu(&["--data", &p("r"), "check"], None);
    let sqlite_backup = solieu(
        &["--data", &p("r"), "backup", "-o", &p("sqlite.backup")],
        None,
    );
    let (ok, _, err) = try_solieu(
        &["--database", &db.url, "restore", &p("sqlite.backup")],
        None,
    );
    assert!(!ok && err.contains("--force"), "{err}");
    let over = solieu(
        &[
            "--database",
            &db.url,
            "restore",
            &p("sqlite.backup"),
            "--force",
        ],
        None,
    );
    assert_eq!(checksum_of(&sqlite_backup), checksum_of(&over));
    assert_eq!(checksum_of(&pg_backup), checksum_of(&over));
    // a backup is an ordinary store file
    let (ok, _, err) = try_solieu(&["--data", &p("r"), "restore", &p("nothing.backup")], None);
    assert!(!ok && err.contains("not a solieu store file"), "{err}");
}
