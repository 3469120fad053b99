//! From the user's text to validated [`Studies`]: CSV/TSV reading, column roles, numbers.
//!
//! [`read_studies`] is the entry point; the steps live in submodules: `table` (rows and cells),
//! `number` (one cell as a number), `columns` (roles and aliases) and `effects` (one row's
//! effect and variance).

mod columns;
mod effects;
mod number;
mod table;

pub use columns::detect_role;
pub use number::{parse_number, NumberCell};
pub(crate) use effects::ci_z;
pub use effects::PATH_LIMIT;

use crate::error::Error;
use crate::mediation::per_study::IeSe;
use crate::mediation::sensitivity::CiSeRule;
use crate::studies::{ExtraColumn, Given, Studies, Typed};
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
    /// Covariance of the estimates of a and b (optional; an empty cell is 0).
    #[serde(rename = "cov_ab")]
    CovAb,
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
    /// How the SE of a study given by (asymmetric) confidence limits is taken from them.
    pub ci_se_rule: CiSeRule,
    /// The variance of an indirect effect a·b given by its paths: Sobel (default) or Aroian.
    pub ie_se: IeSe,
}

impl Default for ReadSettings {
    fn default() -> Self {
        ReadSettings {
            ci_level_in: 0.95,
            roles: BTreeMap::new(),
            ci_se_rule: CiSeRule::default(),
            ie_se: IeSe::default(),
        }
    }
}

/// A column of the input with the role it was given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// Reads the studies from CSV or TSV text with a header row.
///
/// **Reading.** A UTF-8 byte-order mark is dropped; lines may end in CRLF or LF; blank lines and
/// lines whose cells are all empty are ignored; cells may be quoted (`"Smith, 2001"`). The
/// separator is judged from the header line: a tab if it has one, else `;` if it has more
/// semicolons than commas, else `,`. With `;` or tab a single `,` is also a decimal mark
/// (`1,5`). A row with fewer cells than the header gets empty ones; extra cells must be empty.
/// Rows are data rows counted from 1, blank lines not counted.
///
/// **Columns.** Each header name gets a role ([`detect_role`] lists the recognised names), unless
/// `settings.roles` chooses one for that exact (trimmed) name. Columns that are not effects,
/// precisions or labels are kept as extra columns of [`Studies`] for subgroups and moderators.
///
/// **Numbers.** See [`parse_number`]: `NA`, `N/A`, `.` and empty cells are missing; every
/// non-empty cell of an effect or precision column must be a finite number, even one that ends up
/// unused.
///
/// **Effects.** Each row uses the first of these sources whose cells are all filled in:
///
/// | Source                  | Effect `yi` | Sampling variance `vi`                          |
/// |-------------------------|-------------|-------------------------------------------------|
/// | `yi`, `vi`              | `yi`        | `vi` (must be > 0)                              |
/// | `yi`, `sei`             | `yi`        | `sei²` (`sei` > 0)                              |
/// | `yi`, `lower`, `upper`  | `yi`        | `((upper − lower) / (2z))²`, `z` the normal quantile at `(1 + ci_level_in)/2` (other rules: `ci_se_rule`) |
/// | `a`, `sa`, `b`, `sb` (`cov_ab`) | `a·b` | `a²·sb² + b²·sa² + 2ab·cov_ab` (first-order delta / Sobel; `sa`, `sb` > 0, \|`cov_ab`\| < `sa·sb`, an empty `cov_ab` is 0); with `ie_se` Aroian also `+ sa²·sb² + cov_ab²` |
///
/// Confidence limits must satisfy `lower < upper` and contain `yi`; limits more than 10% of the
/// half-width away from symmetric around `yi` bring a warning. A row with no complete source is
/// skipped with a warning naming its empty cells (as metafor's `na.omit` drops it).
///
/// Labels come from the study column; an empty cell or no such column gives "Study N", N the
/// data row number.
///
/// # Errors
/// [`Error::EmptyInput`], [`Error::HeaderOnly`], [`Error::Unreadable`], [`Error::TooManyCells`],
/// [`Error::DuplicateColumn`], [`Error::MissingColumns`], [`Error::NotANumber`],
/// [`Error::NotFinite`], [`Error::NotPositive`], [`Error::LimitsReversed`],
/// [`Error::EstimateOutsideCi`], [`Error::BadVariance`], [`Error::Numerical`], [`Error::BadLevel`]
/// (a `ci_level_in` outside (0, 1) with confidence-limit columns) and [`Error::NoStudies`] when
/// every row is skipped.
///
/// ```
/// use metapool::input::{read_studies, ReadSettings};
/// let input = read_studies("study;yi;vi\nSmith 2001;1,5;0,04\n", &ReadSettings::default()).unwrap();
/// assert_eq!(input.studies.yi(), [1.5]);
/// assert_eq!(input.studies.labels(), ["Smith 2001"]);
/// ```
pub fn read_studies(text: &str, settings: &ReadSettings) -> Result<Input, Error> {
    let table = table::read_table(text)?;
    let headers = &table.headers;
    let mut warnings = Vec::new();
    let (columns, layout) = columns::assign_roles(headers, &settings.roles, &mut warnings)?;
    columns::check_sources(headers, &layout)?;
    let z = match layout.limits() {
        Some(_) => Some(effects::ci_z(settings.ci_level_in)?),
        None => None,
    };
    let others: Vec<usize> = (0..columns.len())
        .filter(|&j| columns[j].role == Role::Other)
        .collect();

    let (mut labels, mut rows, mut yis, mut vis) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut given = Vec::new();
    let mut extra: Vec<ExtraColumn> = others
        .iter()
        .map(|&j| ExtraColumn {
            name: headers[j].clone(),
            cells: Vec::new(),
        })
        .collect();
    for row in &table.rows {
        let label = layout
            .study
            .map(|j| row.cells[j].as_str())
            .filter(|l| !l.is_empty());
        let who = match label {
            Some(label) => format!("row {} ({label})", row.number),
            None => format!("row {}", row.number),
        };
        match effects::row_effect(
            row,
            headers,
            &layout,
            table.decimal_comma,
            z,
            settings,
            &who,
        )? {
            effects::Outcome::Used { yi, vi, warning, source } => {
                labels.push(label.map_or_else(|| format!("Study {}", row.number), str::to_string));
                rows.push(row.number);
                yis.push(yi);
                vis.push(vi);
                warnings.extend(warning);
                for (column, &j) in extra.iter_mut().zip(&others) {
                    column.cells.push(row.cells[j].clone());
                }
                let cells = layout
                    .numeric()
                    .into_iter()
                    .filter_map(|j| match parse_number(&row.cells[j], table.decimal_comma) {
                        NumberCell::Number(value) => Some((
                            columns[j].role,
                            Typed { value, text: number::trim_cell(&row.cells[j]).to_string() },
                        )),
                        _ => None,
                    })
                    .collect();
                given.push(Given { source, cells });
            }
            effects::Outcome::Skipped(reason) => warnings.push(format!("{who} skipped: {reason}")),
        }
    }
    let studies = Studies::new(labels, rows, yis, vis, extra)?.with_given(given);
    Ok(Input {
        studies,
        columns,
        warnings,
    })
}
