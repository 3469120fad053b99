//! Leave-one-out analysis and influence diagnostics, as metafor's `leave1out()` and
//! `influence()` for models without moderators.
//!
//! # Formulas
//! The model is refitted without study i (same estimator and CI type), giving μ̂₍₋ᵢ₎, its
//! variance Var₍₋ᵢ₎ (× s²₍₋ᵢ₎ under Knapp–Hartung), τ̂²₍₋ᵢ₎, Q₍₋ᵢ₎ and s²₍₋ᵢ₎ (1 under `z`).
//! With the full model's μ̂, Var(μ̂) and hat value hᵢ = wᵢ/Σwⱼ (wᵢ = 1/(vᵢ + τ̂²)):
//! - studentized deleted residual: (yᵢ − μ̂₍₋ᵢ₎) / √(vᵢ·s²₍₋ᵢ₎ + Var₍₋ᵢ₎ + τ̂²₍₋ᵢ₎·s²₍₋ᵢ₎)
//! - DFFITS: (μ̂ − μ̂₍₋ᵢ₎) / √(s²₍₋ᵢ₎ · hᵢ · (τ̂²₍₋ᵢ₎ + vᵢ))
//! - DFBETAS: (μ̂ − μ̂₍₋ᵢ₎) / √(s²₍₋ᵢ₎ / Σⱼ 1/(vⱼ + τ̂²₍₋ᵢ₎))
//! - Cook's distance: (μ̂ − μ̂₍₋ᵢ₎)² / Var(μ̂)
//! - covariance ratio: Var₍₋ᵢ₎ / Var(μ̂)
//! - a study is flagged influential when |DFFITS| > 3√(p/(k − p)), P(χ²₁ ≤ Cook's D) > 0.5,
//!   hᵢ > 3p/k, or |DFBETAS| > 1 (p = 1).
//!
//! # Reference
//! Viechtbauer W, Cheung MW-L (2010). Outlier and influence diagnostics for meta-analysis.
//! *Research Synthesis Methods* 1(2), 112–125. doi:10.1002/jrsm.11

use crate::dist;
use crate::error::Error;
use crate::heterogeneity::QTest;
use crate::model::{self, CiType, Fit, Parts, Settings};
use crate::studies::Studies;
use crate::tau2::{Method, Tau2, MAX_ITERATIONS, RELATIVE_THRESHOLD};
use serde::{Deserialize, Serialize};

/// The influence diagnostics of one study (metafor's `influence()`), in the report's
/// leave-one-out rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Influence {
    pub rstudent: Option<f64>,
    pub dffits: Option<f64>,
    pub dfbetas: Option<f64>,
    pub cook_d: Option<f64>,
    pub cov_r: Option<f64>,
    pub hat: f64,
    /// Weight of the study in the full model, percent.
    pub weight: f64,
    /// Flagged as influential by metafor's rule.
    pub influential: bool,
}

/// The fit without one study, with that study's influence diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub struct Deleted {
    /// Index of the left-out study.
    pub index: usize,
    /// The model fitted to the other k − 1 studies. Its `weights` are left empty: k such fits
    /// with k − 1 weights each would take O(k²) memory, and no report shows them.
    pub fit: Fit,
    pub influence: Influence,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// What the estimators need from the intercept-only model without study `i` at one τ²
/// (wⱼ = 1/(vⱼ + τ²), j ≠ i; residuals rⱼ = yⱼ − μ̂ at these weights).
#[derive(Debug, Clone, Copy)]
struct Sums {
    /// Σwⱼ, Σwⱼ², Σwⱼ³.
    s0: f64,
    w2: f64,
    w3: f64,
    /// μ̂ − c (c: the centre of the effects, see [`Loo`]).
    mu: f64,
    /// yᵀPy = Σwⱼrⱼ² and yᵀPPy = Σwⱼ²rⱼ².
    rss: f64,
    rss_pp: f64,
    /// Σ log(vⱼ + τ²) (only when asked for).
    log_v: f64,
}

impl Sums {
    /// tr(P) = Σw − Σw²/Σw.
    fn trace_p(&self) -> f64 {
        self.s0 - self.w2 / self.s0
    }
    /// tr(PP) = Σw² − 2Σw³/Σw + (Σw²/Σw)².
    fn trace_pp(&self) -> f64 {
        let a = self.w2 / self.s0;
        self.w2 - 2.0 * self.w3 / self.s0 + a * a
    }
}

/// The k leave-one-out problems of one data set. Sums at τ² = 0 come from running totals in
/// O(1) per deleted study; sums at other τ² take one pass over the k − 1 studies (two passes:
/// weighted mean, then residuals, as the full fit computes them).
struct Loo<'a> {
    y: &'a [f64],
    v: &'a [f64],
    /// Centre subtracted from the effects (their fixed-effect mean), so that one-pass sums of
    /// squares do not cancel.
    c: f64,
    /// Totals at τ² = 0 over all studies: Σ1/v, Σ(y−c)/v, Σ(y−c)²/v, Σ1/v², Σ log v.
    t0: [f64; 5],
    /// Unweighted totals for the Hedges estimator: Σ(y−c), Σ(y−c)², Σv.
    ols: [f64; 3],
}

impl<'a> Loo<'a> {
    fn new(y: &'a [f64], v: &'a [f64]) -> Self {
        let sw: f64 = v.iter().map(|vi| 1.0 / vi).sum();
        let c = y.iter().zip(v).map(|(yi, vi)| yi / vi).sum::<f64>() / sw;
        let c = if c.is_finite() { c } else { 0.0 };
        let mut t0 = [0.0; 5];
        let mut ols = [0.0; 3];
        for (yi, vi) in y.iter().zip(v) {
            let (d, w) = (yi - c, 1.0 / vi);
            t0[0] += w;
            t0[1] += w * d;
            t0[2] += w * d * d;
            t0[3] += w * w;
            t0[4] += vi.ln();
            ols[0] += d;
            ols[1] += d * d;
            ols[2] += vi;
        }
        Loo { y, v, c, t0, ols }
    }

    fn k(&self) -> usize {
        self.y.len()
    }

    /// Mean sampling variance without study i (the scale of tolerances, as `Problem::scale`).
    fn scale(&self, i: usize) -> f64 {
        (self.ols[2] - self.v[i]) / (self.k() - 1) as f64
    }

    /// The sums at τ² = 0 without study i, from the totals (O(1); w3 is not needed there).
    fn at_zero(&self, i: usize) -> Sums {
        let (d, w) = (self.y[i] - self.c, 1.0 / self.v[i]);
        let s0 = self.t0[0] - w;
        let s1 = self.t0[1] - w * d;
        let s2 = self.t0[2] - w * d * d;
        let w2 = self.t0[3] - w * w;
        let mu = s1 / s0;
        Sums {
            s0,
            w2,
            w3: f64::NAN,
            mu,
            rss: (s2 - s1 * mu).max(0.0),
            rss_pp: f64::NAN,
            log_v: self.t0[4] - self.v[i].ln(),
        }
    }

    /// The sums at τ² = `t` without study i: two passes over the other studies.
    fn at(&self, i: usize, t: f64, with_log: bool) -> Result<Sums, Error> {
        let (mut s0, mut s1, mut w2, mut w3, mut log_v) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (j, (yj, vj)) in self.y.iter().zip(self.v).enumerate() {
            if j == i {
                continue;
            }
            let w = 1.0 / (vj + t);
            s0 += w;
            s1 += w * (yj - self.c);
            w2 += w * w;
            w3 += w * w * w;
            if with_log {
                log_v += (vj + t).ln();
            }
        }
        let mu = s1 / s0;
        let (mut rss, mut rss_pp) = (0.0, 0.0);
        for (j, (yj, vj)) in self.y.iter().zip(self.v).enumerate() {
            if j == i {
                continue;
            }
            let w = 1.0 / (vj + t);
            let wr = w * (yj - self.c - mu);
            rss += wr * (yj - self.c - mu);
            rss_pp += wr * wr;
        }
        if !(s0.is_finite()
            && mu.is_finite()
            && rss.is_finite()
            && rss_pp.is_finite()
            && w3.is_finite())
        {
            return Err(Error::Numerical {
                what: "the weighted least-squares fit".into(),
            });
        }
        Ok(Sums {
            s0,
            w2,
            w3,
            mu,
            rss,
            rss_pp,
            log_v,
        })
    }

    /// The τ² ≥ 0 at which Q(τ²) = `target` without study i (0 when Q(0) < target), as
    /// `tau2::solve_q_equals`, by Newton's method from `start` (Q′(τ²) = −yᵀPPy) kept inside a
    /// bracket, with bisection when a step leaves it.
    fn solve_q(
        &self,
        i: usize,
        target: f64,
        q0: f64,
        start: f64,
        what: &str,
    ) -> Result<f64, Error> {
        if q0 < target {
            return Ok(0.0);
        }
        let scale = self.scale(i);
        let (mut lo, mut hi) = (0.0_f64, f64::INFINITY);
        let mut t = if start.is_finite() && start > 0.0 {
            start
        } else {
            scale
        };
        for _ in 0..400 {
            let s = self.at(i, t, false)?;
            let f = s.rss - target;
            if f == 0.0 {
                return Ok(t);
            }
            if f > 0.0 {
                lo = lo.max(t);
            } else {
                hi = hi.min(t);
            }
            let mut next = t + f / s.rss_pp;
            if !(next.is_finite() && next > lo && next < hi) {
                next = if hi.is_finite() {
                    0.5 * (lo + hi)
                } else {
                    4.0 * t.max(scale)
                };
            }
            if !next.is_finite() {
                return Err(Error::Numerical { what: what.into() });
            }
            let step = (next - t).abs();
            t = next;
            if step <= 4.0 * f64::EPSILON * t
                || (hi.is_finite() && hi - lo <= 4.0 * f64::EPSILON * hi)
            {
                return Ok(t);
            }
        }
        Err(Error::NotConverged {
            method: what.into(),
            iterations: 400,
        })
    }

    /// τ² without study i by `method`: closed forms from the totals for DL, HS and HE; one pass
    /// for SJ; Fisher scoring (ML, REML, EB) and the Paule–Mandel root warm-started at the full
    /// fit's τ̂² (`start`).
    fn tau2(&self, method: Method, i: usize, zero: &Sums, start: f64) -> Result<Tau2, Error> {
        let n = (self.k() - 1) as f64;
        let df = n - 1.0;
        let closed = |x: f64| Tau2 {
            value: x.max(0.0),
            iterations: 0,
        };
        let t = match method {
            Method::FE => closed(0.0),
            Method::DL => closed((zero.rss - df) / zero.trace_p()),
            Method::HS => closed((zero.rss - n) / zero.s0),
            Method::HE => {
                let d = self.y[i] - self.c;
                let (sd, sd2) = (self.ols[0] - d, self.ols[1] - d * d);
                let rss = (sd2 - sd * sd / n).max(0.0);
                closed((rss - (self.ols[2] - self.v[i]) * (1.0 - 1.0 / n)) / df)
            }
            Method::SJ => {
                // As tau2::sj: deviations from the first kept effect, so equal effects give 0.
                let first = if i == 0 { 1 } else { 0 };
                let origin = self.y[first];
                let others = || {
                    self.y
                        .iter()
                        .enumerate()
                        .filter(move |&(j, _)| j != i)
                        .map(|(_, y)| y)
                };
                let mean_dev = others().map(|y| y - origin).sum::<f64>() / n;
                let tau2_0 = others()
                    .map(|y| (y - origin - mean_dev).powi(2))
                    .sum::<f64>()
                    / n;
                closed(tau2_0 * self.at(i, tau2_0, false)?.rss / df)
            }
            Method::PM => Tau2 {
                value: self.solve_q(i, df, zero.rss, start, "Paule–Mandel")?,
                iterations: 0,
            },
            Method::REML | Method::ML | Method::EB => self.scoring(method, i, zero, start)?,
        };
        if !t.value.is_finite() {
            return Err(Error::Numerical {
                what: format!("tau^2 ({})", method.name()),
            });
        }
        Ok(t)
    }

    /// Fisher scoring as `tau2::fisher_scoring` (same steps, same stopping rule) from `start`,
    /// then metafor's check that the likelihood is not higher at τ² = 0 (ML, REML).
    fn scoring(&self, method: Method, i: usize, zero: &Sums, start: f64) -> Result<Tau2, Error> {
        let n = (self.k() - 1) as f64;
        let df = n - 1.0;
        let scale = self.scale(i);
        let mut tau2 = start.max(0.0);
        let mut done = None;
        for iteration in 1..=MAX_ITERATIONS {
            let s = self.at(i, tau2, false)?;
            let adj = match method {
                Method::REML => (s.rss_pp - s.trace_p()) / s.trace_pp(),
                Method::ML => (s.rss_pp - s.s0) / s.w2,
                _ => (s.rss * n / df - n) / s.s0,
            };
            if !adj.is_finite() {
                return Err(Error::Numerical {
                    what: format!("tau^2 ({})", method.name()),
                });
            }
            let next = (tau2 + adj).max(0.0);
            let change = (next - tau2).abs();
            tau2 = next;
            if change <= RELATIVE_THRESHOLD * (tau2 + scale) {
                done = Some(Tau2 {
                    value: tau2,
                    iterations: iteration,
                });
                break;
            }
        }
        let t = done.ok_or_else(|| Error::NotConverged {
            method: method.name().into(),
            iterations: MAX_ITERATIONS,
        })?;
        if method == Method::EB || t.value <= 0.0 {
            return Ok(t);
        }
        let reml = method == Method::REML;
        let ll = |s: &Sums| -0.5 * s.log_v - 0.5 * s.rss - if reml { 0.5 * s.s0.ln() } else { 0.0 };
        if ll(zero) - ll(&self.at(i, t.value, true)?) > 1e-10 {
            return Ok(Tau2 {
                value: 0.0,
                iterations: t.iterations,
            });
        }
        Ok(t)
    }
}

/// Scale factor s² of the Knapp–Hartung method (1 under `z`), from a fit's SE and Σwᵢ.
fn s2(fit: &Fit, sum_w: f64) -> f64 {
    if fit.settings.ci == CiType::Z {
        return 1.0;
    }
    fit.pooled.se.map_or(f64::NAN, |se| se * se * sum_w)
}

/// Leave-one-out fits with influence diagnostics, in input order. Needs k ≥ 2.
///
/// Each fit without study i equals `model::fit` of the other k − 1 studies, but is computed
/// without copying them: from running totals at τ² = 0 (Q, I², H², the FE, DL, HS and HE
/// estimates: O(1) per study), with warm starts at the full fit's τ̂² and Q-profile limits for
/// the iterative estimators and the Q-profile interval (a few passes over the k − 1 studies,
/// none of them allocating), and the diagnostics from the same sums. Memory is O(k).
///
/// # Errors
/// [`Error::TooFewStudies`] with k = 1; estimator failures in a reduced fit.
pub fn leave_one_out(
    studies: &Studies,
    full: &Fit,
    settings: &Settings,
) -> Result<Vec<Deleted>, Error> {
    let k = studies.k();
    if k < 2 {
        return Err(Error::TooFewStudies {
            k,
            needed: 2,
            what: "a leave-one-out analysis".into(),
        });
    }
    let (y, v) = (studies.yi(), studies.vi());
    let loo = Loo::new(y, v);
    let var_full = full.pooled.se.map_or(f64::NAN, |se| se * se);
    let sum_w: f64 = v.iter().map(|vi| 1.0 / (vi + full.tau2.value)).sum();
    let (n, df) = (k - 1, k - 2);
    let alpha = 1.0 - settings.level;
    let random = !settings.method.is_common();
    let crit = (df > 0).then(|| {
        (
            dist::qchisq(1.0 - alpha / 2.0, df as f64),
            dist::qchisq(alpha / 2.0, df as f64),
        )
    });
    let ci_start = full.tau2_ci.unwrap_or((full.tau2.value, full.tau2.value));
    let p = 1.0;
    let mut out = Vec::with_capacity(k);
    for i in 0..k {
        let zero = loo.at_zero(i);
        let (tau2, q) = if df == 0 {
            (
                Tau2 {
                    value: 0.0,
                    iterations: 0,
                },
                QTest {
                    q: 0.0,
                    df: 0,
                    p: None,
                    typical_v: None,
                },
            )
        } else {
            let q = zero.rss.max(0.0);
            let q = QTest {
                q,
                df,
                p: Some(dist::pchisq_upper(q, df as f64)),
                typical_v: Some(crate::heterogeneity::typical_v(df, zero.trace_p())?),
            };
            (loo.tau2(settings.method, i, &zero, full.tau2.value)?, q)
        };
        let t2 = tau2.value;
        let at = if t2 == 0.0 {
            zero
        } else {
            loo.at(i, t2, false)?
        };
        let parts = Parts {
            k: n,
            tau2,
            estimate: loo.c + at.mu,
            var: 1.0 / at.s0,
            rss: at.rss,
            q,
            weights: Vec::new(),
        };
        let what = "the Q-profile interval for tau^2";
        let fit = model::assemble(parts, settings, || {
            let (lo, hi) = crit.expect("assemble asks for the interval only with k − 1 ≥ 2");
            Ok((
                loo.solve_q(i, lo, zero.rss, ci_start.0, what)?,
                loo.solve_q(i, hi, zero.rss, ci_start.1, what)?,
            ))
        })?;
        debug_assert!(random || fit.tau2_ci.is_none());
        let s2_del = s2(&fit, at.s0);
        let var_del = fit.pooled.se.map_or(f64::NAN, |se| se * se);
        let diff = full.pooled.estimate - fit.pooled.estimate;
        let hat = 1.0 / (v[i] + full.tau2.value) / sum_w;
        let mut resid = y[i] - fit.pooled.estimate;
        if resid.abs() < 100.0 * f64::EPSILON {
            resid = 0.0;
        }
        let rstudent = resid / (v[i] * s2_del + var_del + t2 * s2_del).sqrt();
        let dffits = diff / (s2_del * hat * (t2 + v[i])).sqrt();
        let vb_del = 1.0 / (at.s0 + 1.0 / (v[i] + t2));
        let dfbetas = diff / (s2_del * vb_del).sqrt();
        let cook_d = diff * diff / var_full;
        let cov_r = var_del / var_full;
        let kf = k as f64;
        let influential = dffits.abs() > 3.0 * (p / (kf - p)).sqrt()
            || (cook_d.is_finite() && 1.0 - dist::pchisq_upper(cook_d, 1.0) > 0.5)
            || hat > 3.0 * p / kf
            || dfbetas.abs() > 1.0;
        out.push(Deleted {
            index: i,
            fit,
            influence: Influence {
                rstudent: finite(rstudent),
                dffits: finite(dffits),
                dfbetas: finite(dfbetas),
                cook_d: finite(cook_d),
                cov_r: finite(cov_r),
                hat,
                weight: full.weights[i],
                influential,
            },
        });
    }
    Ok(out)
}

/// Cumulative meta-analysis: the fit to the first 1, 2, …, k studies in `order` (indices into
/// the studies), as metafor's `cumul()`.
///
/// # Errors
/// Estimator failures in a partial fit.
pub fn cumulative(
    studies: &Studies,
    order: &[usize],
    settings: &Settings,
) -> Result<Vec<(usize, Fit)>, Error> {
    (1..=order.len())
        .map(|n| {
            Ok((
                order[n - 1],
                model::fit(&studies.subset(&order[..n]), settings)?,
            ))
        })
        .collect()
}

/// The order of the studies sorted by a column (numbers numerically if every cell is a number,
/// else text; empty cells last; ties keep the input order).
///
/// # Errors
/// [`Error::UnknownColumn`] when `column` is not a column of the data.
pub fn order_by(studies: &Studies, column: &str) -> Result<Vec<usize>, Error> {
    use crate::input::{parse_number, NumberCell};
    let col = studies
        .extra()
        .iter()
        .find(|c| c.name == column || c.name.eq_ignore_ascii_case(column))
        .ok_or_else(|| Error::UnknownColumn {
            option: "cumulative-by".into(),
            name: column.into(),
            available: studies
                .extra()
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let cells: Vec<NumberCell> = col.cells.iter().map(|c| parse_number(c, true)).collect();
    let numeric = cells
        .iter()
        .all(|c| matches!(c, NumberCell::Number(_) | NumberCell::Empty));
    let mut order: Vec<usize> = (0..studies.k()).collect();
    order.sort_by(|&a, &b| {
        let empty = |i: usize| cells[i] == NumberCell::Empty;
        empty(a)
            .cmp(&empty(b))
            .then_with(|| match (numeric, &cells[a], &cells[b]) {
                (true, NumberCell::Number(x), NumberCell::Number(y)) => x.total_cmp(y),
                _ => col.cells[a].cmp(&col.cells[b]),
            })
    });
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Overall;

    /// The leave-one-out fits from running sums and warm starts equal plain refits of the other
    /// k − 1 studies (every field of the report's row, the Q-profile interval included).
    #[test]
    fn leave_one_out_equals_refitting_each_subset() {
        let bcg = crate::input::read_studies(
            include_str!("../../www/examples/bcg.csv"),
            &Default::default(),
        )
        .unwrap()
        .studies;
        let sets = [
            bcg,
            Studies::from_effects(
                &[0.1, 0.12, 0.09, 0.11, 0.1],
                &[0.02, 0.03, 0.025, 0.04, 0.05],
            )
            .unwrap(),
            Studies::from_effects(&[0.1, 0.6, 0.3], &[0.02, 0.05, 0.01]).unwrap(),
            Studies::from_effects(&[0.1, 0.6], &[0.02, 0.05]).unwrap(),
            Studies::from_effects(&[0.3, 0.3, 0.3, 0.3], &[0.02, 0.05, 0.01, 0.1]).unwrap(),
            Studies::from_effects(
                &[1e3 + 0.1, 1e3 - 0.4, 1e3 + 0.9, 1e3 + 0.2, 1e3 - 1.5, 1e3],
                &[0.1, 0.2, 0.05, 0.3, 0.1, 0.2],
            )
            .unwrap(),
        ];
        let mut bad = false;
        let close = |a: f64, b: f64| a == b || (a - b).abs() <= 1e-9 * b.abs().max(1e-3);
        for studies in &sets {
            for method in Method::ALL {
                for ci in CiType::ALL {
                    let settings = Settings {
                        method,
                        ci,
                        level: 0.95,
                    };
                    let full = model::fit(studies, &settings).unwrap();
                    let fast = leave_one_out(studies, &full, &settings).unwrap();
                    for d in &fast {
                        let others: Vec<usize> =
                            (0..studies.k()).filter(|&j| j != d.index).collect();
                        let refit = model::fit(&studies.subset(&others), &settings).unwrap();
                        let (a, b) = (
                            serde_json::to_value(Overall::from_fit(&d.fit)).unwrap(),
                            serde_json::to_value(Overall::from_fit(&refit)).unwrap(),
                        );
                        for (key, bv) in b.as_object().unwrap() {
                            let av = &a[key];
                            let same = match (av.as_f64(), bv.as_f64()) {
                                _ if key == "iterations" => true,
                                (Some(x), Some(y)) => close(x, y),
                                _ => av == bv,
                            };
                            if !same {
                                eprintln!(
                                    "k = {}, {method:?} {ci:?}, without {}: {key} {av} vs {bv}",
                                    studies.k(),
                                    d.index
                                );
                                bad = true;
                            }
                        }
                    }
                }
            }
        }
        assert!(!bad, "the fast leave-one-out differs from refitting");
    }
}
