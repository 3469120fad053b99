//! Paule–Mandel estimator.
//!
//! # Formula
//! The τ² at which the generalized Q statistic equals its expected value:
//!
//! Q(τ²) = Σ wᵢ(τ²) (yᵢ − xᵢᵀβ̂(τ²))² = k − p,  wᵢ(τ²) = 1/(vᵢ + τ²),
//!
//! and τ̂² = 0 when Q(0) < k − p. Q(τ²) decreases in τ², so the root is unique; it is found by
//! Brent's method (metafor uses `uniroot`) to near machine precision.
//!
//! # Reference
//! Paule RC, Mandel J (1982). Consensus values and weighting factors. *Journal of Research of the
//! National Bureau of Standards* 87(5), 377–385. doi:10.6028/jres.087.022. metafor
//! `rma(method = "PM")`.

use super::{Problem, Tau2};
use crate::error::Error;

pub(super) fn tau2(problem: &Problem) -> Result<Tau2, Error> {
    let target = problem.df() as f64;
    let value = solve_q_equals(problem, target, "Paule–Mandel")?;
    Ok(Tau2 { value, iterations: 0 })
}

/// The τ² ≥ 0 at which Q(τ²) = `target` (0 if Q(0) < target). Shared with the Q-profile CI.
pub(crate) fn solve_q_equals(problem: &Problem, target: f64, what: &str) -> Result<f64, Error> {
    let q = |t: f64| crate::heterogeneity::generalized_q(problem, t);
    let q0 = q(0.0)?;
    if q0 < target {
        return Ok(0.0);
    }
    let scale = problem.scale();
    let mut hi = scale.max(f64::MIN_POSITIVE);
    let mut doublings = 0;
    while q(hi)? > target {
        hi *= 4.0;
        doublings += 1;
        if doublings > 600 || !hi.is_finite() {
            return Err(Error::Numerical { what: what.into() });
        }
    }
    let mut failed = None;
    let root = crate::roots::brent(
        |t| match q(t) {
            Ok(v) => v - target,
            Err(e) => {
                failed = Some(e);
                f64::NAN
            }
        },
        0.0,
        hi,
        1e-300,
    );
    if let Some(e) = failed {
        return Err(e);
    }
    root.ok_or_else(|| Error::NotConverged { method: what.into(), iterations: 200 })
}
