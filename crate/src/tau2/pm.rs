//! Paule–Mandel estimator.
//!
//! # Formula
//! The τ² at which the generalized Q statistic equals its expected value:
//!
//! Q(τ²) = Σ wᵢ(τ²) (yᵢ − xᵢᵀβ̂(τ²))² = k − p,  wᵢ(τ²) = 1/(vᵢ + τ²),
//!
//! and τ̂² = 0 when Q(0) < k − p. Q(τ²) decreases in τ², so the root is unique; it is found by
//! Newton's method on 1/Q (metafor uses `uniroot`) to near machine precision.
//!
//! # Reference
//! Paule RC, Mandel J (1982). Consensus values and weighting factors. *Journal of Research of the
//! National Bureau of Standards* 87(5), 377–385. doi:10.6028/jres.087.022. metafor
//! `rma(method = "PM")`.

use super::{Data, Tau2};
use crate::error::Error;

pub(super) fn tau2(data: &Data) -> Result<Tau2, Error> {
    let target = data.df() as f64;
    let value = solve_q_equals(data, target, "Paule–Mandel")?;
    Ok(Tau2 { value, iterations: 0 })
}

/// Newton steps tried before the bracket found so far goes to Brent's method.
const NEWTON_STEPS: usize = 60;

/// The τ² ≥ 0 (on the scale of `data`) at which Q(τ²) = `target` (0 if Q(0) < target). Shared
/// with the Q-profile CI.
///
/// Newton's method on 1/Q(τ²), which is linear in τ² when all vᵢ are equal and concave in
/// general (Q is a weighted sum of terms 1/(vᵢ + τ²); Cauchy–Schwarz), so that from τ² = 0 the
/// iterates rise to the root without passing it, quadratically near it; d(1/Q)/dτ² = yᵀPPy/Q².
/// Each evaluation narrows a bracket; a step that leaves it bisects instead (or, with no upper
/// end yet, looks 4 times further), and should Newton not settle, Brent's method finishes on the
/// bracket (as metafor's `uniroot`).
pub(crate) fn solve_q_equals(data: &Data, target: f64, what: &str) -> Result<f64, Error> {
    let fit = data.at(0.0)?;
    let q0 = fit.rss();
    if q0 < target {
        return Ok(0.0);
    }
    let scale = data.scale().max(f64::MIN_POSITIVE);
    let (mut lo, mut hi) = (0.0_f64, f64::INFINITY);
    let (mut t, mut q, mut slope) = (0.0, q0, fit.rss_pp());
    for _ in 0..NEWTON_STEPS {
        if q == target {
            return Ok(t);
        }
        if q > target {
            lo = t;
        } else {
            hi = t;
        }
        let newton = t + (q - target) * (q / target) / slope;
        if newton > lo && newton < hi {
            if (newton - t).abs() <= 1e-10 * newton {
                // Quadratic convergence: the step after this one would be below rounding.
                return Ok(newton);
            }
            t = newton;
        } else if hi.is_finite() {
            t = lo + 0.5 * (hi - lo);
            if hi - lo <= 4.0 * f64::EPSILON * hi {
                return Ok(t);
            }
        } else {
            t = 4.0 * t.max(scale);
            if !t.is_finite() {
                return Err(Error::Numerical { what: what.into() });
            }
        }
        let fit = data.at(t)?;
        (q, slope) = (fit.rss(), fit.rss_pp());
    }
    brent_on_bracket(data, target, lo, hi.min(t.max(scale)), what)
}

/// Brent's method on [lo, hi] (hi moved up until Q(hi) ≤ target), as a fallback.
fn brent_on_bracket(data: &Data, target: f64, lo: f64, mut hi: f64, what: &str) -> Result<f64, Error> {
    let q = |t: f64| data.at(t).map(|fit| fit.rss());
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
        lo,
        hi,
        1e-300,
    );
    if let Some(e) = failed {
        return Err(e);
    }
    root.ok_or_else(|| Error::NotConverged { method: what.into(), iterations: 200 })
}
