//! metapool: meta-analysis whose every pooled number matches R's metafor.

pub mod error;
pub mod input;
pub mod studies;

pub use error::Error;
pub use studies::Studies;
