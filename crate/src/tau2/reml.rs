//! Restricted maximum-likelihood estimator (the default).
//!
//! # Formula
//! Maximizes the restricted log-likelihood
//! −½ Σ log(vᵢ + τ²) − ½ log det(XᵀWX) − ½ Σ wᵢ (yᵢ − xᵢᵀβ̂)² over τ² ≥ 0 by Fisher scoring from
//! the Hedges estimate, as metafor does:
//!
//! τ² ← max(0, τ² + (yᵀPPy − tr P) / tr(PP)),  wᵢ = 1/(vᵢ + τ²),
//!
//! then τ² = 0 if the restricted likelihood is higher there (metafor's `ll0check`).
//!
//! # Reference
//! Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators in the
//! random-effects model. *JEBS* 30(3), 261–293. doi:10.3102/10769986030003261. Raudenbush SW
//! (2009), in *The Handbook of Research Synthesis and Meta-Analysis* (2nd ed.), ch. 16.
//! metafor `rma(method = "REML")`.

use super::{fisher_scoring, ll0_check, At, Data, Method, Tau2};
use crate::error::Error;

pub(super) fn tau2(data: &Data) -> Result<Tau2, Error> {
    let t = fisher_scoring(Method::REML, data, |fit: &At| fit.reml_step())?;
    ll0_check(data, t, true)
}
