//! What every `Store` promises, checked against a naive model: append-only
//! vintages, unchanged values add nothing, as-of reads return exactly what
//! was known, and a refused batch writes nothing.

use proptest::prelude::*;
use solieu_model::{Measure, Observation, Period, Status};
use solieu_store::{ImportBatch, ObsQuery, SqliteStore, Store, StoreError};

const AREAS: [&str; 3] = ["79", "75", "769@2021-01-01"];
const INDICATORS: [&str; 2] = ["RETAIL_GOODS", "EXPORTS"];

fn obs(key: u8, value: i32, final_: bool) -> Observation {
    Observation {
        indicator: INDICATORS[usize::from(key % 2)].into(),
        area: AREAS[usize::from(key / 2 % 3)].into(),
        period: Period::Month(2021, 1 + key / 6 % 3),
        measure: Measure::Level,
        dims: String::new(),
        value: f64::from(value) / 10.0,
        status: if final_ {
            Status::Final
        } else {
            Status::Estimate
        },
        source: "test".into(),
        note: String::new(),
    }
}

type Model = Vec<(i64, Observation)>; // every vintage, in recording order

fn naive_as_of(model: &Model, t: i64) -> Vec<(String, String, Period, f64, Status)> {
    let mut latest: std::collections::BTreeMap<(String, String, Period), (f64, Status)> =
        Default::default();
    for (at, o) in model {
        if *at <= t {
            latest.insert(
                (o.indicator.clone(), o.area.clone(), o.period),
                (o.value, o.status),
            );
        }
    }
    latest
        .into_iter()
        .map(|((i, a, p), (v, s))| (i, a, p, v, s))
        .collect()
}

fn read(store: &SqliteStore, t: Option<i64>) -> Vec<(String, String, Period, f64, Status)> {
    let mut v: Vec<_> = store
        .observations(&ObsQuery {
            as_of: t,
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|v| {
            (
                v.obs.indicator,
                v.obs.area,
                v.obs.period,
                v.obs.value,
                v.obs.status,
            )
        })
        .collect();
    v.sort_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn vintages_and_as_of_match_a_naive_replay(
        batches in prop::collection::vec(prop::collection::btree_map(0u8..18, (0i32..4, any::<bool>()), 1..8), 1..8),
        probes in prop::collection::vec(0i64..100, 1..6),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::create(dir.path()).unwrap();
        let mut model: Model = vec![];
        for (b, batch) in batches.iter().enumerate() {
            let t = (b as i64 + 1) * 10;
            let observations: Vec<Observation> = batch.iter().map(|(k, (v, f))| obs(*k, *v, *f)).collect();
            let mut expected_new = 0;
            for o in &observations {
                let last = model.iter().rev().find(|(_, m)| m.indicator == o.indicator && m.area == o.area && m.period == o.period);
                if last.is_none_or(|(_, m)| m.value != o.value || m.status != o.status) {
                    model.push((t, o.clone()));
                    expected_new += 1;
                }
            }
            let s = store
                .commit_import(&ImportBatch { observations, submitter: "t".into(), recorded_at: Some(t), ..Default::default() }, &mut |_| {})
                .unwrap();
            prop_assert_eq!(s.new_vintages, expected_new);
        }
        let probes_first = probes.first().copied();
        for p in probes {
            prop_assert_eq!(read(&store, Some(p)), naive_as_of(&model, p));
        }
        prop_assert_eq!(read(&store, None), naive_as_of(&model, i64::MAX));
        let history = store.history(&ObsQuery::default()).unwrap();
        prop_assert_eq!(history.len(), model.len());
        // the streamed reads give the same rows in the same order
        for (history, as_of) in [(false, None), (false, probes_first), (true, None)] {
            let q = ObsQuery { as_of, ..Default::default() };
            let whole = if history { store.history(&q).unwrap() } else { store.observations(&q).unwrap() };
            let mut streamed = vec![];
            let n = store.each_observation(&q, history, &mut |v| { streamed.push(v); Ok(()) }).unwrap();
            prop_assert_eq!(n, whole.len());
            prop_assert_eq!(streamed, whole);
        }
        store.check().unwrap();
    }
}

#[test]
fn a_refused_batch_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::create(dir.path()).unwrap();
    let first = ImportBatch {
        observations: vec![obs(0, 1, false)],
        submitter: "t".into(),
        recorded_at: Some(100),
        ..Default::default()
    };
    store.commit_import(&first, &mut |_| {}).unwrap();
    let before = store.stats().unwrap();
    // a new key, then a revision dated before the stored vintage: the whole batch is refused
    let bad = ImportBatch {
        observations: vec![obs(1, 5, false), obs(0, 2, false)],
        submitter: "t".into(),
        recorded_at: Some(50),
        ..Default::default()
    };
    let err = store.commit_import(&bad, &mut |_| {}).unwrap_err();
    assert!(matches!(err, StoreError::Refused(_)), "{err}");
    let after = store.stats().unwrap();
    assert_eq!(
        (before.vintages, before.series, before.imports),
        (after.vintages, after.series, after.imports)
    );
    store.check().unwrap();
}

#[test]
fn vintages_cannot_be_updated_or_deleted_even_with_sql() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::create(dir.path()).unwrap();
    let b = ImportBatch {
        observations: vec![obs(0, 1, false)],
        submitter: "t".into(),
        ..Default::default()
    };
    store.commit_import(&b, &mut |_| {}).unwrap();
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    assert!(conn.execute("UPDATE vintage SET value = 0", []).is_err());
    assert!(conn.execute("DELETE FROM vintage", []).is_err());
}

#[test]
fn reopening_a_store_keeps_everything_and_migrations_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = SqliteStore::create(dir.path()).unwrap();
        let b = ImportBatch {
            observations: vec![obs(3, 7, true)],
            submitter: "t".into(),
            ..Default::default()
        };
        store.commit_import(&b, &mut |_| {}).unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.stats().unwrap().vintages, 1);
    assert_eq!(
        store.areas().unwrap().all().len(),
        solieu_model::reference::areas().all().len()
    );
    // a store from a newer solieu is refused, not misread
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    conn.execute(
        "INSERT INTO schema_migrations VALUES (999, 'future', 'x', 0)",
        [],
    )
    .unwrap();
    drop(store);
    let err = SqliteStore::open(dir.path()).err().expect("refused");
    assert!(err.to_string().contains("upgrade solieu"), "{err}");
    // no store at all: a clear message
    let err = SqliteStore::open(&dir.path().join("nothing"))
        .err()
        .expect("refused");
    assert!(err.to_string().contains("solieu init"), "{err}");
}
