//! The one error type. Its `Display` text reaches the screen as it is, so every message is plain
//! English and names the row, the column and the value where there is one.

use std::fmt;

/// Everything that can go wrong between the user's text and a report.
///
/// Rows are data rows counted from 1 (the header is not counted), as the page's table shows them.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The input has no text at all (or only blank lines).
    EmptyInput,
    /// The input has a header row but no data rows.
    HeaderOnly,
    /// The CSV reader could not read a row (for example an unterminated quote).
    Unreadable { row: usize, message: String },
    /// A data row has more cells than the header has columns.
    TooManyCells { row: usize, found: usize, expected: usize },
    /// Two header cells have the same name, or two columns give the same role.
    DuplicateColumn { column: String, other: String },
    /// The header lacks the columns needed to compute an effect and its precision.
    MissingColumns { message: String },
    /// A cell that must hold a number holds something else.
    NotANumber { row: usize, column: String, value: String },
    /// A cell holds NaN or an infinity.
    NotFinite { row: usize, column: String, value: String },
    /// A variance or standard error is zero or negative.
    NotPositive { row: usize, column: String, value: String },
    /// The lower confidence limit is not below the upper one.
    LimitsReversed { row: usize, lower: String, upper: String },
    /// The estimate lies outside its own confidence limits.
    EstimateOutsideCi { row: usize, value: String, lower: String, upper: String },
    /// A covariance of the paths a and b at least as large in size as the product of their
    /// standard errors (a correlation of ±1 or beyond).
    BadCovariance { row: usize, column: String, value: String, limit: f64 },
    /// A sampling variance (as given, or computed from the row) outside the range metapool
    /// works with, [`crate::studies::VARIANCE_RANGE`] (zero after underflow, infinite after overflow).
    BadVariance { row: usize, value: f64 },
    /// An effect larger in size than [`crate::studies::MAX_EFFECT`].
    EffectTooLarge { row: usize, value: f64 },
    /// A path (`a`, `b`) or its standard error (`sa`, `sb`) outside the range metapool works
    /// with ([`crate::input::PATH_LIMIT`]).
    OutOfRange { row: usize, column: String, value: String, range: String },
    /// Every data row was skipped for empty cells.
    NoStudies,
    /// An option has a value that is not one of the allowed ones.
    BadOption { option: String, value: String, allowed: String },
    /// A level (confidence level) is not strictly between 0 and 1.
    BadLevel { option: String, value: String },
    /// An option asks for an analysis that this build of the core leaves out: the page's first
    /// module is built without the `extras` feature, and loads the full core when it sees this.
    NeedsExtras { option: String },
    /// An iterative estimator did not converge.
    NotConverged { method: String, iterations: usize },
    /// A computation produced a number that is not finite (extreme inputs).
    Numerical { what: String },
    /// An option names a column the data does not have.
    UnknownColumn { option: String, name: String, available: String },
    /// Moderators that are linear combinations of each other (or constant).
    Collinear { names: String },
    /// A statistic the data leave undefined (metafor prints NA), with the reason.
    Undefined { what: String, why: String },
    /// Too few studies for the requested model.
    TooFewStudies { k: usize, needed: usize, what: String },
    /// A published result (`reproduce`) that cannot be read as an estimate with its limits.
    BadResult { option: String, text: String, problem: String },
}

impl Error {
    /// The data row the error is about, counted from 1, if any.
    pub fn row(&self) -> Option<usize> {
        match self {
            Error::Unreadable { row, .. }
            | Error::TooManyCells { row, .. }
            | Error::NotANumber { row, .. }
            | Error::NotFinite { row, .. }
            | Error::NotPositive { row, .. }
            | Error::LimitsReversed { row, .. }
            | Error::EstimateOutsideCi { row, .. }
            | Error::BadCovariance { row, .. }
            | Error::BadVariance { row, .. }
            | Error::EffectTooLarge { row, .. }
            | Error::OutOfRange { row, .. } => Some(*row),
            _ => None,
        }
    }

    /// Whether the error is [`Error::NeedsExtras`]: the same analysis in the full core works.
    pub fn needs_extras(&self) -> bool {
        matches!(self, Error::NeedsExtras { .. })
    }

    /// The column (as named in the header) the error is about, if any.
    pub fn column(&self) -> Option<&str> {
        match self {
            Error::NotANumber { column, .. }
            | Error::NotFinite { column, .. }
            | Error::NotPositive { column, .. }
            | Error::OutOfRange { column, .. }
            | Error::BadCovariance { column, .. }
            | Error::DuplicateColumn { column, .. } => Some(column),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::EmptyInput => write!(f, "the input is empty: give a header row and one row per study"),
            Error::HeaderOnly => write!(f, "the input has a header row but no studies below it"),
            Error::Unreadable { row, message } => write!(f, "row {row}: cannot read the row ({message})"),
            Error::TooManyCells { row, found, expected } => write!(
                f,
                "row {row}: has {found} cells but the header has {expected} columns"
            ),
            Error::DuplicateColumn { column, other } if column == other => {
                write!(f, "column '{column}' appears twice in the header")
            }
            Error::DuplicateColumn { column, other } => write!(
                f,
                "columns '{other}' and '{column}' give the same thing: keep one of them"
            ),
            Error::MissingColumns { message } => write!(f, "{message}"),
            Error::NotANumber { row, column, value } => write!(
                f,
                "row {row}, column {column}: expected a number, found '{value}'"
            ),
            Error::NotFinite { row, column, value } => write!(
                f,
                "row {row}, column {column}: expected a finite number, found '{value}'"
            ),
            Error::NotPositive { row, column, value } => write!(
                f,
                "row {row}, column {column}: expected a positive number, found '{value}'"
            ),
            Error::LimitsReversed { row, lower, upper } => write!(
                f,
                "row {row}: the lower limit '{lower}' is not below the upper limit '{upper}'"
            ),
            Error::EstimateOutsideCi { row, value, lower, upper } => write!(
                f,
                "row {row}: the estimate '{value}' lies outside its own confidence limits '{lower}' to '{upper}'"
            ),
            Error::BadCovariance { row, column, value, limit } => write!(
                f,
                "row {row}, column {column}: the covariance '{value}' of a and b must be smaller in size than sa·sb = {limit} (a correlation between -1 and 1)"
            ),
            Error::BadVariance { row, value } => write!(
                f,
                "row {row}: the sampling variance works out as {value:e}, outside the range metapool works with (1e-100 to 1e100, a standard error from 1e-50 to 1e50); rescale the effects (for example change units)"
            ),
            Error::OutOfRange { row, column, value, range } => write!(
                f,
                "row {row}, column {column}: '{value}' is outside the range metapool works with ({range}); rescale the effects (for example change units)"
            ),
            Error::Undefined { what, why } => write!(f, "{what} is undefined: {why}"),
            Error::EffectTooLarge { row, value } => write!(
                f,
                "row {row}: the effect works out as {value:e}, larger in size than metapool works with (1e100); rescale the effects (for example change units)"
            ),
            Error::NoStudies => write!(
                f,
                "no study has all the cells it needs: every row was skipped for empty cells"
            ),
            Error::BadOption { option, value, allowed } => write!(
                f,
                "unknown {option} '{value}': choose one of {allowed}"
            ),
            Error::NeedsExtras { option } => write!(
                f,
                "the option {option} needs metapool's full core, which this build leaves out"
            ),
            Error::BadLevel { option, value } => write!(
                f,
                "{option} must be a number between 0 and 1 (for example 0.95), found '{value}'"
            ),
            Error::NotConverged { method, iterations } => write!(
                f,
                "the {method} estimator of tau^2 did not converge after {iterations} iterations; try another method"
            ),
            Error::UnknownColumn { option, name, available } if available.is_empty() => write!(
                f,
                "{option}: there is no column '{name}' (the data has no columns besides the effects)"
            ),
            Error::UnknownColumn { option, name, available } => write!(
                f,
                "{option}: there is no column '{name}'; the columns that can be used are {available}"
            ),
            Error::Collinear { names } => write!(
                f,
                "the moderators {names} are redundant (constant, or combinations of each other) in the studies used: drop one"
            ),
            Error::TooFewStudies { k, needed, what } => write!(
                f,
                "{what} needs at least {needed} studies, but {k} have all the cells it uses"
            ),
            Error::BadResult { option, text, problem } => write!(
                f,
                "{option}: cannot read '{text}' as a pooled result: {problem}. Write it as papers print it, for example \u{2212}0.71 (\u{2212}1.06 to \u{2212}0.36), I\u{b2} = 92%"
            ),
            Error::Numerical { what } => write!(
                f,
                "the numbers are too extreme to compute {what}: rescale the effects (for example change units), or check for a study whose variance is millions of times smaller than the others'"
            ),
        }
    }
}

impl std::error::Error for Error {}
