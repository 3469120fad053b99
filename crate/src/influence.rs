//! Leave-one-out analysis and influence diagnostics, as metafor's `leave1out()` and
//! `influence()` for models without moderators.
//!
//! # Formulas
//! The model is refitted without study i (same estimator and CI type), giving μ̂₍₋ᵢ₎, its
//! variance Var₍₋ᵢ₎ (× s²₍₋ᵢ₎ under Knapp–Hartung), τ̂²₍₋ᵢ₎, Q₍₋ᵢ₎ and s²₍₋ᵢ₎ (1 under `z`).
//! With the full model's μ̂, Var(μ̂) and hat value hᵢ = wᵢ/Σwⱼ (wᵢ = 1/(vᵢ + τ̂²)):
//! - studentized deleted residual: (yᵢ − μ̂₍₋ᵢ₎) / √(vᵢ·s²₍₋ᵢ₎ + Var₍₋ᵢ₎ + τ̂²₍₋ᵢ₎·s²₍₋ᵢ₎)
//! - DFFITS: (μ̂ − μ̂₍₋ᵢ₎) / √(s²₍₋ᵢ₎ · hᵢ · (τ̂²₍₋ᵢ₎ + vᵢ))
//! - DFBETAS: (μ̂ − μ̂₍₋ᵢ₎) / √(s²₍₋ᵢ₎ / Σⱼ 1/(vⱼ + τ̂²₍₋ᵢ₎))
//! - Cook's distance: (μ̂ − μ̂₍₋ᵢ₎)² / Var(μ̂)
//! - covariance ratio: Var₍₋ᵢ₎ / Var(μ̂)
//! - a study is flagged influential when |DFFITS| > 3√(p/(k − p)), P(χ²₁ ≤ Cook's D) > 0.5,
//!   hᵢ > 3p/k, or |DFBETAS| > 1 (p = 1).
//!
//! # Reference
//! Viechtbauer W, Cheung MW-L (2010). Outlier and influence diagnostics for meta-analysis.
//! *Research Synthesis Methods* 1(2), 112–125. doi:10.1002/jrsm.11

use crate::dist;
use crate::error::Error;
use crate::model::{self, CiType, Fit, Settings};
use crate::studies::Studies;

/// The fit without one study, with that study's influence diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub struct Deleted {
    /// Index of the left-out study.
    pub index: usize,
    /// The model fitted to the other k − 1 studies.
    pub fit: Fit,
    pub rstudent: Option<f64>,
    pub dffits: Option<f64>,
    pub dfbetas: Option<f64>,
    pub cook_d: Option<f64>,
    pub cov_r: Option<f64>,
    pub hat: f64,
    /// Weight of the study in the full model, percent.
    pub weight: f64,
    pub influential: bool,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Scale factor s² of the Knapp–Hartung method (1 under `z`), from a fit's SE and its
/// unscaled variance 1/Σwᵢ.
fn s2(fit: &Fit, v: &[f64]) -> f64 {
    if fit.settings.ci == CiType::Z {
        return 1.0;
    }
    let sum_w: f64 = v.iter().map(|vi| 1.0 / (vi + fit.tau2.value)).sum();
    fit.pooled.se.map_or(f64::NAN, |se| se * se * sum_w)
}

/// Leave-one-out fits with influence diagnostics, in input order. Needs k ≥ 2.
///
/// # Errors
/// [`Error::TooFewStudies`] with k = 1; estimator failures in a reduced fit.
pub fn leave_one_out(studies: &Studies, full: &Fit, settings: &Settings) -> Result<Vec<Deleted>, Error> {
    let k = studies.k();
    if k < 2 {
        return Err(Error::TooFewStudies { k, needed: 2, what: "a leave-one-out analysis".into() });
    }
    let (y, v) = (studies.yi(), studies.vi());
    let var_full = full.pooled.se.map_or(f64::NAN, |se| se * se);
    let w: Vec<f64> = v.iter().map(|vi| 1.0 / (vi + full.tau2.value)).collect();
    let sum_w: f64 = w.iter().sum();
    let p = 1.0;
    let mut out = Vec::with_capacity(k);
    for i in 0..k {
        let others: Vec<usize> = (0..k).filter(|&j| j != i).collect();
        let reduced = studies.subset(&others);
        let fit = model::fit(&reduced, settings)?;
        let t2 = fit.tau2.value;
        let s2_del = s2(&fit, reduced.vi());
        let var_del = fit.pooled.se.map_or(f64::NAN, |se| se * se);
        let diff = full.pooled.estimate - fit.pooled.estimate;
        let hat = w[i] / sum_w;
        let mut resid = y[i] - fit.pooled.estimate;
        if resid.abs() < 100.0 * f64::EPSILON {
            resid = 0.0;
        }
        let rstudent = resid / (v[i] * s2_del + var_del + t2 * s2_del).sqrt();
        let dffits = diff / (s2_del * hat * (t2 + v[i])).sqrt();
        let vb_del = 1.0 / v.iter().map(|vj| 1.0 / (vj + t2)).sum::<f64>();
        let dfbetas = diff / (s2_del * vb_del).sqrt();
        let cook_d = diff * diff / var_full;
        let cov_r = var_del / var_full;
        let kf = k as f64;
        let influential = dffits.abs() > 3.0 * (p / (kf - p)).sqrt()
            || (cook_d.is_finite() && 1.0 - dist::pchisq_upper(cook_d, 1.0) > 0.5)
            || hat > 3.0 * p / kf
            || dfbetas.abs() > 1.0;
        out.push(Deleted {
            index: i,
            fit,
            rstudent: finite(rstudent),
            dffits: finite(dffits),
            dfbetas: finite(dfbetas),
            cook_d: finite(cook_d),
            cov_r: finite(cov_r),
            hat,
            weight: full.weights[i],
            influential,
        });
    }
    Ok(out)
}

/// Cumulative meta-analysis: the fit to the first 1, 2, …, k studies in `order` (indices into
/// the studies), as metafor's `cumul()`.
///
/// # Errors
/// Estimator failures in a partial fit.
pub fn cumulative(studies: &Studies, order: &[usize], settings: &Settings) -> Result<Vec<(usize, Fit)>, Error> {
    (1..=order.len())
        .map(|n| Ok((order[n - 1], model::fit(&studies.subset(&order[..n]), settings)?)))
        .collect()
}

/// The order of the studies sorted by a column (numbers numerically if every cell is a number,
/// else text; empty cells last; ties keep the input order).
///
/// # Errors
/// [`Error::UnknownColumn`] when `column` is not a column of the data.
pub fn order_by(studies: &Studies, column: &str) -> Result<Vec<usize>, Error> {
    use crate::input::{parse_number, NumberCell};
    let col = studies
        .extra()
        .iter()
        .find(|c| c.name == column || c.name.eq_ignore_ascii_case(column))
        .ok_or_else(|| Error::UnknownColumn {
            option: "cumulative-by".into(),
            name: column.into(),
            available: studies.extra().iter().map(|c| c.name.clone()).collect::<Vec<_>>().join(", "),
        })?;
    let cells: Vec<NumberCell> = col.cells.iter().map(|c| parse_number(c, true)).collect();
    let numeric = cells.iter().all(|c| matches!(c, NumberCell::Number(_) | NumberCell::Empty));
    let mut order: Vec<usize> = (0..studies.k()).collect();
    order.sort_by(|&a, &b| {
        let empty = |i: usize| cells[i] == NumberCell::Empty;
        empty(a).cmp(&empty(b)).then_with(|| match (numeric, &cells[a], &cells[b]) {
            (true, NumberCell::Number(x), NumberCell::Number(y)) => x.total_cmp(y),
            _ => col.cells[a].cmp(&col.cells[b]),
        })
    });
    Ok(order)
}
