//! The domain model of solieu: periods, areas with validity intervals,
//! indicators, units, observations and their vintages, and the reference
//! data shipped with the program.
//!
//! No IO, no database, no HTTP: values here are validated at the edge and
//! trusted everywhere else.
#![warn(missing_docs)]

pub mod area;
pub mod codelist;
pub mod indicator;
pub mod labels;
pub mod names;
pub mod observation;
pub mod period;
pub mod reference;
pub mod text;
pub mod unit;

pub use area::{Area, AreaError, AreaRegistry, Level, Membership, Succession, SuccessionKind};
pub use codelist::{Code, CodeList, CodeLists, TOTAL};
pub use indicator::{
    AreaAggregation, Dimension, EstimateMethod, Indicator, IndicatorFields, TimeAggregation,
};
pub use observation::{Measure, Observation, Status, Vintage};
pub use period::{Frequency, Period};
pub use unit::{Quantity, Unit};
