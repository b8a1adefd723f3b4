//! The generator writes the data set its scale says: every indicator ×
//! area × month once, each a number. (It also makes cargo build the
//! `solieu-bench` binary with the tests, which `.ci/run` then runs.)

use std::collections::HashSet;

#[test]
fn gen_writes_every_cell_of_the_scale_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_solieu-bench"))
        .args(["gen", "--dir"])
        .arg(dir.path())
        .args(["--provinces", "3", "--communes", "12"])
        .args(["--indicators", "4", "--months", "24"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let areas = std::fs::read_to_string(dir.path().join("areas.csv")).unwrap();
    let areas = areas.lines().count() - 1;
    assert!(areas >= 15, "{areas} areas for 3 provinces and 12 communes");
    let data = std::fs::read_to_string(dir.path().join("data.csv")).unwrap();
    let mut lines = data.lines();
    assert_eq!(lines.next(), Some("indicator,area,period,value"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 4 * areas * 24);
    let mut keys = HashSet::new();
    for r in &rows {
        let (key, value) = r.rsplit_once(',').unwrap();
        assert!(value.parse::<f64>().is_ok_and(f64::is_finite), "{r}");
        assert!(keys.insert(key), "{key} twice");
    }
}
