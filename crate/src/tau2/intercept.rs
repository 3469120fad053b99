//! The intercept-only model (no moderators) in fused passes over (yᵢ, vᵢ) that allocate nothing:
//! every sum the estimators, the Q-profile interval and the fit need at a given τ².
//!
//! # Formulas
//! The quantities of [`crate::wls::Wls`] for the design of ones. With wᵢ = 1/(vᵢ + τ²),
//! S = Σwᵢ, S₋ᵢ = S − wᵢ (the sum without study i), μ̂ = Σwᵢyᵢ/S and rᵢ = yᵢ − μ̂:
//!
//! - yᵀPy = Σwᵢrᵢ² (the generalized Q), yᵀPPy = Σwᵢ²rᵢ², Var(μ̂) = 1/S;
//! - tr P = Σᵢ wᵢS₋ᵢ / S;
//! - tr PP = Σᵢ (wᵢS₋ᵢ/S)² + 2 Σ_{i<j} (wᵢwⱼ/S)².
//!
//! The traces are sums of positive terms (no difference of large numbers), as in `wls.rs`.
//!
//! # Numerics
//! - The data are taken divided by c, a power of two near √(max vᵢ) or the effects' range
//!   if that is larger ([`scale_of`], as in
//!   [`crate::tau2::estimate`]): yᵢ/c and vᵢ/c², formed on the fly; dividing by a power of two
//!   is exact. Every sum and τ² here is on that scale; [`Effects::c`] converts back.
//! - Weights are summed relative to the largest, uᵢ = wᵢ/w_max = (v_min + τ²)/(vᵢ + τ²) in (0, 1],
//!   so no power of a weight overflows.
//! - S₋ᵢ = S − uᵢ loses nothing for every study but the most precise one (uᵢ ≤ u_max ≤ S₋ᵢ, so
//!   S₋ᵢ ≥ S/2); for that one, S₋ᵢ is summed directly.
//! - Two passes: the weighted mean first, then the residuals about it (no one-pass variance
//!   formula, which cancels when the effects sit far from zero); both centred on the effect of
//!   the most precise study, as in `wls.rs`.

use crate::error::Error;

/// Effects and sampling variances of the intercept-only model, with the scale they are taken at.
#[derive(Debug, Clone, Copy)]
pub struct Effects<'a> {
    y: &'a [f64],
    v: &'a [f64],
    /// The data are yᵢ·ic and vᵢ·ic² (ic = 1/c).
    ic: f64,
    ic2: f64,
    /// Index of the (first) smallest variance, and that variance on the data's scale.
    top: usize,
    v_min: f64,
}

/// The sums at one τ² (on the scale of [`Effects`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sums {
    /// 1/w_max = v_min + τ².
    h: f64,
    /// Σuᵢ.
    su: f64,
    /// Σuᵢ².
    su2: f64,
    mu: f64,
    /// Σuᵢrᵢ², Σ(uᵢrᵢ)², Σuᵢ S₋ᵢ, Σ(uᵢ S₋ᵢ)², Σ_{i<j} uᵢ²uⱼ² (S₋ᵢ of the u).
    rss_u: f64,
    rss_pp_u: f64,
    tp_u: f64,
    diag_u: f64,
    pairs2_u: f64,
}

/// The scale c the estimators work at: the power of two nearest to the larger of √(max vᵢ) and
/// the range of the effects. With it both vᵢ/c² and (yᵢ − yⱼ)²/c² are at most about 1, so the
/// powers of the weights stay in range both when the variances are extreme and when τ² dwarfs
/// them (effects near 1e99 with variances near 1: τ² near 1e198, whose weights' squares would
/// underflow on the variances' scale).
pub(crate) fn scale_of(y: &[f64], v: &[f64]) -> f64 {
    let v_max = v.iter().copied().fold(0.0, f64::max);
    let (lo, hi) = y.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    power_of_two_near(v_max.sqrt().max(hi - lo))
}

/// The power of two nearest to x (on the log scale); 1 for 0 or a non-finite x.
pub(crate) fn power_of_two_near(x: f64) -> f64 {
    if x > 0.0 && x.is_finite() {
        2f64.powi(x.log2().round() as i32)
    } else {
        1.0
    }
}

impl<'a> Effects<'a> {
    /// The studies' effects and variances (equal lengths, at least one, variances > 0, as
    /// [`crate::Studies`] guarantees).
    pub fn new(y: &'a [f64], v: &'a [f64]) -> Self {
        debug_assert!(!y.is_empty() && y.len() == v.len());
        let (mut top, mut v_min) = (0, f64::INFINITY);
        for (i, &vi) in v.iter().enumerate() {
            if vi < v_min {
                (top, v_min) = (i, vi);
            }
        }
        let c = scale_of(y, v);
        let (ic, ic2) = (1.0 / c, 1.0 / (c * c));
        Effects { y, v, ic, ic2, top, v_min: v_min * ic2 }
    }

    pub fn k(&self) -> usize {
        self.y.len()
    }

    /// The scale c: an effect here is yᵢ/c, a variance (and τ²) vᵢ/c².
    pub fn c(&self) -> f64 {
        1.0 / self.ic
    }

    /// Mean sampling variance (on this scale), to make tolerances relative.
    pub fn scale(&self) -> f64 {
        self.v.iter().map(|v| v * self.ic2).sum::<f64>() / self.k() as f64
    }

    /// The effects on this scale.
    pub fn ys(&self) -> impl Iterator<Item = f64> + Clone + '_ {
        self.y.iter().map(move |y| y * self.ic)
    }

    /// The variances on this scale.
    pub fn vs(&self) -> impl Iterator<Item = f64> + Clone + '_ {
        self.v.iter().map(move |v| v * self.ic2)
    }

    /// The studies but the most precise one, as two runs of (effects, variances).
    fn rest(&self) -> [(&'a [f64], &'a [f64]); 2] {
        let t = self.top;
        [(&self.y[..t], &self.v[..t]), (&self.y[t + 1..], &self.v[t + 1..])]
    }

    /// The sums at τ² = `tau2` (on this scale): two passes over the studies.
    ///
    /// # Errors
    /// [`Error::Numerical`] when they are not finite (variances or τ² beyond the range of
    /// floating point).
    pub fn at(&self, tau2: f64) -> Result<Sums, Error> {
        let (ic, ic2) = (self.ic, self.ic2);
        let h = self.v_min + tau2;
        // Pass 1: the weights' sums and the weighted mean, centred on the effect y₀ of the most
        // precise study (u = 1): μ̂ = y₀ + δ, δ = Σuᵢ(yᵢ − y₀)/Σuᵢ, rᵢ = (yᵢ − y₀) − δ. That
        // study's residual is then −δ to full precision; y₀ − μ̂ would carry the rounding of μ̂
        // (about 1e-16·|μ̂|), which its weight, perhaps 10²⁰ times any other, would make dominate Q.
        let y0 = self.y[self.top];
        let (mut su_rest, mut sud, mut su2, mut pairs2) = (0.0, 0.0, 1.0, 0.0);
        for (ys, vs) in self.rest() {
            for (y, v) in ys.iter().zip(vs) {
                let u = h / (v * ic2 + tau2);
                let u2 = u * u;
                su_rest += u;
                sud += u * ((y - y0) * ic);
                pairs2 += u2 * su2;
                su2 += u2;
            }
        }
        let su = 1.0 + su_rest;
        let delta = sud / su;
        let mu = y0 * ic + delta;
        // Pass 2: residuals about the mean, and the traces' terms.
        let (mut rss_u, mut rss_pp_u) = (delta * delta, delta * delta);
        let (mut tp_u, mut diag_u) = (su_rest, su_rest * su_rest);
        for (ys, vs) in self.rest() {
            for (y, v) in ys.iter().zip(vs) {
                let u = h / (v * ic2 + tau2);
                let r = (y - y0) * ic - delta;
                let ur = u * r;
                rss_u += ur * r;
                rss_pp_u += ur * ur;
                let us = u * (su - u);
                tp_u += us;
                diag_u += us * us;
            }
        }
        let sums = Sums { h, su, su2, mu, rss_u, rss_pp_u, tp_u, diag_u, pairs2_u: pairs2 };
        if [h, su, mu, rss_u, rss_pp_u, tp_u, diag_u, pairs2].iter().all(|x| x.is_finite()) && h > 0.0 {
            Ok(sums)
        } else {
            Err(Error::Numerical { what: "the weighted least-squares fit".into() })
        }
    }

    /// ll(0) − ll(τ²) of the log-likelihood (`reml`: the restricted one), from the sums at both:
    /// ½ Σ log(1 + τ²/vᵢ) − ½ (Q(0) − Q(τ²)) (+ ½ log(S(τ²)/S(0)) for REML), summed as one
    /// difference rather than as two large log-likelihoods.
    pub fn ll_drop(&self, tau2: f64, zero: &Sums, at: &Sums, reml: bool) -> f64 {
        let logs: f64 = self.v.iter().map(|v| (tau2 / (v * self.ic2)).ln_1p()).sum();
        let mut d = 0.5 * logs - 0.5 * (zero.rss() - at.rss());
        if reml {
            d += 0.5 * (at.sum_w() / zero.sum_w()).ln();
        }
        d
    }

    /// Each study's weight in percent at τ².
    pub fn weights_percent(&self, tau2: f64, sums: &Sums) -> Vec<f64> {
        let h = sums.h;
        self.v.iter().map(|v| 100.0 * (h / (v * self.ic2 + tau2)) / sums.su).collect()
    }
}

impl Sums {
    /// Σwᵢ.
    pub fn sum_w(&self) -> f64 {
        self.su / self.h
    }
    /// Σwᵢ².
    pub fn sum_w2(&self) -> f64 {
        self.su2 / (self.h * self.h)
    }
    /// μ̂ = Σwᵢyᵢ/Σwᵢ.
    pub fn mu(&self) -> f64 {
        self.mu
    }
    /// Var(μ̂) = 1/Σwᵢ.
    pub fn var_mu(&self) -> f64 {
        self.h / self.su
    }
    /// yᵀPy = Σwᵢrᵢ² (the generalized Q statistic at this τ²).
    pub fn rss(&self) -> f64 {
        self.rss_u / self.h
    }
    /// yᵀPPy = Σwᵢ²rᵢ² (= −dQ/dτ²).
    pub fn rss_pp(&self) -> f64 {
        self.rss_pp_u / (self.h * self.h)
    }
    /// tr P = Σᵢ wᵢS₋ᵢ/S.
    pub fn trace_p(&self) -> f64 {
        self.tp_u / self.su / self.h
    }
    /// The Fisher-scoring steps of REML, (yᵀPPy − tr P)/tr PP, of ML, (yᵀPPy − Σw)/Σw², and of
    /// EB, (Q·k/df − k)/Σw. Each is a ratio of terms in the same power of the largest weight,
    /// formed here before that power is taken, so the step stays finite when the weights'
    /// squares would not (variances 10^200 apart).
    pub fn reml_step(&self) -> f64 {
        let s2 = self.su * self.su;
        (self.rss_pp_u - self.h * self.tp_u / self.su) / ((self.diag_u + 2.0 * self.pairs2_u) / s2)
    }
    /// See [`Sums::reml_step`].
    pub fn ml_step(&self) -> f64 {
        (self.rss_pp_u - self.h * self.su) / self.su2
    }
    /// See [`Sums::reml_step`]; `k` studies, `df` = k − 1.
    pub fn eb_step(&self, k: f64, df: f64) -> f64 {
        (self.rss_u * k / df - k * self.h) / self.su
    }
    /// tr PP = Σᵢ (wᵢS₋ᵢ/S)² + 2 Σ_{i<j} (wᵢwⱼ/S)².
    /// (The estimators use [`Sums::reml_step`], which forms the same ratio without the power.)
    #[cfg(test)]
    pub fn trace_pp(&self) -> f64 {
        let s2 = self.su * self.su;
        (self.diag_u / s2 + 2.0 * self.pairs2_u / s2) / (self.h * self.h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wls::{Design, Wls};

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    /// The fused sums equal crate::wls's fit of the design of ones, at several τ².
    #[test]
    fn sums_match_the_wls_fit() {
        let y = [0.3, -0.1, 0.8, 0.5, 0.05, 1.2];
        let v = [0.1, 0.05, 0.2, 0.08, 0.12, 0.05];
        let e = Effects::new(&y, &v);
        let c = e.c();
        let design = Design::intercept(6);
        for t in [0.0, 0.01, 0.3, 25.0] {
            let s = e.at(t / (c * c)).unwrap();
            let w = Wls::at_tau2(&design, &y, &v, t).unwrap();
            // Sums are on the data's scale c: y/c, v/c².
            assert!(close(s.mu() * c, w.beta[0], 1e-14));
            assert!(close(s.var_mu() * c * c, w.a_inv[(0, 0)], 1e-14));
            assert!(close(s.rss(), w.rss(), 1e-13));
            assert!(close(s.rss_pp() / (c * c), w.rss_pp(), 1e-13));
            assert!(close(s.trace_p() / (c * c), w.trace_p(), 1e-14));
            assert!(close(s.trace_pp() / (c * c * c * c), w.trace_pp(), 1e-14));
            assert!(close(s.sum_w() / (c * c), w.sum_w(), 1e-14));
            let w2: f64 = w.w.iter().map(|w| w * w).sum();
            assert!(close(s.sum_w2() / (c * c * c * c), w2, 1e-14));
            let pct = e.weights_percent(t / (c * c), &s);
            for (p, wi) in pct.iter().zip(&w.w) {
                assert!(close(*p, 100.0 * wi / w.sum_w(), 1e-13));
            }
        }
    }

    /// One study 10²⁰ times more precise than the other: tr P = 2ab/(a + b) and
    /// tr PP = 4(ab/(a + b))² for weights a and b, which S − wᵢ alone would lose.
    #[test]
    fn traces_keep_a_dominant_study() {
        for (va, vb) in [(1e-20, 1.0), (1.0, 1e-20), (3.0, 5.0), (1e-150, 1e-140)] {
            let v = [va, vb];
            let e = Effects::new(&[0.0, 1.0], &v);
            let c2 = e.c() * e.c();
            let s = e.at(0.0).unwrap();
            let (a, b) = (1.0 / va, 1.0 / vb);
            let h = a * b / (a + b);
            assert!(close(s.trace_p() / c2, 2.0 * h, 4e-16), "{va} {vb}");
            assert!(close(s.trace_pp() / (c2 * c2), 4.0 * h * h, 1e-15), "{va} {vb}");
        }
    }
}
