//! What every `Store` promises, checked against a naive model on every
//! backend (SQLite, and PostgreSQL when a test database is given: see
//! `common`): append-only vintages, unchanged values add nothing, as-of reads
//! return exactly what was known, a refused batch writes nothing, concurrent
//! imports all land, and a store copied between backends is the same store.

mod common;

use proptest::prelude::*;
use solieu_model::{Measure, Observation, Period, Status};
use solieu_store::{Backend, ImportBatch, ObsQuery, SqliteStore, StoreError};

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

fn read(store: &dyn Backend, t: Option<i64>) -> Vec<(String, String, Period, f64, Status)> {
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
        for mut fresh in common::backends() {
        let store = &mut *fresh.store;
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
        for &p in &probes {
            prop_assert_eq!(read(store, Some(p)), naive_as_of(&model, p), "{}", fresh.kind());
        }
        prop_assert_eq!(read(store, None), naive_as_of(&model, i64::MAX));
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
        // the change log: every import in order, each with the vintages it wrote
        let mut seen = vec![];
        store.imports_since(0, &mut |summary, obs| {
            seen.push((summary.import_id, summary.recorded_at, summary.new_vintages, obs.len()));
            true
        }).unwrap();
        prop_assert_eq!(seen.len(), batches.len());
        prop_assert!(seen.iter().all(|s| s.2 == s.3));
        prop_assert_eq!(seen.iter().map(|s| s.3).sum::<usize>(), model.len());
        prop_assert!(seen.iter().enumerate().all(|(i, s)| s.1 == (i as i64 + 1) * 10));
        let mut later = vec![];
        store.imports_since(seen[0].0, &mut |summary, _| { later.push(summary.import_id); later.len() < 2 }).unwrap();
        prop_assert_eq!(later, seen.iter().skip(1).take(2).map(|s| s.0).collect::<Vec<_>>());
        store.check().unwrap();
        }
    }
}

#[test]
fn a_refused_batch_writes_nothing() {
    for mut fresh in common::backends() {
        let store = &mut *fresh.store;
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
}

#[test]
fn vintages_cannot_be_updated_or_deleted_even_with_sql() {
    for mut fresh in common::backends() {
        let b = ImportBatch {
            observations: vec![obs(0, 1, false)],
            submitter: "t".into(),
            ..Default::default()
        };
        fresh.store.commit_import(&b, &mut |_| {}).unwrap();
        let kind = fresh.kind();
        assert!(
            fresh.raw_sql("UPDATE vintage SET value = 0").is_err(),
            "{kind}"
        );
        assert!(fresh.raw_sql("DELETE FROM vintage").is_err(), "{kind}");
        assert!(
            fresh.raw_sql("UPDATE audit SET actor = 'x'").is_err(),
            "{kind}"
        );
        assert!(fresh.raw_sql("DELETE FROM audit").is_err(), "{kind}");
        assert_eq!(fresh.store.stats().unwrap().vintages, 1);
    }
}

#[test]
fn reopening_a_store_keeps_everything_and_migrations_are_checked() {
    for fresh in common::backends() {
        let kind = fresh.kind();
        let mut store = fresh.reopen();
        let b = ImportBatch {
            observations: vec![obs(3, 7, true)],
            submitter: "t".into(),
            ..Default::default()
        };
        store.commit_import(&b, &mut |_| {}).unwrap();
        drop(store);
        let store = fresh.reopen();
        assert_eq!(store.stats().unwrap().vintages, 1, "{kind}");
        assert_eq!(
            store.areas().unwrap().all().len(),
            solieu_model::reference::areas().all().len()
        );
        assert_eq!(
            store.indicators().unwrap(),
            solieu_model::reference::indicators()
        );
        // a store from a newer solieu is refused, not misread
        fresh
            .raw_sql("INSERT INTO schema_migrations VALUES (999, 'future', 'x', 0)")
            .unwrap();
        drop(store);
        let err = fresh.location.open().err().expect("refused");
        assert!(err.to_string().contains("upgrade solieu"), "{kind}: {err}");
    }
    // no store at all: a clear message
    let dir = tempfile::tempdir().unwrap();
    let err = SqliteStore::open(&dir.path().join("nothing"))
        .err()
        .expect("refused");
    assert!(err.to_string().contains("solieu init"), "{err}");
    if let Some(admin) = common::database() {
        let (_schema, url) = common::pg_schema(&admin);
        let err = solieu_store::PgStore::open(&url).err().expect("refused");
        assert!(err.to_string().contains("solieu init"), "{err}");
    }
}

#[test]
fn an_import_failing_midway_writes_nothing_and_keys_given_twice_are_refused() {
    for mut fresh in common::backends() {
        let kind = fresh.kind();
        let store = &mut *fresh.store;
        let before = store.stats().unwrap();
        let audit_before = store.audit(1000).unwrap().len();
        // the second chunk fails to read: the first chunk's rows go too
        let mut chunks = vec![
            Ok(vec![obs(0, 1, true), obs(1, 1, true)]),
            Err("row 9: bad".to_string()),
        ]
        .into_iter();
        let err = store
            .commit_stream(
                &ImportBatch {
                    submitter: "t".into(),
                    ..Default::default()
                },
                &mut || chunks.next().transpose(),
                &mut |_| {},
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::Refused(_)), "{kind}: {err}");
        // a key in two chunks of one import
        let mut chunks = vec![
            vec![obs(0, 1, true)],
            vec![obs(2, 1, true), obs(0, 2, true)],
        ]
        .into_iter();
        let err = store
            .commit_stream(
                &ImportBatch {
                    submitter: "t".into(),
                    ..Default::default()
                },
                &mut || Ok(chunks.next()),
                &mut |_| {},
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::Refused(_)), "{kind}: {err}");
        // and twice in one chunk
        let twice = ImportBatch {
            observations: vec![obs(4, 1, true), obs(4, 2, true)],
            submitter: "t".into(),
            ..Default::default()
        };
        let err = store.commit_import(&twice, &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("given twice"), "{kind}: {err}");
        // an area the store does not know
        let mut unknown = obs(0, 1, true);
        unknown.area = "99".into();
        let b = ImportBatch {
            observations: vec![unknown],
            submitter: "t".into(),
            ..Default::default()
        };
        assert!(store.commit_import(&b, &mut |_| {}).is_err(), "{kind}");
        let after = store.stats().unwrap();
        assert_eq!(
            (before.vintages, before.series, before.imports),
            (after.vintages, after.series, after.imports),
            "{kind}"
        );
        assert_eq!(
            store.audit(1000).unwrap().len(),
            audit_before,
            "{kind}: refusals leave no import entry"
        );
        store.check().unwrap();
        // what does land is audited
        let b = ImportBatch {
            observations: vec![obs(5, 3, true)],
            submitter: "t".into(),
            origin: "f.csv".into(),
            ..Default::default()
        };
        let s = store.commit_import(&b, &mut |_| {}).unwrap();
        let last = &store.audit(1).unwrap()[0];
        assert_eq!(
            (last.action.as_str(), last.actor.as_str()),
            ("import", "t"),
            "{kind}"
        );
        assert!(
            last.detail
                .contains(&format!("import {} from f.csv", s.import_id)),
            "{kind}: {}",
            last.detail
        );
    }
}

#[test]
fn concurrent_imports_from_several_connections_all_land_in_order() {
    for fresh in common::backends() {
        let kind = fresh.kind();
        let threads: Vec<_> = (0..4u8)
            .map(|n| {
                let mut store = fresh.reopen();
                std::thread::spawn(move || {
                    (0..5)
                        .map(|i| {
                            let b = ImportBatch {
                                observations: vec![obs(n * 4 + i % 4, i32::from(i) + 1, true)],
                                submitter: format!("w{n}"),
                                ..Default::default()
                            };
                            store.commit_import(&b, &mut |_| {}).unwrap().recorded_at
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut times: Vec<i64> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        let store = fresh.reopen();
        assert_eq!(store.stats().unwrap().imports, 20, "{kind}");
        // recording times are distinct: imports were one after another
        times.sort_unstable();
        times.dedup();
        assert_eq!(times.len(), 20, "{kind}");
        assert_eq!(
            store.history(&ObsQuery::default()).unwrap().len(),
            20,
            "{kind}"
        );
        store.check().unwrap();
    }
}

/// A store with something in every table.
fn filled(store: &mut dyn Backend) {
    use solieu_store::{Account, Actor, Form, Role, Rule, Severity, Task, TaskStatus, TaskUpdate};
    let who = Actor {
        name: "admin",
        origin: "cli",
    };
    for (t, v) in [(10, 1), (20, 2), (30, 3)] {
        let b = ImportBatch {
            observations: (0..18)
                .map(|k| obs(k, v + i32::from(k % 3), k % 2 == 0))
                .collect(),
            submitter: "tk".into(),
            origin: "f.csv".into(),
            sha256: "ab".into(),
            recorded_at: Some(t),
        };
        store.commit_import(&b, &mut |_| {}).unwrap();
    }
    let acc = Account {
        id: 0,
        name: "hcm".into(),
        role: Role::Reporter,
        areas: vec!["79".into()],
        indicators: vec!["EXPORTS".into()],
        password_hash: "$argon2id$x".into(),
    };
    let id = store.create_account(&acc, "admin").unwrap();
    let tok = store.create_token(id, "sha", "admin").unwrap();
    store.create_token(id, "sha2", "admin").unwrap();
    store.revoke_token(tok, who).unwrap();
    store.create_session(id, "s1", "c1", i64::MAX, who).unwrap();
    let form = Form {
        code: "BC".into(),
        name: "Báo cáo tháng".into(),
        frequency: solieu_model::Frequency::Month,
        deadline_day: 14,
        deadline_offset: 0,
        indicators: vec!["EXPORTS".into()],
        units: vec!["79".into()],
    };
    store.put_form(&form, who).unwrap();
    let mut r = store.round("BC", "79", Period::Month(2021, 1)).unwrap();
    r.status = solieu_store::RoundStatus::Submitted;
    r.draft = Some("{\"EXPORTS\": 1}".into());
    store.put_round(&r, "submit", who).unwrap();
    store
        .put_rule(
            &Rule {
                code: "R".into(),
                expression: "EXPORTS >= 0".into(),
                severity: Severity::Error,
                description: "đúng".into(),
                active: false,
            },
            who,
        )
        .unwrap();
    let task = Task {
        id: 0,
        title: "Giải ngân".into(),
        document: "KL 12".into(),
        document_date: None,
        unit: "79".into(),
        deadline: chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        status: TaskStatus::Open,
        progress: 0,
        indicators: vec![],
        created_by: String::new(),
        created_at: 0,
        updated_at: 0,
        notes: vec![],
    };
    let t = store.create_task(&task, who).unwrap();
    store
        .update_task(
            t,
            &TaskUpdate {
                progress: Some(40),
                note: Some("đang làm".into()),
                ..Default::default()
            },
            who,
        )
        .unwrap();
    store.publish("tháng 1", who).unwrap();
}

/// Everything a store answers, for comparing two.
fn everything(s: &dyn Backend) -> String {
    let q = ObsQuery::default();
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        s.observations(&q).unwrap(),
        s.history(&q).unwrap(),
        s.observations(&ObsQuery {
            as_of: Some(20),
            ..Default::default()
        })
        .unwrap(),
        s.series().unwrap(),
        s.indicators().unwrap(),
        s.areas().unwrap().all(),
        s.accounts().unwrap(),
        s.tokens(None).unwrap(),
        s.forms().unwrap(),
        s.rounds(None, 0, i64::MAX).unwrap(),
        s.rules().unwrap(),
        s.tasks(None).unwrap(),
        s.audit(10_000).unwrap(),
        (
            s.last_release().unwrap(),
            s.session("s1", 0).unwrap(),
            s.fingerprint().unwrap(),
            s.stats().unwrap()
        ),
    )
}

#[test]
fn a_store_copied_between_backends_is_the_same_store() {
    use solieu_store::copy::{checksum, copy_store};
    let mut source = common::sqlite();
    filled(&mut *source.store);
    let want = everything(&*source.store);
    let sum = checksum(&*source.store).unwrap();
    assert_eq!(sum.vintages, source.store.stats().unwrap().vintages as u64);
    // SQLite → PostgreSQL → SQLite when a database is given; SQLite → SQLite always
    let mut hops: Vec<common::Fresh> = vec![];
    if let Some(admin) = common::database() {
        hops.push(common::postgres(&admin, false));
    }
    let dir = tempfile::tempdir().unwrap();
    let back = SqliteStore::blank_file(&dir.path().join("back.db")).unwrap();
    let mut from: Box<dyn Backend> = source.reopen();
    for hop in &mut hops {
        let report = copy_store(&*from, &mut *hop.store, false).unwrap();
        assert_eq!(report.checksum, sum, "{}", hop.kind());
        assert_eq!(everything(&*hop.store), want, "{}", hop.kind());
        // a second copy into the same target is refused, and writes nothing
        let err = copy_store(&*from, &mut *hop.store, false).unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        assert_eq!(checksum(&*hop.store).unwrap(), sum);
        // with replace, the target's rows go and the copy's come, in one transaction
        let again = copy_store(&*from, &mut *hop.store, true).unwrap();
        assert_eq!(again.checksum, sum);
        assert_eq!(everything(&*hop.store), want, "{}", hop.kind());
        from = hop.reopen();
    }
    let mut back: Box<dyn Backend> = Box::new(back);
    let report = copy_store(&*from, &mut *back, false).unwrap();
    assert_eq!(report.checksum, sum);
    assert_eq!(everything(&*back), want);
    // the copy goes on as a store: numbers continue after the copied ones
    let b = ImportBatch {
        observations: vec![obs(0, 9, true)],
        submitter: "t".into(),
        ..Default::default()
    };
    let s = back.commit_import(&b, &mut |_| {}).unwrap();
    assert_eq!(s.import_id, 4);
    for hop in &mut hops {
        let s = hop.store.commit_import(&b, &mut |_| {}).unwrap();
        assert_eq!(s.import_id, 4, "{}", hop.kind());
        let t = hop.store.create_token(1, "sha3", "admin").unwrap();
        assert_eq!(t, 3, "{}", hop.kind());
    }
}

#[test]
fn the_old_sector_indicators_become_codes_of_exports_with_their_history() {
    for f in common::backends() {
        // a store as schema 5 left it: EXPORTS_FDI an indicator of its own, revised once
        let mut store = f.reopen();
        let old = solieu_model::Indicator::parse(&solieu_model::IndicatorFields {
            code: "EXPORTS_FDI",
            name_vi: "Kim ngạch xuất khẩu của khu vực có vốn đầu tư nước ngoài",
            name_en: "Exports of the foreign-invested sector",
            unit: "triệu USD",
            time_aggregation: "flow",
            area_aggregation: "sum",
            decimals: "1",
            ..Default::default()
        })
        .unwrap();
        store.upsert_indicators(&[old], "test").unwrap();
        for value in [2700.0, 2800.0] {
            let o = Observation {
                indicator: "EXPORTS_FDI".into(),
                area: "79".into(),
                period: Period::Month(2020, 10),
                measure: Measure::Level,
                dims: String::new(),
                value,
                status: Status::Estimate,
                source: "Sở Công Thương".into(),
                note: String::new(),
            };
            store
                .commit_import(
                    &ImportBatch {
                        observations: vec![o],
                        submitter: "test".into(),
                        origin: "test".into(),
                        ..Default::default()
                    },
                    &mut |_| {},
                )
                .unwrap();
        }
        drop(store);
        // the first start of this version applies migration 6
        f.raw_sql("DELETE FROM schema_migrations WHERE version = 6")
            .unwrap();
        let store = f.reopen();
        let history = store
            .history(&ObsQuery {
                indicators: vec!["EXPORTS".into()],
                ..Default::default()
            })
            .unwrap();
        let fdi: Vec<(f64, &str)> = history
            .iter()
            .filter(|v| v.obs.dims == "SECTOR=FDI")
            .map(|v| (v.obs.value, v.submitter.as_str()))
            .collect();
        assert_eq!(
            fdi,
            vec![(2700.0, "test"), (2800.0, "test")],
            "{}",
            f.kind()
        );
        assert!(
            !store
                .indicators()
                .unwrap()
                .iter()
                .any(|i| i.code == "EXPORTS_FDI"),
            "{}",
            f.kind()
        );
        assert_eq!(store.stats().unwrap().vintages, 2, "{}", f.kind());
    }
}
