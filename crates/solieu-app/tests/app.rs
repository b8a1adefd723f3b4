//! The application layer over the demo store, as data: the monthly report
//! in Markdown (Vietnamese and English) and the tables the command line
//! prints, compared with the snapshots in `tests/snapshots/` (`insta`; after
//! a deliberate change, `INSTA_UPDATE=always cargo test -p solieu-app` and
//! review the diff). The demo store is built once for the whole binary.

use std::sync::OnceLock;

use solieu_app::figures::{self, Grid};
use solieu_app::service;
use solieu_engine::{Derived, Engine, Options};
use solieu_model::Period;
use solieu_report::{Lang, Request};
use solieu_store::{SqliteStore, Store};

/// The demo store and its engine, built once.
fn demo() -> &'static (tempfile::TempDir, Engine) {
    static DEMO: OnceLock<(tempfile::TempDir, Engine)> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::create(dir.path()).unwrap();
        solieu_app::demo::load(&mut store)
            .unwrap()
            .expect("a new store");
        let engine = Engine::load(&store).unwrap();
        (dir, engine)
    })
}

fn report_md(lang: Lang) -> String {
    let (_, engine) = demo();
    let req = Request {
        area: "79".into(),
        year: 2020,
        month: 10,
        lang,
        as_of: None,
        as_of_label: None,
        sources: false,
    };
    let day = chrono::NaiveDate::from_ymd_opt(2020, 11, 11).unwrap();
    let bytes = solieu_app::reports::render(
        engine,
        &req,
        solieu_app::reports::Format::Md,
        None,
        day,
        None,
    )
    .unwrap();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn the_monthly_report_in_markdown() {
    let vi = report_md(Lang::Vi);
    assert!(
        vi.contains("kim ngạch xuất khẩu hàng hóa ước đạt 36,7 tỷ USD, tăng 5,5% so với cùng kỳ")
    );
    insta::assert_snapshot!("report_79_2020_10_vi", vi);
    insta::assert_snapshot!("report_79_2020_10_en", report_md(Lang::En));
}

#[test]
fn the_tables_the_command_line_prints() {
    let (dir, engine) = demo();
    let grid = Grid {
        indicators: vec!["RETAIL_GOODS".into(), "EXPORTS".into()],
        areas: vec!["79".into()],
        periods: vec![Period::Month(2020, 10)],
        measures: vec![
            Derived::Value,
            Derived::Cumulative,
            Derived::YoyPct,
            Derived::CumulativeYoyPct,
            Derived::SharePct,
            Derived::Rank,
        ],
        dims: vec![],
    };
    let rows = figures::evaluate(engine, &grid, &Options::default()).unwrap();
    let table = service::render(&figures::table(engine, &rows, true), false, false).unwrap();
    insta::assert_snapshot!("query_derived_79_2020_10", table);

    let store = SqliteStore::open(dir.path()).unwrap();
    let inds = store.indicators().unwrap();
    let table = service::render(
        &service::indicator_table(&inds, Some("xuat khau")),
        false,
        false,
    )
    .unwrap();
    insta::assert_snapshot!("indicators_search_xuat_khau", table);
    let reg = store.areas().unwrap();
    let table = service::render(
        &service::area_table(reg.search("ho chi minh").into_iter()),
        true,
        false,
    )
    .unwrap();
    insta::assert_snapshot!("areas_search_ho_chi_minh_csv", table);
}
