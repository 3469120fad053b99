//! Hedges (variance-components) estimator.
//!
//! # Formula
//! With the ordinary least-squares residual sum of squares RSS = yᵀ(I − X(XᵀX)⁻¹Xᵀ)y and
//! P₀ = I − X(XᵀX)⁻¹Xᵀ:
//!
//! τ̂² = max(0, (RSS − tr(P₀V)) / (k − p)),  for p = 1: Σ(yᵢ − ȳ)²/(k − 1) − mean(vᵢ).
//!
//! It is also the starting value metafor uses for ML, REML and EB.
//!
//! # Reference
//! Hedges LV (1983). A random effects model for effect sizes. *Psychological Bulletin* 93(2),
//! 388–395. doi:10.1037/0033-2909.93.2.388. metafor `rma(method = "HE")`.

use super::{Problem, Tau2};
use crate::error::Error;
use crate::wls::Wls;

pub(super) fn tau2(problem: &Problem) -> Result<Tau2, Error> {
    let ols = Wls::fit(problem.design, problem.y, vec![1.0; problem.k()])?;
    let rss = ols.rss();
    // tr(P₀V) = Σ vᵢ (1 − hᵢ) with hᵢ the OLS leverages xᵢᵀ(XᵀX)⁻¹xᵢ.
    let p = problem.design.p();
    let cols: Vec<&[f64]> = (0..p).map(|j| problem.design.column(j)).collect();
    let tr_pv: f64 = (0..problem.k())
        .map(|i| {
            let mut h = 0.0;
            for a in 0..p {
                for b in 0..p {
                    h += cols[a][i] * ols.a_inv[(a, b)] * cols[b][i];
                }
            }
            problem.v[i] * (1.0 - h)
        })
        .sum();
    Ok(Tau2::closed((rss - tr_pv) / problem.df() as f64))
}
