//! PostgreSQL restarted (an immediate, crash-like stop) under a stream of
//! submissions: every submission the node acknowledged is stored whole,
//! none is half-written, the refused ones answer 503, and the node
//! reconnects on its own and serves the latest figures again within a
//! second of the database's return. Needs `SOLIEU_TEST_DATABASE` and
//! `SOLIEU_TEST_PG_CLUSTER` (the cluster directory of `tests/pg/cluster.sh`,
//! which this test restarts; its own test binary, so no other test runs
//! against the cluster meanwhile).

mod pg;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use solieu_store::{Backend, ObsQuery, PgStore, Store};

/// Twelve months of one indicator, each value carrying the submission's number.
fn submission(n: u32) -> String {
    let mut body = String::from("indicator,area,period,value\n");
    for m in 1..=12 {
        body.push_str(&format!("EXPORTS,75,2019-{m:02},{}\n", n * 100 + m));
    }
    body
}

#[test]
fn postgres_restarted_under_load_loses_nothing_and_the_node_recovers() {
    let Some(db) = pg::database() else { return };
    let Ok(cluster) = std::env::var("SOLIEU_TEST_PG_CLUSTER") else {
        assert!(
            std::env::var("SOLIEU_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "SOLIEU_TEST_PG_CLUSTER is not set"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    pg::solieu(
        &[
            "--data",
            &dir.path().join("cli").to_string_lossy(),
            "--database",
            &db.url,
            "init",
        ],
        None,
    );
    let token = pg::analyst_token(&db.url);
    let node = Arc::new(pg::Node::start(&db.url, &dir.path().join("node")));
    let stop = Arc::new(AtomicBool::new(false));
    // two clients submitting as fast as answers come
    let writers: Vec<_> = (0..2u32)
        .map(|w| {
            let (node, stop, token) = (node.clone(), stop.clone(), token.clone());
            std::thread::spawn(move || {
                let mut answers = vec![];
                let mut n = w * 100_000;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let (status, body) =
                        node.http("POST", "/api/v1/submissions", Some(&token), &submission(n));
                    answers.push((n, status, body));
                }
                answers
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(800));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/pg/cluster.sh");
    let restarted = std::process::Command::new(script)
        .args(["restart", &cluster])
        .status()
        .unwrap();
    assert!(restarted.success());
    let back = Instant::now();
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::Relaxed);
    let answers: Vec<(u32, u16, String)> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();

    let accepted: Vec<u32> = answers.iter().filter(|a| a.1 == 201).map(|a| a.0).collect();
    let refused: Vec<&(u32, u16, String)> = answers.iter().filter(|a| a.1 != 201).collect();
    eprintln!(
        "{} submissions accepted, {} refused during the restart",
        accepted.len(),
        refused.len()
    );
    assert!(
        accepted.len() > 10,
        "too few submissions went through: {answers:?}"
    );
    for (n, status, body) in &refused {
        assert_eq!(
            *status, 503,
            "submission {n} answered {status}, not 503: {body}"
        );
        assert!(body.contains("\"unavailable\""), "{body}");
    }
    // the node took submissions again after the restart, on its own
    let last_accepted = answers.iter().rposition(|a| a.1 == 201).unwrap();
    let first_refused = answers.iter().position(|a| a.1 != 201);
    if let Some(f) = first_refused {
        assert!(last_accepted > f, "nothing was accepted after the restart");
    }

    // what the database holds: every import whole, every accepted submission there
    let store = PgStore::open(&db.url).unwrap();
    store.check().unwrap();
    let history = store
        .history(&ObsQuery {
            indicators: vec!["EXPORTS".into()],
            ..Default::default()
        })
        .unwrap();
    let mut months_of = std::collections::BTreeMap::<u32, usize>::new();
    for v in &history {
        *months_of.entry((v.obs.value as u32) / 100).or_default() += 1;
    }
    for n in &accepted {
        assert_eq!(
            months_of.get(n),
            Some(&12),
            "accepted submission {n} is not stored whole"
        );
    }
    assert!(
        months_of.values().all(|&m| m == 12),
        "a submission is half-written: {months_of:?}"
    );
    let stats = store.stats().unwrap();
    assert_eq!(
        stats.imports,
        months_of.len(),
        "one import per stored submission"
    );

    // the node serves the newest figure, and took it within a second of the database's return
    let newest = history.iter().max_by_key(|v| v.recorded_at).unwrap();
    let want = newest.obs.value;
    let period = newest.obs.period.to_string();
    let seen = Instant::now();
    while node.figure("EXPORTS", "75", &period) != Some(want) {
        assert!(
            seen.elapsed() < Duration::from_secs(1),
            "the node still serves an older figure"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "recovered: the newest figure served {} ms after the restart began",
        back.elapsed().as_millis()
    );
    let _: &dyn Backend = &store;
}
