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

use super::{Data, Tau2};
use crate::error::Error;

pub(super) fn tau2(data: &Data) -> Result<Tau2, Error> {
    let tau2_0 = match data {
        Data::Intercept(e) => variance(e.ys()),
        Data::Design { y, .. } => variance(y.iter().copied()),
    };
    let fit = data.at(tau2_0)?;
    Ok(Tau2::closed(tau2_0 * fit.rss() / data.df() as f64))
}

/// Σ(yᵢ − ȳ)²/k. Deviations from the first effect first, so that equal effects give exactly 0
/// (no rounding residue from the mean), which also keeps precision when the effects are large.
fn variance(ys: impl Iterator<Item = f64> + Clone) -> f64 {
    let mut all = ys.clone();
    let origin = all.next().expect("at least one study");
    let k = 1 + all.count();
    let mean_dev = ys.clone().map(|y| y - origin).sum::<f64>() / k as f64;
    ys.map(|y| (y - origin - mean_dev).powi(2)).sum::<f64>() / k as f64
}
