//! From the user's text to validated [`Studies`]: CSV/TSV reading, column roles, numbers.
//!
//! SPEC (being implemented): see `read_studies`.

use crate::error::Error;
use crate::studies::Studies;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a column of the input is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Study,
    Yi,
    Vi,
    Sei,
    Lower,
    Upper,
    A,
    Sa,
    B,
    Sb,
    /// Kept as a potential grouping variable or moderator.
    Other,
}

/// Reading settings, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadSettings {
    /// Level of the confidence limits given in `lower`/`upper` columns, in (0, 1).
    pub ci_level_in: f64,
    /// Role overrides by header name (exact header text), chosen by the user on the page.
    pub roles: BTreeMap<String, Role>,
}

impl Default for ReadSettings {
    fn default() -> Self {
        ReadSettings { ci_level_in: 0.95, roles: BTreeMap::new() }
    }
}

/// A column of the input with the role it was given.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnInfo {
    pub name: String,
    pub role: Role,
}

/// The studies read from the text, the columns and their roles, and warnings in plain words.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub studies: Studies,
    pub columns: Vec<ColumnInfo>,
    pub warnings: Vec<String>,
}
