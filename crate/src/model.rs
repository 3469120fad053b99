//! Common-effect and random-effects models: the pooled estimate, its test, its confidence and
//! prediction intervals, and the heterogeneity statistics, as metafor's `rma.uni()`, `predict()`
//! and `confint()` compute them.
//!
//! # Formulas
//! With wᵢ = 1/(vᵢ + τ̂²) (τ̂² = 0 for FE): μ̂ = Σwᵢyᵢ/Σwᵢ and Var(μ̂) = 1/Σwᵢ.
//! - `z`: Wald-type test and CI, μ̂ ± z_{1−α/2}·SE.
//! - `hksj`: Knapp & Hartung (2003) / Sidik & Jonkman (2002): SE² = s²/Σwᵢ with
//!   s² = Σwᵢ(yᵢ − μ̂)²/(k − 1) (not truncated at 1, as metafor's `test = "knha"`), t(k − 1).
//!   With k = 1 it is undefined and, as in metafor, the z method is used with a warning.
//! - Prediction interval: μ̂ ± c·√(SE² + τ̂²), with c the same normal or t(k − 1) quantile
//!   (metafor's `predict()`); not given under FE.
//!
//! # References
//! Knapp G, Hartung J (2003). Improved tests for a random effects meta-regression with a single
//! covariate. *Statistics in Medicine* 22(17), 2693–2710. doi:10.1002/sim.1482.
//! Sidik K, Jonkman JN (2002). *Statistics in Medicine* 21(21), 3153–3159.
//! Riley RD, Higgins JPT, Deeks JJ (2011). Interpretation of random effects meta-analyses.
//! *BMJ* 342, d549.

use crate::dist;
use crate::error::Error;
use crate::heterogeneity::{self, QTest};
use crate::studies::Studies;
use crate::tau2::intercept::Effects;
use crate::tau2::{self, Method, Problem, Tau2};
use crate::wls::{Design, Wls};
use serde::Serialize;

/// How the CI and test of the pooled estimate are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum CiType {
    /// Wald-type: normal distribution.
    #[serde(rename = "z")]
    Z,
    /// Knapp–Hartung (Hartung–Knapp–Sidik–Jonkman): t with k − 1 df.
    #[serde(rename = "hksj")]
    Hksj,
}

impl CiType {
    pub const ALL: [CiType; 2] = [CiType::Z, CiType::Hksj];

    pub fn code(self) -> &'static str {
        match self {
            CiType::Z => "z",
            CiType::Hksj => "hksj",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CiType::Z => "Wald-type (normal)",
            CiType::Hksj => "Knapp–Hartung (t)",
        }
    }

    /// Parses a code case-insensitively; metafor's `knha` means `hksj`.
    pub fn parse(s: &str) -> Result<CiType, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "z" | "wald" => Ok(CiType::Z),
            "hksj" | "knha" | "kh" | "hk" => Ok(CiType::Hksj),
            _ => Err(Error::BadOption {
                option: "ci".into(),
                value: s.into(),
                allowed: "z, hksj".into(),
            }),
        }
    }
}

/// Validated model settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub method: Method,
    pub ci: CiType,
    /// Level of every interval, in (0, 1).
    pub level: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { method: Method::REML, ci: CiType::Z, level: 0.95 }
    }
}

/// Validates a level: a finite number strictly between 0 and 1.
pub fn check_level(option: &str, level: f64) -> Result<f64, Error> {
    if level.is_finite() && level > 0.0 && level < 1.0 {
        Ok(level)
    } else {
        Err(Error::BadLevel { option: option.into(), value: level.to_string() })
    }
}

/// The pooled estimate with its inference. Fields are `None` where they do not apply.
#[derive(Debug, Clone, PartialEq)]
pub struct Pooled {
    pub estimate: f64,
    pub se: Option<f64>,
    pub stat: Option<f64>,
    /// Degrees of freedom of the t distribution under `hksj`.
    pub df: Option<usize>,
    pub p: Option<f64>,
    pub ci: Option<(f64, f64)>,
    pub pi: Option<(f64, f64)>,
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub settings: Settings,
    pub k: usize,
    pub tau2: Tau2,
    pub pooled: Pooled,
    pub q: QTest,
    pub i2: Option<f64>,
    pub h2: Option<f64>,
    pub tau2_ci: Option<(f64, f64)>,
    pub i2_ci: Option<(f64, f64)>,
    pub h2_ci: Option<(f64, f64)>,
    /// Weight of each study in percent.
    pub weights: Vec<f64>,
    pub warnings: Vec<String>,
}

/// Fits the model to the studies.
///
/// # Errors
/// When an iterative τ² estimator does not converge or the numbers overflow.
///
/// # Example
/// ```
/// use metapool::{model::{fit, Settings}, Studies};
/// let studies = Studies::from_effects(&[0.1, 0.5, 0.9], &[0.01, 0.02, 0.03]).unwrap();
/// let f = fit(&studies, &Settings::default()).unwrap();
/// assert!(f.pooled.estimate > 0.1 && f.pooled.estimate < 0.9);
/// ```
pub fn fit(studies: &Studies, settings: &Settings) -> Result<Fit, Error> {
    let design = Design::intercept(studies.k());
    let problem = Problem { y: studies.yi(), v: studies.vi(), design: &design };
    let mut fit = fit_problem(&problem, settings)?;
    fit.warnings.extend(variance_ratio_warning(studies));
    Ok(fit)
}

/// Above this ratio of the largest to the smallest sampling variance metafor warns that its
/// results may be unstable (`rma.uni`: "Ratio of largest to smallest sampling variance extremely
/// large").
pub const VARIANCE_RATIO_WARNING: f64 = 1e7;

/// A warning when one study's variance is more than [`VARIANCE_RATIO_WARNING`] times smaller
/// than another's: that study all but decides the common-effect estimate.
fn variance_ratio_warning(studies: &Studies) -> Option<String> {
    let v = studies.vi();
    let smallest = (0..v.len()).fold(0, |best, i| if v[i] < v[best] { i } else { best });
    let largest = v.iter().copied().fold(0.0, f64::max);
    (largest >= VARIANCE_RATIO_WARNING * v[smallest]).then(|| {
        format!(
            "The largest sampling variance is {:.1e} times the smallest (row {}): that study dominates the weights (metafor warns that results may then be unstable); check that variance.",
            largest / v[smallest],
            studies.rows()[smallest]
        )
    })
}

/// Fits the intercept-only model to a problem (effects, variances, design).
pub fn fit_problem(problem: &Problem, settings: &Settings) -> Result<Fit, Error> {
    let tau2 = tau2::estimate(settings.method, problem)?;
    let (at, weights) = pooled_at(problem, tau2.value, true)?;
    let parts = Parts {
        k: problem.k(),
        tau2,
        estimate: at.estimate,
        var: at.var,
        rss: at.rss,
        q: heterogeneity::q_test(problem)?,
        weights,
    };
    assemble(parts, settings, || heterogeneity::tau2_ci(problem, settings.level))
}

/// The pooled estimate at one τ², as [`fit`] computes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PooledAt {
    /// μ̂ = Σwᵢyᵢ/Σwᵢ, wᵢ = 1/(vᵢ + τ²).
    pub estimate: f64,
    /// Its unscaled variance 1/Σwᵢ.
    pub var: f64,
    /// Σwᵢ(yᵢ − μ̂)² (for Knapp–Hartung).
    pub rss: f64,
}

/// μ̂, 1/Σwᵢ and Σwᵢ(yᵢ − μ̂)² at τ², and (if `weights`) each study's weight in percent. The
/// intercept-only model takes two passes over the studies that copy nothing (tau2::intercept).
pub(crate) fn pooled_at(problem: &Problem, tau2: f64, weights: bool) -> Result<(PooledAt, Vec<f64>), Error> {
    if problem.design.is_intercept() {
        // On the data's scale c: effects y/c, variances v/c².
        let data = Effects::new(problem.y, problem.v);
        let c = data.c();
        let t = tau2 / (c * c);
        let at = data.at(t)?;
        let pooled = PooledAt { estimate: at.mu() * c, var: at.var_mu() * c * c, rss: at.rss() };
        let w = if weights { data.weights_percent(t, &at) } else { Vec::new() };
        return Ok((pooled, w));
    }
    let wls = Wls::at_tau2(problem.design, problem.y, problem.v, tau2)?;
    let sum_w = wls.sum_w();
    let pooled = PooledAt { estimate: wls.beta[0], var: wls.a_inv[(0, 0)], rss: wls.rss() };
    let w = if weights { wls.w.iter().map(|w| 100.0 * w / sum_w).collect() } else { Vec::new() };
    Ok((pooled, w))
}

/// What a fit needs from the data, computed by [`fit_problem`] or, for the fits without one
/// study, from running sums (crate::influence).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parts {
    pub k: usize,
    pub tau2: Tau2,
    /// μ̂ at τ̂² and its unscaled variance 1/Σwᵢ.
    pub estimate: f64,
    pub var: f64,
    /// Σwᵢ(yᵢ − μ̂)² at τ̂² (for Knapp–Hartung).
    pub rss: f64,
    /// Cochran's Q test at fixed-effect weights.
    pub q: QTest,
    /// Weight of each study in percent (may be left empty by callers that do not report them).
    pub weights: Vec<f64>,
}

/// The fit from its parts: the test, CI and PI of μ̂ and the heterogeneity statistics;
/// `q_profile` gives the Q-profile interval of τ² (called only under random effects with k ≥ 2).
pub(crate) fn assemble(
    parts: Parts,
    settings: &Settings,
    q_profile: impl FnOnce() -> Result<(f64, f64), Error>,
) -> Result<Fit, Error> {
    let Parts { k, tau2, estimate, mut var, rss, q, weights } = parts;
    let df = q.df;
    let mut warnings = Vec::new();
    let mut settings = *settings;
    if settings.ci == CiType::Hksj && df == 0 {
        // As metafor (rma.uni sets test = "z" when k = 1): Knapp–Hartung has no degrees of freedom.
        warnings.push(
            "Knapp–Hartung needs at least two studies: the Wald-type z test and CI are used for this single study, as metafor does."
                .to_string(),
        );
        settings.ci = CiType::Z;
    }
    let settings = &settings;
    let alpha = 1.0 - settings.level;

    // Test and CI of the pooled estimate.
    let (crit, t_df) = match settings.ci {
        CiType::Z => (Some(dist::qnorm_upper(alpha / 2.0)), None),
        CiType::Hksj => {
            var *= if rss <= f64::EPSILON { 0.0 } else { rss / df as f64 };
            (Some(dist::qt_upper(alpha / 2.0, df as f64)), Some(df))
        }
    };
    if settings.ci == CiType::Hksj && settings.method.is_common() {
        warnings.push(
            "The Knapp–Hartung adjustment is meant for random-effects models; it is applied here to a common-effect model as metafor does."
                .to_string(),
        );
    }
    let se = var.sqrt();
    let pooled = match crit {
        None => Pooled { estimate, se: None, stat: None, df: None, p: None, ci: None, pi: None },
        Some(c) => {
            let (stat, p) = if se > 0.0 {
                let stat = estimate / se;
                let p = match t_df {
                    Some(d) => dist::pt_two_sided(stat, d as f64),
                    None => dist::pnorm_two_sided(stat),
                };
                (Some(stat), Some(p))
            } else {
                // All effects equal: the Knapp–Hartung scale factor is 0, so the statistic is
                // infinite (not representable: null) and, as in metafor, p = 0 unless μ̂ = 0.
                warnings.push(
                    "The effects agree exactly, so the Knapp–Hartung standard error is 0 and the test statistic is infinite."
                        .to_string(),
                );
                (None, (estimate != 0.0).then_some(0.0))
            };
            let pi = if settings.method.is_common() {
                None
            } else {
                let s = (var + tau2.value).sqrt();
                Some((estimate - c * s, estimate + c * s))
            };
            Pooled {
                estimate,
                se: Some(se),
                stat,
                df: t_df,
                p,
                ci: Some((estimate - c * se, estimate + c * se)),
                pi,
            }
        }
    };
    if !pooled.estimate.is_finite() || !se.is_finite() {
        return Err(Error::Numerical { what: "the pooled estimate".into() });
    }

    // Heterogeneity.
    let (mut i2, mut h2, mut tau2_ci, mut i2_ci, mut h2_ci) = (None, None, None, None, None);
    if let Some(vt) = q.typical_v {
        if settings.method.is_common() {
            i2 = Some(heterogeneity::i2_from_q(q.q, df));
            h2 = Some(q.q / df as f64);
        } else {
            i2 = Some(heterogeneity::i2(tau2.value, vt));
            h2 = Some(heterogeneity::h2(tau2.value, vt));
            let (lo, hi) = q_profile()?;
            let search_limit = (10.0 * tau2.value).max(100.0);
            if hi > search_limit {
                warnings.push(format!(
                    "The upper limit of the tau^2 interval ({hi:.4}) lies beyond metafor's default search limit, so metafor's confint() would print it as '>{search_limit:.4}'."
                ));
            }
            tau2_ci = Some((lo, hi));
            i2_ci = Some((heterogeneity::i2(lo, vt), heterogeneity::i2(hi, vt)));
            h2_ci = Some((heterogeneity::h2(lo, vt), heterogeneity::h2(hi, vt)));
        }
    } else {
        warnings.push(
            "With a single study there is no heterogeneity to estimate: tau^2 is set to 0 and I^2, H^2 and the Q test are left empty."
                .to_string(),
        );
    }

    Ok(Fit { settings: *settings, k, tau2, pooled, q, i2, h2, tau2_ci, i2_ci, h2_ci, weights, warnings })
}
