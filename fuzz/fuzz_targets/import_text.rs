//! A text file as `solieu import` reads it: encoding detection (UTF-8,
//! Windows-1258, TCVN3, VNI), then canonical CSV or SDMX-CSV by its header,
//! then validation against the built-in catalogue and areas. Whatever the
//! bytes: no panic, and either observations or located errors.
#![no_main]
use libfuzzer_sys::fuzz_target;
use solieu_ingest::{read_files, Catalog, Input, ReadOptions};

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static REF: (Vec<solieu_model::Indicator>, solieu_model::AreaRegistry) =
            (solieu_model::reference::indicators(), solieu_model::reference::areas());
    }
    REF.with(|(inds, areas)| {
        let cat = Catalog::new(inds, areas);
        let input = Input { name: "fuzz.csv", bytes: data };
        match read_files(&[input], &cat, &ReadOptions::default()) {
            Ok(out) => assert!(!out.observations.is_empty()),
            Err(errors) => assert!(!errors.is_empty()),
        }
    });
});
