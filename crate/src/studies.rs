//! The validated set of studies every computation works on.

use crate::error::Error;

/// A column of the input that is neither an effect nor its precision, kept for subgroups and
/// moderators. `cells[i]` belongs to study `i` (the cell as typed, trimmed).
#[derive(Debug, Clone, PartialEq)]
pub struct ExtraColumn {
    pub name: String,
    pub cells: Vec<String>,
}

/// Studies with finite effects and positive finite sampling variances, at least one of them.
///
/// Built only through [`Studies::new`], so code that receives a `Studies` needs no checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Studies {
    labels: Vec<String>,
    rows: Vec<usize>,
    yi: Vec<f64>,
    vi: Vec<f64>,
    extra: Vec<ExtraColumn>,
}

impl Studies {
    /// Checks the invariants once. `rows` are the data-row numbers (from 1) the studies came from,
    /// used in messages.
    ///
    /// # Errors
    /// [`Error::NoStudies`] when there are none, [`Error::NotFinite`] for a non-finite effect and
    /// [`Error::BadVariance`] for a variance that is not positive and finite.
    ///
    /// # Panics
    /// When the vectors differ in length (a programming error, not a user error).
    pub fn new(
        labels: Vec<String>,
        rows: Vec<usize>,
        yi: Vec<f64>,
        vi: Vec<f64>,
        extra: Vec<ExtraColumn>,
    ) -> Result<Self, Error> {
        assert!(
            labels.len() == yi.len() && rows.len() == yi.len() && vi.len() == yi.len(),
            "Studies::new needs vectors of equal length"
        );
        assert!(extra.iter().all(|c| c.cells.len() == yi.len()), "extra columns must match k");
        if yi.is_empty() {
            return Err(Error::NoStudies);
        }
        for i in 0..yi.len() {
            if !yi[i].is_finite() {
                return Err(Error::NotFinite {
                    row: rows[i],
                    column: "yi".into(),
                    value: yi[i].to_string(),
                });
            }
            if !(vi[i].is_finite() && vi[i] > 0.0) {
                return Err(Error::BadVariance { row: rows[i], value: vi[i] });
            }
        }
        Ok(Studies { labels, rows, yi, vi, extra })
    }

    /// Convenience for tests and examples: default labels "Study 1", … and rows 1, 2, ….
    pub fn from_effects(yi: &[f64], vi: &[f64]) -> Result<Self, Error> {
        let k = yi.len();
        Studies::new(
            (1..=k).map(|i| format!("Study {i}")).collect(),
            (1..=k).collect(),
            yi.to_vec(),
            vi.to_vec(),
            Vec::new(),
        )
    }

    /// The studies at `indices` (in that order), with their extra columns.
    ///
    /// # Panics
    /// When `indices` is empty or out of range (callers pick members of this set).
    pub fn subset(&self, indices: &[usize]) -> Studies {
        assert!(!indices.is_empty(), "a subset has at least one study");
        let pick = |v: &[f64]| indices.iter().map(|&i| v[i]).collect::<Vec<_>>();
        Studies {
            labels: indices.iter().map(|&i| self.labels[i].clone()).collect(),
            rows: indices.iter().map(|&i| self.rows[i]).collect(),
            yi: pick(&self.yi),
            vi: pick(&self.vi),
            extra: self
                .extra
                .iter()
                .map(|c| ExtraColumn {
                    name: c.name.clone(),
                    cells: indices.iter().map(|&i| c.cells[i].clone()).collect(),
                })
                .collect(),
        }
    }

    /// Number of studies (at least 1).
    pub fn k(&self) -> usize {
        self.yi.len()
    }
    pub fn yi(&self) -> &[f64] {
        &self.yi
    }
    pub fn vi(&self) -> &[f64] {
        &self.vi
    }
    pub fn labels(&self) -> &[String] {
        &self.labels
    }
    pub fn rows(&self) -> &[usize] {
        &self.rows
    }
    pub fn extra(&self) -> &[ExtraColumn] {
        &self.extra
    }
}
