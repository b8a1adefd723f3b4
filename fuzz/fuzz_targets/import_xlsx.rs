//! A workbook as `solieu import` reads it: the zip and XML of XLSX, the
//! long layout and the wide (provincial form) layout, then validation.
//! Whatever the bytes: no panic, bounded memory (zip bombs are refused).
#![no_main]
use libfuzzer_sys::fuzz_target;
use solieu_ingest::{read_files, Catalog, Input, ReadOptions};

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static REF: (Vec<solieu_model::Indicator>, solieu_model::AreaRegistry) =
            (solieu_model::reference::indicators(), solieu_model::reference::areas());
    }
    let _ = solieu_ingest::xlsx::read_workbook(data);
    REF.with(|(inds, areas)| {
        let cat = Catalog::new(inds, areas);
        let input = Input { name: "fuzz.xlsx", bytes: data };
        match read_files(&[input], &cat, &ReadOptions::default()) {
            Ok(out) => assert!(!out.observations.is_empty()),
            Err(errors) => assert!(!errors.is_empty()),
        }
    });
});
