//! Heterogeneity: Cochran's Q, I², H², and Q-profile confidence intervals for τ², I² and H².
//!
//! # Formulas (as metafor's `rma.uni()` and `confint()`)
//! - Q = Σ wᵢ (yᵢ − xᵢᵀβ̂)² with wᵢ = 1/vᵢ; df = k − p; p-value from χ²(k − p).
//! - Typical within-study variance ṽ = (k − p) / tr(P) with P at wᵢ = 1/vᵢ
//!   (for p = 1: (k − 1) Σwᵢ / ((Σwᵢ)² − Σwᵢ²); Higgins & Thompson 2002).
//! - Random effects: I² = 100 τ²/(ṽ + τ²), H² = 1 + τ²/ṽ.
//!   Common effect: I² = max(0, 100 (Q − df)/Q), H² = Q/df.
//! - Q-profile CI for τ² (Viechtbauer 2007): the generalized Q(τ²) = Σ (yᵢ − xᵢᵀβ̂(τ²))²/(vᵢ + τ²)
//!   decreases in τ²; the lower limit solves Q(τ²) = χ²_{df; 1−α/2} and the upper limit solves
//!   Q(τ²) = χ²_{df; α/2}, each 0 when Q(0) is already below the critical value. The limits for
//!   I² and H² follow by putting the τ² limits into the formulas above.
//!
//! # References
//! Cochran WG (1954). *Biometrics* 10(1), 101–129. Higgins JPT, Thompson SG (2002). Quantifying
//! heterogeneity in a meta-analysis. *Statistics in Medicine* 21(11), 1539–1558.
//! doi:10.1002/sim.1186. Viechtbauer W (2007). Confidence intervals for the amount of
//! heterogeneity in meta-analysis. *Statistics in Medicine* 26(1), 37–52. doi:10.1002/sim.2514.

use crate::dist;
use crate::error::Error;
use crate::tau2::{Data, Problem};

/// The generalized Q statistic at τ²: Σ wᵢ (yᵢ − xᵢᵀβ̂)², wᵢ = 1/(vᵢ + τ²).
pub fn generalized_q(problem: &Problem, tau2: f64) -> Result<f64, Error> {
    let data = Data::new(problem);
    Ok(data.at(tau2 / data.c2())?.rss())
}

/// Cochran's Q with its test, and ṽ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QTest {
    pub q: f64,
    pub df: usize,
    /// Upper-tail χ² probability; `None` when df = 0.
    pub p: Option<f64>,
    /// Typical within-study variance ṽ; `None` when df = 0.
    pub typical_v: Option<f64>,
}

/// Cochran's Q test of heterogeneity at fixed-effect weights.
pub fn q_test(problem: &Problem) -> Result<QTest, Error> {
    let df = problem.df();
    if df == 0 {
        return Ok(QTest { q: 0.0, df, p: None, typical_v: None });
    }
    // Q is the same on the data's scale c; ṽ is a variance (times c²).
    let data = Data::new(problem);
    let fit = data.at(0.0)?;
    let q = fit.rss().max(0.0);
    let typical_v = typical_v(df, fit.trace_p() / data.c2())?;
    Ok(QTest { q, df, p: Some(dist::pchisq_upper(q, df as f64)), typical_v: Some(typical_v) })
}

/// The typical within-study variance ṽ = df / tr(P).
///
/// # Errors
/// [`Error::Numerical`] when it is not a positive finite number (tr(P) lost to rounding, which
/// only moderators with one study vastly more precise than the rest can cause).
pub fn typical_v(df: usize, trace_p: f64) -> Result<f64, Error> {
    let vt = df as f64 / trace_p;
    if vt.is_finite() && vt > 0.0 {
        Ok(vt)
    } else {
        Err(Error::Numerical { what: "the typical within-study variance (for I^2 and H^2)".into() })
    }
}

/// I² (percent) under a random-effects model with τ².
pub fn i2(tau2: f64, typical_v: f64) -> f64 {
    100.0 * tau2 / (typical_v + tau2)
}

/// H² under a random-effects model with τ².
pub fn h2(tau2: f64, typical_v: f64) -> f64 {
    1.0 + tau2 / typical_v
}

/// I² (percent) under the common-effect model, from Q.
pub fn i2_from_q(q: f64, df: usize) -> f64 {
    let r = 100.0 * (q - df as f64) / q;
    if r.is_nan() {
        0.0
    } else {
        r.max(0.0)
    }
}

/// Q-profile confidence interval for τ² at `level` (e.g. 0.95). Needs df ≥ 1.
///
/// Each limit is a root of Q(τ²) = critical value, found by Newton's method on 1/Q with Brent's
/// method as the fallback (`tau2::solve_q_equals`); without moderators every evaluation is two
/// passes over the studies that allocate nothing (`tau2::intercept`).
pub fn tau2_ci(problem: &Problem, level: f64) -> Result<(f64, f64), Error> {
    let df = problem.df() as f64;
    let alpha = 1.0 - level;
    let crit_for_lower = dist::qchisq(1.0 - alpha / 2.0, df);
    let crit_for_upper = dist::qchisq(alpha / 2.0, df);
    let what = "the Q-profile interval for tau^2";
    let data = Data::new(problem);
    let lower = crate::tau2::solve_q_equals(&data, crit_for_lower, what)?;
    let upper = crate::tau2::solve_q_equals(&data, crit_for_upper, what)?;
    // The roots are on the data's scale c (see tau2::Data).
    Ok((lower * data.c2(), upper * data.c2()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i2_from_q_is_zero_below_df_and_for_q_zero() {
        assert_eq!(i2_from_q(3.0, 5), 0.0);
        assert_eq!(i2_from_q(0.0, 5), 0.0);
        assert!((i2_from_q(20.0, 10) - 50.0).abs() < 1e-12);
    }
}
