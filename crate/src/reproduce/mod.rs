//! Checking a published result: which settings reproduce it, named presets of common software,
//! and the prediction-interval and I² conventions they differ in.
//!
//! - [`parse`]: the published text (`−0.71 (−1.06 to −0.36), I² = 92%`) into numbers with their
//!   printed decimals ([`Published`]).
//! - [`variants`]: the prediction-interval types ([`PiType`]) and I² types ([`I2Type`]).
//! - [`presets`]: software defaults with their sources ([`Preset`]).
//! - [`solver`]: every setting tried, the matches and the nearest misses ([`solve`]).

pub mod parse;
pub mod presets;
pub mod solver;
pub mod variants;

pub use parse::{Printed, Published, Quantity};
pub use presets::{Preset, PresetReport};
pub use solver::{solve, Reproduce, Scale, Setting};
pub use variants::{I2Type, PiType, PooledSes};
