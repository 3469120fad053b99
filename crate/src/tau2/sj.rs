//! Sidik–Jonkman estimator, as metafor defines it.
//!
//! # Formula
//! Start from τ̂₀² = Σ(yᵢ − ȳ)²/k (the variance of the effects with divisor k, ignoring
//! moderators), weight by wᵢ = 1/(vᵢ + τ̂₀²), and with P at those weights:
//!
//! τ̂² = τ̂₀² · yᵀPy / (k − p).
//!
//! This is never truncated (it is positive unless all effects are equal).
//!
//! # Reference
//! Sidik K, Jonkman JN (2005). Simple heterogeneity variance estimation for meta-analysis.
//! *JRSS C* 54(2), 367–384. doi:10.1111/j.1467-9876.2005.00489.x. metafor `rma(method = "SJ")`.

use super::{Problem, Tau2};
use crate::error::Error;
use crate::wls::Wls;

pub(super) fn tau2(problem: &Problem) -> Result<Tau2, Error> {
    let k = problem.k() as f64;
    // Deviations from the first effect first, so that equal effects give exactly 0 (no rounding
    // residue from the mean), which also keeps precision when the effects are large.
    let origin = problem.y[0];
    let mean_dev = problem.y.iter().map(|y| y - origin).sum::<f64>() / k;
    let tau2_0 = problem.y.iter().map(|y| (y - origin - mean_dev).powi(2)).sum::<f64>() / k;
    let fit = Wls::at_tau2(problem.design, problem.y, problem.v, tau2_0)?;
    Ok(Tau2::closed(tau2_0 * fit.rss() / problem.df() as f64))
}
