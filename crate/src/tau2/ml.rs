//! Maximum-likelihood estimator.
//!
//! # Formula
//! Maximizes the log-likelihood −½ Σ log(vᵢ + τ²) − ½ Σ wᵢ (yᵢ − xᵢᵀβ̂)² over τ² ≥ 0 by Fisher
//! scoring from the Hedges estimate, as metafor does:
//!
//! τ² ← max(0, τ² + (yᵀPPy − Σwᵢ) / Σwᵢ²),  wᵢ = 1/(vᵢ + τ²),
//!
//! then τ² = 0 if the likelihood is higher there (metafor's `ll0check`).
//!
//! # Reference
//! Hardy RJ, Thompson SG (1996). A likelihood approach to meta-analysis with random effects.
//! *Statistics in Medicine* 15(6), 619–629. Viechtbauer W (2005). Bias and efficiency of
//! meta-analytic variance estimators in the random-effects model. *JEBS* 30(3), 261–293.
//! doi:10.3102/10769986030003261. metafor `rma(method = "ML")`.

use super::{fisher_scoring, ll0_check, At, Data, Method, Tau2};
use crate::error::Error;

pub(super) fn tau2(data: &Data) -> Result<Tau2, Error> {
    let t = fisher_scoring(Method::ML, data, |fit: &At| fit.ml_step())?;
    ll0_check(data, t, false)
}
