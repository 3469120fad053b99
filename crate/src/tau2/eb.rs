//! Empirical Bayes estimator.
//!
//! # Formula
//! Iterates, as metafor does, from the Hedges estimate:
//!
//! τ² ← max(0, τ² + (yᵀPy · k/(k − p) − k) / Σwᵢ),  wᵢ = 1/(vᵢ + τ²).
//!
//! At convergence yᵀPy = k − p, so the estimate equals Paule–Mandel's (Viechtbauer et al. 2015).
//!
//! # Reference
//! Morris CN (1983). Parametric empirical Bayes inference: theory and applications. *JASA* 78(381),
//! 47–55. Berkey CS, et al. (1995). *Statistics in Medicine* 14(4), 395–411. metafor
//! `rma(method = "EB")`.

use super::{fisher_scoring, Data, Method, Tau2};
use crate::error::Error;

pub(super) fn tau2(data: &Data) -> Result<Tau2, Error> {
    let k = data.k() as f64;
    let df = data.df() as f64;
    fisher_scoring(Method::EB, data, |fit| fit.eb_step(k, df))
}
