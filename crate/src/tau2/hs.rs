//! Hunter–Schmidt estimator, as metafor defines it.
//!
//! # Formula
//! With wᵢ = 1/vᵢ and Q the fixed-effect heterogeneity statistic:
//!
//! τ̂² = max(0, (Q − k) / Σwᵢ).
//!
//! Note the `k` (not k − p) and the `Σwᵢ` (not tr P): this is metafor's general version of the
//! estimator (Viechtbauer 2005; Viechtbauer et al. 2015), which differs from the "bare-bones"
//! variance decomposition for correlations that some tools use.
//!
//! # Reference
//! Hunter JE, Schmidt FL (1990). *Methods of Meta-Analysis*. Sage. Viechtbauer W, López-López JA,
//! Sánchez-Meca J, Marín-Martínez F (2015). A comparison of procedures to test for moderators in
//! mixed-effects meta-regression models. *Psychological Methods* 20(3), 360–374.
//! doi:10.1037/met0000023. metafor `rma(method = "HS")`.

use super::{Data, Tau2};
use crate::error::Error;

pub(super) fn tau2(data: &Data) -> Result<Tau2, Error> {
    let fit = data.at(0.0)?;
    Ok(Tau2::closed((fit.rss() - data.k() as f64) / fit.sum_w()))
}
