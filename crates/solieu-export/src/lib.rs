//! Exports of stored figures, read from the store a row at a time and
//! written as they come ([`stream`]): the canonical CSV
//! ([`canonical::CanonicalCsv`]), an Excel workbook with real numbers and
//! Vietnamese headers, SDMX-CSV 1.0 (`solieu_sdmx::SdmxCsv`) and Parquet
//! ([`parquet`]). Text cells are made inert (no formula runs when the
//! file is opened); a workbook holds any number of rows, a new sheet every
//! 1,000,000.

pub mod canonical;
pub mod files;
pub mod parquet;
pub mod template;

use anyhow::Result;
use solieu_model::{AreaRegistry, Indicator, Vintage};
use solieu_store::{ObsQuery, Store};

solieu_model::named! {
    /// The formats `solieu export` and `GET /api/v1/export` write.
    pub enum Format ("export format") {
        /// The canonical CSV (`solieu import` reads it back unchanged).
        Csv = "csv",
        /// An Excel workbook: real numbers, Vietnamese headers.
        Xlsx = "xlsx",
        /// SDMX-CSV 1.0.
        SdmxCsv = "sdmx-csv",
        /// Parquet (one file; a partitioned directory through [`parquet::PartitionedSink`]).
        Parquet = "parquet",
    }
}

impl Format {
    /// The media type of the file.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => XLSX_MEDIA_TYPE,
            Format::SdmxCsv => "application/vnd.sdmx.data+csv;version=1.0.0",
            Format::Parquet => "application/vnd.apache.parquet",
        }
    }

    /// The file name of a whole-store download.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Csv => "solieu.csv",
            Format::Xlsx => "solieu.xlsx",
            Format::SdmxCsv => "solieu.sdmx.csv",
            Format::Parquet => "solieu.parquet",
        }
    }
}

/// The media type of an Excel workbook.
pub const XLSX_MEDIA_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Rows per worksheet (Excel's limit is 1,048,576).
pub const SHEET_ROWS: usize = 1_000_000;

const HEADERS: [&str; 13] = [
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
    "Mã phân tổ",
    "Phân tổ",
];

fn status_vi(code: &str) -> &'static str {
    match code {
        "E" => "ước tính",
        "P" => "sơ bộ",
        _ => "chính thức",
    }
}

/// An Excel workbook written a row at a time: worksheets in
/// rust_xlsxwriter's constant-memory mode (each row goes to a temporary
/// file as it is written), a new sheet every [`SHEET_ROWS`] rows, numbers as
/// numbers, text made inert.
pub struct XlsxSink<'a> {
    wb: rust_xlsxwriter::Workbook,
    sheet: usize,
    row: u32,
    areas: &'a AreaRegistry,
    inds: std::collections::HashMap<&'a str, &'a Indicator>,
    lists: solieu_model::CodeLists,
}

impl<'a> XlsxSink<'a> {
    /// A workbook with its first sheet; `lists` label the breakdown codes.
    pub fn new(
        areas: &'a AreaRegistry,
        inds: &'a [Indicator],
        lists: solieu_model::CodeLists,
    ) -> Result<Self> {
        let mut sink = XlsxSink {
            wb: rust_xlsxwriter::Workbook::new(),
            sheet: 0,
            row: 0,
            areas,
            inds: inds.iter().map(|i| (i.code.as_str(), i)).collect(),
            lists,
        };
        sink.add_sheet()?;
        Ok(sink)
    }

    fn add_sheet(&mut self) -> Result<()> {
        let bold = rust_xlsxwriter::Format::new().set_bold();
        self.sheet += 1;
        let name = if self.sheet == 1 {
            "So lieu".to_string()
        } else {
            format!("So lieu {}", self.sheet)
        };
        let ws = self.wb.add_worksheet_with_constant_memory()?;
        ws.set_name(name)?;
        for (c, h) in HEADERS.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        self.row = 0;
        Ok(())
    }

    /// One row.
    pub fn row(&mut self, v: &Vintage) -> Result<()> {
        use solieu_model::text::inert;
        if self.row as usize >= SHEET_ROWS {
            self.add_sheet()?;
        }
        self.row += 1;
        let r = self.row;
        let o = &v.obs;
        let ind = self.inds.get(o.indicator.as_str()).copied();
        let area = self.areas.by_key(&o.area);
        let unit = if o.measure.in_indicator_unit() {
            ind.map_or(String::new(), |i| i.unit.label.clone())
        } else {
            "%".into()
        };
        let ws = self.wb.worksheet_from_index(self.sheet - 1)?;
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
        ws.write_number(r, 6, solieu_model::text::clean(o.value))?;
        ws.write_string(r, 7, inert(&unit))?;
        ws.write_string(r, 8, status_vi(o.status.code()))?;
        ws.write_string(r, 9, inert(&o.source))?;
        ws.write_string(r, 10, inert(&o.note))?;
        if !o.dims.is_empty() {
            // the breakdown: its codes, and their labels ("Nhóm hàng: Hạt điều")
            let label = o
                .dims
                .split(';')
                .filter_map(|p| p.split_once('='))
                .map(|(n, c)| {
                    self.lists
                        .get(n)
                        .and_then(|l| l.get(c))
                        .map_or(c.to_string(), |code| code.label_vi.clone())
                })
                .collect::<Vec<_>>()
                .join(" · ");
            ws.write_string(r, 11, inert(&o.dims))?;
            ws.write_string(r, 12, inert(&label))?;
        }
        Ok(())
    }

    /// Assembles the workbook into `out`.
    pub fn finish(mut self, out: &mut (dyn std::io::Write + Send)) -> Result<()> {
        self.wb.save_to_writer(out)?;
        Ok(())
    }
}

/// Writes the figures a query selects in `format` (Parquet: one file) into `out`, read from the store a row
/// at a time; returns the number of rows.
pub fn stream(
    store: &dyn Store,
    q: &ObsQuery,
    format: Format,
    out: &mut (dyn std::io::Write + Send),
    areas: &AreaRegistry,
    inds: &[Indicator],
) -> Result<usize> {
    let io = |e: anyhow::Error| std::io::Error::other(format!("{e:#}"));
    Ok(match format {
        Format::SdmxCsv => {
            let mut w = solieu_sdmx::SdmxCsv::new(out, solieu_sdmx::Detail::Full, false, inds)?;
            let n = store.each_observation(q, false, &mut |v| w.vintage(&v, inds))?;
            w.finish()?;
            n
        }
        Format::Parquet => {
            let mut w = crate::parquet::ParquetSink::new(out, areas, inds, &[])?;
            let n = store.each_observation(q, false, &mut |v| w.row(v).map_err(io))?;
            w.finish()?;
            n
        }
        Format::Csv => {
            let mut w = crate::canonical::CanonicalCsv::new(out, inds, areas, &q.indicators)?;
            let n = store.each_observation(q, false, &mut |v| w.row(&v))?;
            w.finish()?;
            n
        }
        Format::Xlsx => {
            let mut w = XlsxSink::new(areas, inds, store.code_lists()?)?;
            let n = store.each_observation(q, false, &mut |v| w.row(&v).map_err(io))?;
            w.finish(out)?;
            n
        }
    })
}
