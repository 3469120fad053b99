//! Subgroup analysis: a separate fit per subgroup, and the test for subgroup differences.
//!
//! # Formulas
//! Each subgroup g is fitted on its own with the chosen method (its own τ²_g), giving μ̂_g and
//! SE_g (the Knapp–Hartung SE under `hksj`). The test for subgroup differences is the
//! common-effect Q of those G estimates: Q_between = Σ (μ̂_g − μ̂_w)²/SE_g², μ̂_w the
//! inverse-variance mean, df = G − 1, χ² p-value (metafor: `rma(est, sei = se, method = "FE")`
//! on the subgroup fits).
//!
//! Rows with an empty group cell are left out of the subgroups (with a warning) but stay in the
//! overall fit. Subgroups are listed in sorted order of their names.
//!
//! # Reference
//! Borenstein M, Hedges LV, Higgins JPT, Rothstein HR (2009). *Introduction to Meta-Analysis*,
//! ch. 19 (separate estimates of τ²). Wiley.

use crate::dist;
use crate::error::Error;
use crate::input::{parse_number, NumberCell};
use crate::model::{self, Fit, Settings};
use crate::studies::Studies;

/// One subgroup's fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Subgroup {
    pub name: String,
    /// Indices (into the studies) of its members.
    pub members: Vec<usize>,
    pub fit: Fit,
}

/// Test for subgroup differences.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubgroupTest {
    pub q: f64,
    pub df: usize,
    pub p: Option<f64>,
}

/// All subgroups and the test between them.
#[derive(Debug, Clone, PartialEq)]
pub struct Subgroups {
    pub column: String,
    pub groups: Vec<Subgroup>,
    /// `None` with fewer than two subgroups, or when a subgroup has no SE (hksj with k = 1).
    pub test: Option<SubgroupTest>,
    pub warnings: Vec<String>,
}

/// Fits each subgroup defined by the column `by`.
///
/// # Errors
/// [`Error::UnknownColumn`] when `by` is not a column; estimator failures in a subgroup.
pub fn fit(studies: &Studies, by: &str, settings: &Settings) -> Result<Subgroups, Error> {
    let col = studies
        .extra()
        .iter()
        .find(|c| c.name == by || c.name.eq_ignore_ascii_case(by))
        .ok_or_else(|| Error::UnknownColumn {
            option: "by".into(),
            name: by.into(),
            available: studies.extra().iter().map(|c| c.name.clone()).collect::<Vec<_>>().join(", "),
        })?;
    let mut warnings = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for i in 0..studies.k() {
        let cell = col.cells[i].as_str();
        if parse_number(cell, true) == NumberCell::Empty {
            warnings.push(format!(
                "row {} ({}) left out of the subgroups: empty cell in {}",
                studies.rows()[i],
                studies.labels()[i],
                col.name
            ));
        } else if !names.contains(&cell) {
            names.push(cell);
        }
    }
    names.sort_unstable();
    let mut groups = Vec::new();
    for name in names {
        let members: Vec<usize> = (0..studies.k()).filter(|&i| col.cells[i] == name).collect();
        let sub = studies.subset(&members);
        let fit = model::fit(&sub, settings)?;
        for w in &fit.warnings {
            warnings.push(format!("subgroup {name}: {w}"));
        }
        groups.push(Subgroup { name: name.to_string(), members, fit });
    }
    let test = between_test(&groups);
    Ok(Subgroups { column: col.name.clone(), groups, test, warnings })
}

fn between_test(groups: &[Subgroup]) -> Option<SubgroupTest> {
    if groups.len() < 2 {
        return None;
    }
    let est: Vec<(f64, f64)> = groups
        .iter()
        .map(|g| g.fit.pooled.se.filter(|se| *se > 0.0).map(|se| (g.fit.pooled.estimate, 1.0 / (se * se))))
        .collect::<Option<_>>()?;
    let sum_w: f64 = est.iter().map(|(_, w)| w).sum();
    let mean = est.iter().map(|(e, w)| e * w).sum::<f64>() / sum_w;
    let q = est.iter().map(|(e, w)| w * (e - mean).powi(2)).sum::<f64>();
    let df = groups.len() - 1;
    Some(SubgroupTest { q, df, p: Some(dist::pchisq_upper(q, df as f64)) })
}
