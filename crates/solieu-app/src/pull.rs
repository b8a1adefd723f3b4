//! Pulling figures from an SDMX REST endpoint (2.1 `data` resource): the
//! statistics office's, another agency's or a second solieu server's.
//!
//! A pull asks for SDMX-ML (structure-specific or generic) or SDMX-CSV by
//! content negotiation, reads the answer through the same path as an
//! imported file (a foreign structure through a mapping) and commits it all
//! or nothing. Each pull is audited (`pull.ok` in the import's own
//! transaction, `pull.failed` with the reason); a repeated pull asks only for
//! what changed since the last successful one (`updatedAfter`, the time the
//! remote stamped on its last message).

use std::time::Duration;

use anyhow::Result;
use solieu_ingest::ReadOptions;
use solieu_store::{Actor, AuditQuery, AuditRecord, Backend, ImportSummary};

use crate::service::{commit_read, read_inputs, LockPolicy, MAX_FILE_BYTES};
use crate::Detail;

/// What to pull.
#[derive(Debug, Clone)]
pub struct PullRequest {
    /// The endpoint's SDMX 2.1 REST base (`http://host/sdmx/v1`, the part
    /// before `/data/`).
    pub url: String,
    /// The dataflow, `AGENCY,ID,VERSION`.
    pub flow: String,
    /// The series key (`M.CPI.VN..`), all when `None`.
    pub key: Option<String>,
    /// A token the remote accepts (`Authorization: Bearer`).
    pub token: Option<String>,
    /// Ask for everything, not only what changed since the last pull.
    pub full: bool,
    /// How long the whole request may take.
    pub timeout: Duration,
}

/// What a pull did.
#[derive(Debug)]
pub enum PullOutcome {
    /// Figures were read and committed.
    Imported {
        /// The import.
        summary: ImportSummary,
        /// What the reader noted.
        notes: Vec<String>,
        /// The `updatedAfter` asked, if any.
        since: Option<String>,
    },
    /// The remote has nothing new.
    NothingNew {
        /// The `updatedAfter` asked, if any.
        since: Option<String>,
    },
    /// The answer was read but refused (located errors); nothing written.
    Rejected(Vec<Detail>),
    /// The remote could not be asked or did not answer with data; nothing
    /// written.
    Failed(String),
}

/// The audit target of a pull: one per endpoint, flow and key.
pub fn target(req: &PullRequest) -> String {
    format!(
        "pull {} {} {}",
        req.url.trim_end_matches('/'),
        req.flow,
        req.key.as_deref().unwrap_or("all")
    )
}

/// A margin on `updatedAfter`: a figure recorded on the remote while it
/// wrote its last answer is asked for again (unchanged, it adds nothing).
const MARGIN_MICROS: i64 = 60_000_000;

/// The `updatedAfter` of the next pull: the mark of the last successful
/// one, less the margin.
fn last_mark(store: &dyn Backend, target: &str) -> Result<Option<i64>> {
    let log = store.audit_log(&AuditQuery {
        action: Some("pull.ok".into()),
        target: Some(target.to_string()),
        limit: 20,
        ..AuditQuery::default()
    })?;
    Ok(log
        .iter()
        .filter(|e| e.target == target)
        .find_map(|e| {
            let v: serde_json::Value = serde_json::from_str(e.after.as_deref()?).ok()?;
            v["mark"].as_i64()
        })
        .map(|m| m - MARGIN_MICROS))
}

/// The accepted data formats, most preferred first.
const ACCEPT: &str = "application/vnd.sdmx.structurespecificdata+xml;version=2.1, application/vnd.sdmx.genericdata+xml;version=2.1;q=0.9, application/vnd.sdmx.data+csv;version=1.0.0;q=0.8, application/vnd.sdmx.data+json;version=2.0.0;q=0.7, application/vnd.sdmx.data+json;version=1.0.0;q=0.6";

/// An RFC 3339 UTC time for a query string (`2024-11-13T06:49:09Z`).
fn utc(us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// What the remote answered.
enum Answer {
    Data(Vec<u8>),
    Nothing,
}

fn fetch(url: &str, req: &PullRequest) -> std::result::Result<Answer, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(req.timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let mut call = agent.get(url).header("Accept", ACCEPT);
    if let Some(t) = &req.token {
        call = call.header("Authorization", &format!("Bearer {t}"));
    }
    let mut resp = call.call().map_err(|e| match e {
        ureq::Error::Timeout(_) => format!(
            "no answer within {} s; nothing was written",
            req.timeout.as_secs()
        ),
        e => format!("cannot reach {url}: {e}"),
    })?;
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_FILE_BYTES)
        .read_to_vec()
        .map_err(|e| format!("the answer could not be read: {e}"))?;
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let html = ctype.contains("html")
        || text
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("<!doctype html")
        || text.to_ascii_lowercase().contains("<html");
    match status {
        200 if html => Err(format!(
            "the remote answered an HTML page, not SDMX data (content-type '{ctype}'); check the URL: the part before /data/ of the endpoint's SDMX 2.1 REST API"
        )),
        200 => Ok(Answer::Data(body)),
        204 => Ok(Answer::Nothing),
        // SDMX error 100: no results
        404 if text.contains("code=\"100\"") || text.contains("NoResultsFound") || text.contains("No Results") => {
            Ok(Answer::Nothing)
        }
        s => Err(format!(
            "the remote answered HTTP {s} ({}): {}",
            if ctype.is_empty() { "no content-type" } else { &ctype },
            solieu_model::text::clip(text.trim(), 300)
        )),
    }
}

/// Pulls, reads and commits; audits the outcome. `Ok` for every outcome
/// the remote or the data caused ([`PullOutcome::Failed`],
/// [`PullOutcome::Rejected`]); `Err` only when the store itself fails.
pub fn pull(
    store: &mut dyn Backend,
    req: &PullRequest,
    opts: &ReadOptions,
    actor: &str,
) -> Result<PullOutcome> {
    let target = target(req);
    let last = last_mark(&*store, &target)?;
    let since = if req.full { None } else { last };
    let mut url = format!(
        "{}/data/{}/{}",
        req.url.trim_end_matches('/'),
        req.flow,
        req.key.as_deref().unwrap_or("all")
    );
    if let Some(s) = since {
        url.push_str(&format!("?updatedAfter={}", utc(s)));
    }
    let since_text = since.map(utc);
    let started = solieu_store::now_micros();
    let who = Actor {
        name: actor,
        origin: "cli",
    };
    let fail = |store: &mut dyn Backend, why: &str| -> Result<()> {
        store.record(&AuditRecord {
            actor: who,
            action: "pull.failed",
            target: &target,
            before: None,
            after: None,
            detail: &format!("{url}: {why}"),
        })?;
        Ok(())
    };
    let body = match fetch(&url, req) {
        Err(why) => {
            fail(store, &why)?;
            return Ok(PullOutcome::Failed(format!("{url}: {why}")));
        }
        Ok(Answer::Nothing) => {
            let mark = since.map_or(started, |s| s + MARGIN_MICROS);
            store.record(&AuditRecord {
                actor: who,
                action: "pull.ok",
                target: &target,
                before: None,
                after: Some(&serde_json::json!({ "mark": mark, "observations": 0 }).to_string()),
                detail: &format!("{url}: nothing new"),
            })?;
            return Ok(PullOutcome::NothingNew { since: since_text });
        }
        Ok(Answer::Data(b)) => b,
    };
    let name = format!("pull {url}");
    let read = match read_inputs(&*store, &[(name.clone(), body)], opts)? {
        Ok(r) => r,
        Err(errors) => {
            fail(
                store,
                &format!(
                    "{} error(s) in the answer; first: {}",
                    errors.len(),
                    errors[0]
                ),
            )?;
            return Ok(PullOutcome::Rejected(errors));
        }
    };
    let locks = LockPolicy {
        locks: crate::locks::Locks::load(&*store)?,
        overridden: false,
        written: Default::default(),
    };
    let hits = locks.check(&name, &read.observations);
    if !hits.is_empty() {
        fail(store, &format!("{} figure(s) in locked rounds", hits.len()))?;
        return Ok(PullOutcome::Rejected(
            hits.into_iter().map(Detail::text).collect(),
        ));
    }
    // the remote's clock: the message's Prepared time (SDMX-CSV has none:
    // when this pull started)
    let mark = read.recorded_at.unwrap_or(started);
    // a message stamped to the second within the second of the last pull
    // still comes after it
    let mut read = read;
    read.recorded_at = Some(last.map_or(mark, |l| mark.max(l + MARGIN_MICROS + 1)));
    let notes = read.notes.clone();
    let n = read.observations.len();
    // the message's ID, sender and Prepared time with the URL
    let origin = read
        .provenance
        .first()
        .cloned()
        .unwrap_or_else(|| name.clone());
    let committed = commit_read(store, read, actor, &origin, &mut |summary, w| {
        w.record(&AuditRecord {
            actor: who,
            action: "pull.ok",
            target: &target,
            before: None,
            after: Some(
                &serde_json::json!({
                    "mark": mark,
                    "observations": n,
                    "import": summary.import_id,
                    "new_vintages": summary.new_vintages,
                })
                .to_string(),
            ),
            detail: &url,
        })
    });
    match committed {
        Ok((summary, _)) => Ok(PullOutcome::Imported {
            summary,
            notes,
            since: since_text,
        }),
        Err(e) => match e.downcast_ref::<solieu_store::StoreError>() {
            Some(solieu_store::StoreError::Refused(m)) => {
                let m = m.clone();
                fail(store, &m)?;
                Ok(PullOutcome::Rejected(vec![Detail::text(format!(
                    "{name}: {m}"
                ))]))
            }
            _ => Err(e),
        },
    }
}
