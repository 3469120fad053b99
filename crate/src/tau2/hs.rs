//! Hunter–Schmidt estimator, as metafor defines it.
//!
//! # Formula
//! With wᵢ = 1/vᵢ and Q the fixed-effect heterogeneity statistic:
//!
//! τ̂² = max(0, (Q − k) / Σwᵢ).
//!
//! Note the `k` (not k − p) and the `Σwᵢ` (not tr P): this is metafor's definition (Viechtbauer
//! et al. 2015), which differs from the "bare-bones" variance decomposition some tools use.
//!
//! # Reference
//! Hunter JE, Schmidt FL (2004). *Methods of Meta-Analysis* (2nd ed.). Sage. As implemented in
//! metafor `rma(method = "HS")`; see Viechtbauer W, et al. (2015), *Research Synthesis Methods*
//! 6(4), 306–322, doi:10.1002/jrsm.1150.

use super::{Problem, Tau2};
use crate::error::Error;
use crate::wls::Wls;

pub(super) fn tau2(problem: &Problem) -> Result<Tau2, Error> {
    let fit = Wls::at_tau2(problem.design, problem.y, problem.v, 0.0)?;
    Ok(Tau2::closed((fit.rss() - problem.k() as f64) / fit.sum_w()))
}
