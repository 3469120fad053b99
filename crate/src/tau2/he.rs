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

use super::{Data, Tau2};
use crate::error::Error;
use crate::wls::Wls;

pub(super) fn tau2(data: &Data) -> Result<Tau2, Error> {
    let (rss, tr_pv) = match data {
        Data::Intercept(e) => {
            // hᵢ = 1/k: RSS = Σ(yᵢ − ȳ)², tr(P₀V) = (1 − 1/k) Σvᵢ.
            let k = e.k() as f64;
            let mean = e.ys().sum::<f64>() / k;
            let rss = e.ys().map(|y| (y - mean) * (y - mean)).sum::<f64>();
            (rss, e.vs().sum::<f64>() * (1.0 - 1.0 / k))
        }
        Data::Design { y, v, design, .. } => {
            let ols = Wls::fit(design, y, vec![1.0; y.len()])?;
            // tr(P₀V) = Σ vᵢ (1 − hᵢ) with hᵢ the OLS leverages xᵢᵀ(XᵀX)⁻¹xᵢ.
            let p = design.p();
            let cols: Vec<&[f64]> = (0..p).map(|j| design.column(j)).collect();
            let tr_pv: f64 = (0..y.len())
                .map(|i| {
                    let mut h = 0.0;
                    for a in 0..p {
                        for b in 0..p {
                            h += cols[a][i] * ols.a_inv[(a, b)] * cols[b][i];
                        }
                    }
                    v[i] * (1.0 - h)
                })
                .sum();
            (ols.rss(), tr_pv)
        }
    };
    Ok(Tau2::closed((rss - tr_pv) / data.df() as f64))
}
