//! What every backend promises of the workflow: each write audited with its
//! origin and before → after, the audit log append-only, rounds, rules,
//! tasks, sessions, tokens and releases read back as written.

mod common;

use chrono::NaiveDate;
use solieu_model::{Frequency, Period};
use solieu_store::{
    Account, Actor, AuditQuery, Backend, Form, Role, Round, RoundAction, RoundStatus, Rule,
    Severity, Task, TaskStatus, TaskUpdate,
};

const WHO: Actor<'static> = Actor {
    name: "phantich",
    origin: "token 1 from 10.0.0.5:4000",
};

/// Runs a test on a fresh store of every backend.
fn each_backend(test: impl Fn(&mut dyn Backend)) {
    for mut fresh in common::backends() {
        test(&mut *fresh.store);
    }
}

fn form() -> Form {
    Form {
        code: "BC_THANG".into(),
        name: "Báo cáo tháng".into(),
        frequency: Frequency::Month,
        deadline_day: 14,
        deadline_offset: 0,
        indicators: vec!["EXPORTS".into(), "RETAIL_GOODS".into()],
        units: vec!["75".into(), "79".into()],
    }
}

#[test]
fn rounds_move_and_every_step_is_audited_with_before_and_after() {
    each_backend(rounds_move);
}

fn rounds_move(s: &mut dyn Backend) {
    s.put_form(&form(), WHO).unwrap();
    assert_eq!(s.forms().unwrap(), vec![form()]);
    let p = Period::Month(2026, 10);
    let mut r = s.round("BC_THANG", "79", p).unwrap();
    assert_eq!(r.status, RoundStatus::Missing);
    for (action, comment) in [
        (RoundAction::Submit, ""),
        (RoundAction::Return, "kiểm tra lại"),
        (RoundAction::Submit, ""),
        (RoundAction::Approve, ""),
        (RoundAction::Lock, ""),
    ] {
        r.status = action.apply(r.status).unwrap();
        r.comment = comment.into();
        s.put_round(&r, action.as_str(), WHO).unwrap();
        assert_eq!(s.round("BC_THANG", "79", p).unwrap().status, r.status);
    }
    assert_eq!(r.status, RoundStatus::Locked);
    let rounds = s.rounds(Some("BC_THANG"), p.key(), p.key()).unwrap();
    assert_eq!(rounds.len(), 1);
    assert_eq!(s.rounds(None, 0, p.key() - 1).unwrap(), vec![]);
    // a round of an unknown form is refused, a missing one is not stored
    let mut other = Round::missing("KHONG", "79", p);
    other.status = RoundStatus::Draft;
    assert!(s.put_round(&other, "draft", WHO).is_err());
    assert!(s
        .put_round(&Round::missing("BC_THANG", "79", p), "x", WHO)
        .is_err());

    let log = s
        .audit_log(&AuditQuery {
            target: Some("round BC_THANG/79".into()),
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(log.len(), 5);
    let lock = &log[0];
    assert_eq!(lock.action, "round.lock");
    assert_eq!(lock.origin, WHO.origin);
    assert!(lock.before.as_deref().unwrap().contains("\"approved\""));
    assert!(lock.after.as_deref().unwrap().contains("\"locked\""));
    assert!(
        log[4].before.is_none(),
        "the first step starts from nothing"
    );
    // paging: newest first, before an entry number
    let older = s
        .audit_log(&AuditQuery {
            before_id: Some(log[1].id),
            action: Some("round.".into()),
            limit: 2,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(older, log[2..4].to_vec());
}

#[test]
fn the_audit_log_is_append_only_even_with_sql() {
    for mut fresh in common::backends() {
        fresh
            .store
            .put_rule(
                &Rule {
                    code: "R".into(),
                    expression: "A >= 0".into(),
                    severity: Severity::Error,
                    description: String::new(),
                    active: true,
                },
                WHO,
            )
            .unwrap();
        assert!(fresh.raw_sql("UPDATE audit SET actor = 'x'").is_err());
        assert!(fresh.raw_sql("DELETE FROM audit").is_err());
    }
}

#[test]
fn rules_tasks_sessions_tokens_and_releases_read_back() {
    each_backend(read_back);
}

fn read_back(s: &mut dyn Backend) {
    let rule = Rule {
        code: "XK".into(),
        expression: "EXPORTS = EXPORTS_FDI + EXPORTS_DOMESTIC".into(),
        severity: Severity::Warning,
        description: "tổng = FDI + trong nước".into(),
        active: true,
    };
    s.put_rule(&rule, WHO).unwrap();
    let mut changed = rule.clone();
    changed.severity = Severity::Error;
    s.put_rule(&changed, WHO).unwrap();
    assert_eq!(s.rules().unwrap(), vec![changed]);

    let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    let task = Task {
        id: 0,
        title: "Giải ngân vốn đầu tư công".into(),
        document: "Kết luận 12/KL-UBND".into(),
        document_date: Some(day(2)),
        unit: "79".into(),
        deadline: day(20),
        status: TaskStatus::Open,
        progress: 0,
        indicators: vec!["EXPORTS".into()],
        created_by: String::new(),
        created_at: 0,
        updated_at: 0,
        notes: vec![],
    };
    let id = s.create_task(&task, WHO).unwrap();
    assert!(s.tasks(Some("79")).unwrap()[0].is_overdue(day(21)));
    assert!(s.tasks(Some("79")).unwrap()[0].is_due_soon(day(15), 7));
    let t = s
        .update_task(
            id,
            &TaskUpdate {
                status: Some(TaskStatus::Done),
                note: Some("xong".into()),
                ..Default::default()
            },
            WHO,
        )
        .unwrap();
    assert_eq!(
        (t.status, t.progress, t.notes.len()),
        (TaskStatus::Done, 100, 1)
    );
    assert!(!t.is_overdue(day(21)));
    assert_eq!(s.tasks(Some("75")).unwrap(), vec![]);
    assert!(s
        .update_task(id + 100, &TaskUpdate::default(), WHO)
        .is_err());

    let acc = Account {
        id: 0,
        name: "hcm".into(),
        role: Role::Reporter,
        areas: vec!["79".into()],
        indicators: vec![],
        password_hash: "$argon2id$x".into(),
    };
    let acc_id = s.create_account(&acc, "admin").unwrap();
    assert_eq!(s.accounts().unwrap()[0].areas, vec!["79".to_string()]);
    s.create_session(acc_id, "h1", "csrf1", 2_000, WHO).unwrap();
    assert_eq!(s.session("h1", 1_000).unwrap().unwrap().1, "csrf1");
    assert!(s.session("h1", 2_000).unwrap().is_none(), "expired");
    s.create_session(acc_id, "h2", "csrf2", i64::MAX, WHO)
        .unwrap();
    s.end_session("h2", WHO).unwrap();
    assert!(s.session("h2", 1_000).unwrap().is_none(), "ended");

    let tok = s.create_token(acc_id, "sha", "admin").unwrap();
    assert!(s.account_by_token("sha").unwrap().is_some());
    assert!(s.revoke_token(tok, WHO).unwrap());
    assert!(!s.revoke_token(tok, WHO).unwrap());
    assert!(s.account_by_token("sha").unwrap().is_none());
    assert!(s.tokens(Some("hcm")).unwrap()[0].revoked_at.is_some());

    assert_eq!(s.last_release().unwrap(), None);
    let r = s.publish("tháng 10", WHO).unwrap();
    assert_eq!(s.last_release().unwrap().map(|x| x.0), Some(r));
}

#[test]
fn an_imports_workflow_changes_are_committed_with_it_or_not_at_all() {
    each_backend(import_then);
}

/// What a submission does in its import's transaction: its audit entry,
/// and its round moved to submitted.
fn steps(
    summary: &solieu_store::ImportSummary,
    tx: &mut dyn solieu_store::InImport,
    p: Period,
) -> solieu_store::Result<()> {
    tx.record(&solieu_store::AuditRecord {
        actor: WHO,
        action: "submission",
        target: "test",
        before: None,
        after: Some(&format!("import {}", summary.import_id)),
        detail: "",
    })?;
    let mut r = Round::missing("BC_THANG", "79", p);
    r.status = RoundStatus::Submitted;
    tx.put_round(&r, "submit", WHO)
}

fn import_then(s: &mut dyn Backend) {
    use solieu_model::{Measure, Observation, Status};
    s.put_form(&form(), WHO).unwrap();
    let p = Period::Month(2026, 10);
    let batch = solieu_store::ImportBatch {
        observations: vec![Observation {
            indicator: "EXPORTS".into(),
            area: "79".into(),
            period: p,
            measure: Measure::Level,
            dims: String::new(),
            value: 3924.7,
            status: Status::Final,
            source: "test".into(),
            note: String::new(),
        }],
        submitter: "phantich".into(),
        origin: "test".into(),
        ..Default::default()
    };
    let audited = |s: &dyn Backend| s.audit(100_000).unwrap().len();
    let (imports, entries) = (s.stats().unwrap().imports, audited(s));
    // the step after the vintages fails: neither the import, nor its audit
    // entry, nor the round it moved is kept
    let err = s
        .commit_import_then(&batch, &mut |_| {}, &mut |summary, tx| {
            steps(summary, tx, p)?;
            Err(solieu_store::StoreError::Refused(
                "the step after failed".into(),
            ))
        })
        .unwrap_err();
    assert!(err.to_string().contains("the step after failed"), "{err}");
    assert_eq!(s.stats().unwrap().imports, imports, "{}", s.kind());
    assert_eq!(audited(s), entries, "{}", s.kind());
    assert_eq!(
        s.round("BC_THANG", "79", p).unwrap().status,
        RoundStatus::Missing
    );
    // it succeeds: all three are there, the entry naming the import
    let summary = s
        .commit_import_then(&batch, &mut |_| {}, &mut |summary, tx| {
            steps(summary, tx, p)
        })
        .unwrap();
    assert_eq!(s.stats().unwrap().imports, imports + 1);
    let log = s
        .audit_log(&AuditQuery {
            action: Some("submission".into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        log[0].after.as_deref(),
        Some(format!("import {}", summary.import_id).as_str())
    );
    assert_eq!(
        s.round("BC_THANG", "79", p).unwrap().status,
        RoundStatus::Submitted
    );
}
