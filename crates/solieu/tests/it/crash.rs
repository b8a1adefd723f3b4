//! The store survives `kill -9` in the middle of a large import: after the
//! restart the import is wholly absent and everything earlier is intact.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn solieu(data: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_solieu"));
    c.arg("--data").arg(data).env_remove("SOLIEU_DATA");
    c
}

fn vintages(data: &std::path::Path) -> String {
    let out = solieu(data).arg("check").output().unwrap();
    assert!(
        out.status.success(),
        "check failed after a kill: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.split(", ")
        .find(|p| p.ends_with("vintages"))
        .unwrap()
        .to_string()
}

#[test]
fn kill_9_during_a_large_import_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(solieu(&data).arg("init").status().unwrap().success());
    // something earlier that must survive
    let small = dir.path().join("small.csv");
    std::fs::write(
        &small,
        "indicator,area,period,value\nEXPORTS,79,2020-10,3700\n",
    )
    .unwrap();
    assert!(solieu(&data)
        .arg("import")
        .arg(&small)
        .status()
        .unwrap()
        .success());
    let before = vintages(&data);
    assert_eq!(before, "1 vintages");
    // ~120 000 observations: 63 provinces × 120 months × 16 indicators
    let provinces = [
        "01", "02", "04", "06", "08", "10", "11", "12", "14", "15", "17", "19", "20", "22", "24",
        "25", "26", "27", "30", "31", "33", "34", "35", "36", "37", "38", "40", "42", "44", "45",
        "46", "48", "49", "51", "52", "54", "56", "58", "60", "62", "64", "66", "67", "68", "70",
        "72", "74", "75", "77", "79", "80", "82", "83", "84", "86", "87", "89", "91", "92", "93",
        "94", "95", "96",
    ];
    let indicators = [
        "RETAIL_TOTAL",
        "RETAIL_GOODS",
        "EXPORTS",
        "IMPORTS",
        "BUDGET_REVENUE",
        "BUDGET_EXPENDITURE",
        "INVESTMENT_TOTAL",
        "FDI_REGISTERED",
        "NEW_ENTERPRISES",
        "TOURISM_REVENUE",
        "ST_TASKS_CONTRACTED",
        "ST_INNOVATION_EVENTS",
        "BUDGET_REVENUE_DOMESTIC",
        "FDI_NEW_PROJECTS",
        "NEW_ENTERPRISE_CAPITAL",
        "INVESTMENT_STATE_BUDGET",
    ];
    let mut csv = String::from("indicator,area,period,value,status,source\n");
    for (k, ind) in indicators.iter().enumerate() {
        for p in provinces {
            for y in 2010..2020 {
                for m in 1..=12 {
                    csv.push_str(&format!(
                        "{ind},{p},{y}-{m:02},{}.5,A,crash test\n",
                        k * 1000 + m
                    ));
                }
            }
        }
    }
    let big = dir.path().join("big.csv");
    std::fs::write(&big, csv).unwrap();
    let full = format!("{} vintages", 1 + indicators.len() * provinces.len() * 120);
    // Each attempt starts from its own copy of the store, so an attempt whose
    // import won the race and committed does not spoil the next one.
    let mut killed_while_writing = 0;
    for attempt in 0..6u64 {
        let data = dir.path().join(format!("attempt{attempt}"));
        copy_dir(&dir.path().join("data"), &data);
        assert_eq!(vintages(&data), before);
        let wal = data.join("solieu.db-wal");
        let wal_before = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        let mut child = solieu(&data)
            .arg("import")
            .arg(&big)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // wait until the transaction is writing pages, then a little more
        let start = Instant::now();
        let mut writing = false;
        while start.elapsed() < Duration::from_secs(120) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > wal_before + 64 * 1024 {
                writing = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(5 + 23 * attempt));
        child.kill().unwrap_or(()); // SIGKILL on Unix
        let status = child.wait().unwrap();
        // the child may have exited on its own between the last look and
        // the kill: only a death by the signal counts as a kill
        let killed = status.signal() == Some(9);
        if killed && writing {
            killed_while_writing += 1;
        }
        // after the "restart": integrity holds and the import is wholly
        // absent (or, if it committed before the kill, wholly present)
        let after = vintages(&data);
        if killed {
            assert!(
                after == before || after == full,
                "attempt {attempt}: a killed import left part of its vintages behind ({after})"
            );
        } else {
            assert!(status.success(), "attempt {attempt}: the import failed");
            assert_eq!(
                after, full,
                "attempt {attempt}: a finished import is incomplete"
            );
        }
        if killed_while_writing >= 2 {
            break;
        }
    }
    assert!(
        killed_while_writing >= 1,
        "the import always finished before it could be killed; make the file larger"
    );
    // and the same import, left alone, completes in full
    let data = dir.path().join("data");
    let out = solieu(&data).arg("import").arg(&big).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(vintages(&data), full);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
