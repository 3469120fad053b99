//! The validated set of studies every computation works on.

use crate::error::Error;
use crate::input::Role;
use std::collections::BTreeMap;

/// Which cells gave a study its effect and variance: the first complete source of its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `yi` and `vi`.
    Variance,
    /// `yi` and `sei`.
    StdError,
    /// `yi`, `lower` and `upper`.
    Limits,
    /// The mediation paths `a`, `sa`, `b`, `sb`.
    Paths,
}

/// A number as the input gave it: its value and the cell's text as typed (trimmed).
#[derive(Debug, Clone, PartialEq)]
pub struct Typed {
    pub value: f64,
    pub text: String,
}

/// What the row of one study gave: the source its effect came from, and every filled-in cell of
/// an effect or precision column (used or not), by role. Analyses that go back to the input
/// (rounding, the rules for asymmetric limits, the pooled paths) read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Given {
    pub source: Source,
    pub cells: BTreeMap<Role, Typed>,
}

impl Given {
    /// The value of the cell with this role, if the row filled it in.
    pub fn value(&self, role: Role) -> Option<f64> {
        self.cells.get(&role).map(|t| t.value)
    }

    /// The paths `[a, sa, b, sb]` when the row gives all four.
    pub fn paths(&self) -> Option<[f64; 4]> {
        Some([
            self.value(Role::A)?,
            self.value(Role::Sa)?,
            self.value(Role::B)?,
            self.value(Role::Sb)?,
        ])
    }
}

/// A column of the input that is neither an effect nor its precision, kept for subgroups and
/// moderators. `cells[i]` belongs to study `i` (the cell as typed, trimmed).
#[derive(Debug, Clone, PartialEq)]
pub struct ExtraColumn {
    pub name: String,
    pub cells: Vec<String>,
}

/// The sampling variances metapool accepts: from 1e-100 to 1e100 (standard errors from 1e-50 to
/// 1e50). Within this range no weight 1/(vᵢ + τ²), nor its square or cube summed over a
/// million studies, can overflow or underflow; docs/reliability.md gives the reasons.
pub const VARIANCE_RANGE: (f64, f64) = (1e-100, 1e100);

/// The largest effect in size that metapool accepts, so that squared residuals stay finite.
pub const MAX_EFFECT: f64 = 1e100;

/// Studies with effects at most [`MAX_EFFECT`] in size and sampling variances within
/// [`VARIANCE_RANGE`], at least one of them.
///
/// Built only through [`Studies::new`], so code that receives a `Studies` needs no checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Studies {
    labels: Vec<String>,
    rows: Vec<usize>,
    yi: Vec<f64>,
    vi: Vec<f64>,
    extra: Vec<ExtraColumn>,
    /// What each row gave (empty when the studies were not read from text).
    given: Vec<Given>,
}

impl Studies {
    /// Checks the invariants once. `rows` are the data-row numbers (from 1) the studies came from,
    /// used in messages.
    ///
    /// # Errors
    /// [`Error::NoStudies`] when there are none, [`Error::NotFinite`] for a non-finite effect,
    /// [`Error::EffectTooLarge`] for an effect beyond [`MAX_EFFECT`] and [`Error::BadVariance`]
    /// for a variance outside [`VARIANCE_RANGE`].
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
            if yi[i].abs() > MAX_EFFECT {
                return Err(Error::EffectTooLarge { row: rows[i], value: yi[i] });
            }
            // A few ulps of slack, so that a standard error of exactly 1e-50 or 1e50 passes.
            let slack = 1.0 + 4.0 * f64::EPSILON;
            if !(vi[i] * slack >= VARIANCE_RANGE.0 && vi[i] <= VARIANCE_RANGE.1 * slack) {
                return Err(Error::BadVariance { row: rows[i], value: vi[i] });
            }
        }
        Ok(Studies { labels, rows, yi, vi, extra, given: Vec::new() })
    }

    /// The same studies with what each row gave in the input (one [`Given`] per study).
    ///
    /// # Panics
    /// When `given` does not have one entry per study.
    pub fn with_given(mut self, given: Vec<Given>) -> Self {
        assert_eq!(given.len(), self.k(), "one Given per study");
        self.given = given;
        self
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
            given: if self.given.is_empty() {
                Vec::new()
            } else {
                indices.iter().map(|&i| self.given[i].clone()).collect()
            },
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
    /// What each row gave in the input, one per study; `None` for studies not read from text.
    pub fn given(&self) -> Option<&[Given]> {
        (!self.given.is_empty()).then_some(self.given.as_slice())
    }
}
