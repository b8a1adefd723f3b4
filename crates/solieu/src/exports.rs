//! Exports of stored figures beside the canonical CSV (`service::export_csv`):
//! an Excel workbook with real numbers and Vietnamese headers, and SDMX-CSV
//! 1.0; Parquet is in `crate::parquet_out`. Text cells are made inert (no formula runs when the file is opened);
//! a workbook holds any number of rows, a new sheet every 1,000,000.

use anyhow::Result;
use solieu_model::{AreaRegistry, Indicator, Vintage};
use solieu_store::{ObsQuery, Store};

/// The formats `solieu export` writes.
pub const FORMATS: [&str; 4] = ["csv", "xlsx", "sdmx-csv", "parquet"];

/// Rows per worksheet (Excel's limit is 1,048,576).
pub const SHEET_ROWS: usize = 1_000_000;

const HEADERS: [&str; 11] = [
    "Mã chỉ tiêu",
    "Chỉ tiêu",
    "Mã địa bàn",
    "Địa bàn",
    "Kỳ",
    "Loại số liệu",
    "Giá trị",
    "Đơn vị tính",
    "Trạng thái",
    "Nguồn",
    "Ghi chú",
];

fn status_vi(code: &str) -> &'static str {
    match code {
        "E" => "ước tính",
        "P" => "sơ bộ",
        _ => "chính thức",
    }
}

/// The stored figures as an Excel workbook.
pub fn xlsx(rows: &[Vintage], areas: &AreaRegistry, inds: &[Indicator]) -> Result<Vec<u8>> {
    use crate::service::inert;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let chunks: Vec<&[Vintage]> = if rows.is_empty() {
        vec![&[]]
    } else {
        rows.chunks(SHEET_ROWS).collect()
    };
    for (k, chunk) in chunks.into_iter().enumerate() {
        let ws = wb.add_worksheet();
        ws.set_name(if k == 0 {
            "So lieu".to_string()
        } else {
            format!("So lieu {}", k + 1)
        })?;
        for (c, h) in HEADERS.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (r, v) in chunk.iter().enumerate() {
            let r = r as u32 + 1;
            let o = &v.obs;
            let ind = inds.iter().find(|i| i.code == o.indicator);
            let area = areas.by_key(&o.area);
            let unit = if o.measure.in_indicator_unit() {
                ind.map_or(String::new(), |i| i.unit.label.clone())
            } else {
                "%".into()
            };
            ws.write_string(r, 0, inert(&o.indicator))?;
            ws.write_string(r, 1, inert(ind.map_or("", |i| i.name_vi.as_str())))?;
            ws.write_string(
                r,
                2,
                inert(area.map_or(o.area.as_str(), |a| a.code.as_str())),
            )?;
            ws.write_string(r, 3, inert(area.map_or("", |a| a.name_vi.as_str())))?;
            ws.write_string(r, 4, o.period.to_string())?;
            ws.write_string(r, 5, o.measure.as_str())?;
            ws.write_number(r, 6, crate::figures::clean(o.value))?;
            ws.write_string(r, 7, inert(&unit))?;
            ws.write_string(r, 8, status_vi(o.status.code()))?;
            ws.write_string(r, 9, inert(&o.source))?;
            ws.write_string(r, 10, inert(&o.note))?;
        }
    }
    Ok(wb.save_to_buffer()?)
}

/// Writes the figures a query selects in `format` (`csv`, `sdmx-csv`,
/// `parquet`: one file) into `out`, read from the store a row at a time;
/// returns the number of rows.
pub fn stream(
    store: &dyn Store,
    q: &ObsQuery,
    format: &str,
    out: &mut (dyn std::io::Write + Send),
    areas: &AreaRegistry,
    inds: &[Indicator],
) -> Result<usize> {
    let io = |e: anyhow::Error| std::io::Error::other(format!("{e:#}"));
    Ok(match format {
        "sdmx-csv" => {
            let mut w = crate::sdmx::SdmxCsv::new(out, crate::sdmx::Detail::Full, false)?;
            let n = store.each_observation(q, false, &mut |v| w.vintage(&v, inds))?;
            w.finish()?;
            n
        }
        "parquet" => {
            let mut w = crate::parquet_out::ParquetSink::new(out, areas, inds, &[])?;
            let n = store.each_observation(q, false, &mut |v| w.row(v).map_err(io))?;
            w.finish()?;
            n
        }
        "csv" => {
            let mut w = crate::service::CanonicalCsv::new(out, inds, areas)?;
            let n = store.each_observation(q, false, &mut |v| w.row(&v))?;
            w.finish()?;
            n
        }
        other => anyhow::bail!("{other}: not a streamed format (csv, sdmx-csv, parquet)"),
    })
}
