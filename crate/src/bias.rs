//! Small-study effects and publication bias: Egger's regression test, Begg's rank correlation
//! test, trim and fill, Rosenthal's fail-safe N and the PET and PEESE limit estimates, each as
//! metafor 3.8 computes it (`regtest()`, `ranktest()`, `trimfill()`, `fsn()`).
//!
//! # Formulas
//! With effects yᵢ, sampling variances vᵢ, standard errors sᵢ = √vᵢ and k studies:
//! - Egger (`regtest(x, model = "lm")`): the weighted least-squares regression
//!   yᵢ = β₀ + β₁sᵢ + eᵢ with weights 1/vᵢ (an ordinary `lm`, residual variance estimated);
//!   the test is t = β̂₁/SE(β̂₁) with k − 2 df, and β̂₀ (the effect of a study with sᵢ → 0) is
//!   the limit estimate, with the CI β̂₀ ± t_{k−2, 1−α/2}·SE(β̂₀).
//! - PET and PEESE: the intercept β̂₀ of the same regression on sᵢ (PET) and on vᵢ (PEESE), with
//!   SE, t CI and two-sided p with k − 2 df (metafor's `regtest(..., predictor = "sei"/"vi")`
//!   limit estimates).
//! - Begg (`ranktest()`): Kendall's τ_b between yᵢ* = (yᵢ − θ̂)/√(vᵢ − 1/Σwⱼ) (θ̂ the
//!   common-effect estimate, wⱼ = 1/vⱼ) and vᵢ; the p-value is R's `cor.test(…, "kendall",
//!   exact = TRUE)`: the exact null distribution of the number of concordant pairs when there
//!   are no ties, else the normal approximation of S with the tie-corrected variance.
//! - Trim and fill (`trimfill()`, estimator L0): the side is "right" when the slope of the
//!   meta-regression of yᵢ on sᵢ (the model's τ² method) is negative, else "left". On the side's
//!   scale the effects are sorted; the k − k₀ smallest are pooled, giving β̂; with the ranks rᵢ of
//!   |yᵢ − β̂| (ties in input order) and S_r = Σ_{yᵢ > β̂} rᵢ,
//!   k₀ = max(0, round((4S_r − k(k + 1))/(2k − 1))), repeated until k₀ no longer changes. The k₀
//!   most extreme studies are mirrored about β̂ (2β̂ − yᵢ, same vᵢ) and the model is refitted to
//!   the k + k₀ studies with the user's method, CI type and level.
//! - Fail-safe N (`fsn(type = "Rosenthal")`, Stouffer's method, α = 0.05): with zᵢ = yᵢ/sᵢ and
//!   z̄ = |Σzᵢ|/√k, N = max(0, k(z̄/z_{1−α})² − k) rounded up (exactly integral values are
//!   kept), and the one-sided p of z̄.
//!
//! # References
//! Egger M, Davey Smith G, Schneider M, Minder C (1997). Bias in meta-analysis detected by a
//! simple, graphical test. *BMJ* 315(7109), 629–634. doi:10.1136/bmj.315.7109.629.
//! Begg CB, Mazumdar M (1994). Operating characteristics of a rank correlation test for
//! publication bias. *Biometrics* 50(4), 1088–1101. doi:10.2307/2533446.
//! Duval S, Tweedie R (2000). Trim and fill: a simple funnel-plot-based method of testing and
//! adjusting for publication bias in meta-analysis. *Biometrics* 56(2), 455–463.
//! doi:10.1111/j.0006-341X.2000.00455.x; and *JASA* 95(449), 89–98. doi:10.1080/01621459.2000.10473905.
//! Rosenthal R (1979). The "file drawer problem" and tolerance for null results.
//! *Psychological Bulletin* 86(3), 638–641. doi:10.1037/0033-2909.86.3.638.
//! Stanley TD, Doucouliagos H (2014). Meta-regression approximations to reduce publication
//! selection bias. *Research Synthesis Methods* 5(1), 60–78. doi:10.1002/jrsm.1095.

use crate::dist;
use crate::error::Error;
use crate::model::{self, Settings};
use crate::studies::Studies;
use crate::tau2::{self, Problem};
use crate::wls::{Design, Wls};
use serde::{Deserialize, Serialize};

/// The fewest studies the methods need: the regressions have k − 2 residual degrees of freedom.
pub const MIN_STUDIES: usize = 3;

/// Significance level of the fail-safe N (metafor's default).
pub const FAILSAFE_ALPHA: f64 = 0.05;

/// Largest k for which Begg's test uses the exact distribution. metafor 3.8 asks R's
/// `cor.test()` for the exact p-value at any k, but R's `pkendall` divides by k!, which
/// overflows for k > 170 (the p-value comes out as NaN or 0); there the normal approximation
/// is used, as newer metafor versions do when the exact p-value is NaN.
pub const EXACT_KENDALL_MAX: usize = 170;

/// Iteration limit of trim and fill (metafor's `maxiter`).
pub const TRIMFILL_MAX_ITERATIONS: usize = 100;

/// All small-study-effect results. A method that is undefined for the data (for example the
/// regressions when every study has the same variance) is `None`, with the reason in
/// [`Bias::warnings`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bias {
    pub egger: Option<Egger>,
    pub begg: Option<Begg>,
    pub trimfill: Option<TrimFill>,
    pub failsafe: FailSafe,
    pub pet: Option<Limit>,
    pub peese: Option<Limit>,
    /// Why a method gave no result; not part of the JSON (the report collects warnings).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Egger's regression test (metafor `regtest(x, model = "lm", predictor = "sei")`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Egger {
    /// t statistic of the slope on the standard error.
    pub stat: f64,
    /// Residual degrees of freedom k − 2.
    pub df: usize,
    /// Two-sided p-value from t(k − 2).
    pub p: f64,
    /// The intercept: the effect expected for a study with standard error 0.
    pub limit_estimate: f64,
    pub limit_ci_lower: f64,
    pub limit_ci_upper: f64,
}

/// Begg and Mazumdar's rank correlation test (metafor `ranktest()`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Begg {
    /// Kendall's τ_b between the standardized effects and the variances.
    pub tau: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// True when p comes from the exact null distribution, false for the normal approximation.
    pub exact: bool,
}

/// Which side of the funnel plot trim and fill fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Left,
    Right,
}

/// A study added by trim and fill.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Filled {
    pub yi: f64,
    pub vi: f64,
}

/// Trim and fill (metafor `trimfill()`, estimator L0) and the model refitted with the filled
/// studies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrimFill {
    /// Estimated number of missing studies.
    pub k0: usize,
    pub side: Side,
    pub estimate: f64,
    pub se: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub tau2: f64,
    /// The added studies, in metafor's order.
    pub filled: Vec<Filled>,
}

/// Rosenthal's fail-safe N (metafor `fsn(yi, vi)`, Stouffer's method).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailSafe {
    /// Number of null studies that would raise the combined one-sided p to α.
    pub n: u64,
    /// Stouffer's combined z = |Σ yᵢ/sᵢ|/√k.
    pub z: f64,
    /// One-sided p-value of z (metafor's "observed significance level").
    pub p: f64,
    /// The target significance level α.
    pub alpha: f64,
    /// Rosenthal's (1979) tolerance level 5k + 10: N above it is conventionally called robust.
    pub target_k: u64,
}

/// An intercept (limit) estimate of a weighted regression on precision (PET, PEESE).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Limit {
    pub estimate: f64,
    pub se: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    /// Two-sided p-value from t(k − 2).
    pub p: f64,
}

/// Runs every small-study-effect method on the studies, with the model settings (τ² method,
/// CI type, level) used by trim and fill and the level used by every interval.
///
/// # Errors
/// [`Error::TooFewStudies`] when k < 3; [`Error::Numerical`] when an intermediate is not finite;
/// [`Error::NotConverged`] when a τ² estimator or the trim-and-fill iteration does not converge.
///
/// # Example
/// ```
/// use metapool::{bias::small_study_effects, model::Settings, Studies};
/// let s = Studies::from_effects(&[0.1, 0.3, 0.35, 0.6, 0.9], &[0.01, 0.02, 0.04, 0.06, 0.09]).unwrap();
/// let b = small_study_effects(&s, &Settings::default()).unwrap();
/// assert_eq!(b.egger.unwrap().df, 3);
/// assert!(b.begg.unwrap().exact);
/// assert_eq!(b.failsafe.target_k, 35);
/// ```
pub fn small_study_effects(studies: &Studies, settings: &Settings) -> Result<Bias, Error> {
    let k = studies.k();
    if k < MIN_STUDIES {
        return Err(Error::TooFewStudies {
            k,
            needed: MIN_STUDIES,
            what: "the small-study-effect methods (Egger's, PET and PEESE regressions have k - 2 degrees of freedom)"
                .into(),
        });
    }
    let (y, v) = (studies.yi(), studies.vi());
    let sei: Vec<f64> = v.iter().map(|x| x.sqrt()).collect();
    let mut warnings = Vec::new();
    let identical = y.iter().all(|&yi| yi == y[0]);
    if identical {
        warnings.push(
            "All effects are equal, so Egger's test, the PET and PEESE estimates and Begg's test are undefined and trim and fill adds no studies (metafor reports rounding noise here)."
                .to_string(),
        );
    }

    let on_sei = precision_regression(y, v, &sei, settings.level, "Egger's regression test")?;
    let on_vi = precision_regression(y, v, v, settings.level, "the PEESE regression")?;
    let why = |names: &str, reason: Undefined| match reason {
        Undefined::EqualPrecision => format!(
            "{names} undefined: every study has (almost) the same standard error (metafor stops: 'Model matrix no longer of full rank')."
        ),
        Undefined::ExactFit => format!(
            "{names} left empty: the effects lie exactly on a line, so the regression has no residual variance."
        ),
    };
    match (&on_sei, &on_vi) {
        _ if identical => {}
        (Err(a), Err(b)) if a == b => warnings.push(why("Egger's test and the PET and PEESE estimates are", *a)),
        (a, b) => {
            if let Err(r) = a {
                warnings.push(why("Egger's test and the PET estimate are", *r));
            }
            if let Err(r) = b {
                warnings.push(why("The PEESE estimate is", *r));
            }
        }
    }
    let egger = on_sei.as_ref().ok().map(|r| Egger {
        stat: r.slope_t,
        df: r.df,
        p: r.slope_p,
        limit_estimate: r.intercept.estimate,
        limit_ci_lower: r.intercept.ci_lower,
        limit_ci_upper: r.intercept.ci_upper,
    });
    let pet = on_sei.ok().map(|r| r.intercept);
    let peese = on_vi.ok().map(|r| r.intercept);

    let begg = if identical { None } else { rank_correlation(y, v)? };
    if begg.is_none() && !identical {
        warnings.push(
            "Every study has the same variance, so Begg's rank correlation is undefined (metafor gives NA).".to_string(),
        );
    }

    let trimfill = match trim_and_fill(studies, settings, identical) {
        Ok(Some(t)) => Some(t),
        Ok(None) => {
            warnings.push(
                "Every study has (almost) the same standard error, so trim and fill cannot choose a side of the funnel plot (metafor stops here)."
                    .to_string(),
            );
            None
        }
        // metafor stops here too; the other small-study methods still stand.
        Err(e @ (Error::NotConverged { .. } | Error::Numerical { .. })) => {
            warnings.push(format!("Trim and fill is left empty: {e}."));
            None
        }
        Err(e) => return Err(e),
    };

    let (failsafe, warning) = fail_safe_n(y, v)?;
    warnings.extend(warning);
    Ok(Bias { egger, begg, trimfill, failsafe, pet, peese, warnings })
}

/// The weighted `lm` of y on [1, x] with weights 1/v: the intercept with its t inference and the
/// slope's t test, as R's `summary(lm(y ~ x, weights = 1/v))` gives them.
#[derive(Debug, Clone, PartialEq)]
struct PrecisionRegression {
    intercept: Limit,
    slope_t: f64,
    slope_p: f64,
    df: usize,
}

/// R's `lm` (LINPACK `dqrdc2`, tolerance 1e-7) drops a column whose norm after removing its
/// projection on the previous column falls below 1e-7 of its own norm. True when `x` stays.
fn full_rank(first: &[f64], x: &[f64]) -> bool {
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
    let c = dot(first, x) / dot(first, first);
    let resid: f64 = first.iter().zip(x).map(|(f, xi)| (xi - c * f).powi(2)).sum();
    let norm = dot(x, x);
    resid.is_finite() && norm.is_finite() && resid.sqrt() >= 1e-7 * norm.sqrt()
}

/// Why a regression on precision has no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Undefined {
    /// The predictor is (nearly) constant: R's `lm` drops it and metafor's `regtest` stops.
    EqualPrecision,
    /// The residuals vanish (for example all effects equal): no residual variance, so no t test.
    ExactFit,
}

/// Fits the weighted regression of y on [1, x] (weights 1/v).
///
/// Formula: β̂ = (XᵀWX)⁻¹XᵀWy, σ̂² = Σwᵢrᵢ²/(k − 2), SE(β̂ⱼ) = √(σ̂²·[(XᵀWX)⁻¹]ⱼⱼ).
///
/// # Errors
/// [`Error::Numerical`] when the fit or its inference is not finite.
fn precision_regression(
    y: &[f64],
    v: &[f64],
    x: &[f64],
    level: f64,
    what: &str,
) -> Result<Result<PrecisionRegression, Undefined>, Error> {
    let k = y.len();
    let ones = vec![1.0; k];
    let sw: Vec<f64> = v.iter().map(|vi| 1.0 / vi.sqrt()).collect();
    let swx: Vec<f64> = sw.iter().zip(x).map(|(s, xi)| s * xi).collect();
    // metafor first checks the unweighted lm, then fits the weighted one.
    if !full_rank(&ones, x) || !full_rank(&sw, &swx) {
        return Ok(Err(Undefined::EqualPrecision));
    }
    let design = Design::from_columns(vec![ones, x.to_vec()]);
    let fit = Wls::fit(&design, y, v.iter().map(|vi| 1.0 / vi).collect())?;
    let df = k - 2;
    let sigma2 = fit.rss() / df as f64;
    let numerical = || Error::Numerical { what: what.to_string() };
    if !sigma2.is_finite() {
        return Err(numerical());
    }
    // Residuals at the rounding level of the effects: an exact fit.
    let y_max = y.iter().fold(0.0f64, |m, yi| m.max(yi.abs()));
    if fit.resid.iter().all(|r| r.abs() <= 100.0 * f64::EPSILON * y_max) {
        return Ok(Err(Undefined::ExactFit));
    }
    let se0 = (sigma2 * fit.a_inv[(0, 0)]).sqrt();
    let se1 = (sigma2 * fit.a_inv[(1, 1)]).sqrt();
    let (b0, b1) = (fit.beta[0], fit.beta[1]);
    let (t0, t1) = (b0 / se0, b1 / se1);
    let crit = dist::qt_upper((1.0 - level) / 2.0, df as f64);
    let intercept = Limit {
        estimate: b0,
        se: se0,
        ci_lower: b0 - crit * se0,
        ci_upper: b0 + crit * se0,
        p: dist::pt_two_sided(t0, df as f64),
    };
    let all = [b0, se0, t0, t1, intercept.ci_lower, intercept.ci_upper, intercept.p];
    if !all.iter().all(|z| z.is_finite()) || se0 <= 0.0 || se1 <= 0.0 {
        return Err(numerical());
    }
    Ok(Ok(PrecisionRegression { intercept, slope_t: t1, slope_p: dist::pt_two_sided(t1, df as f64), df }))
}

/// Begg and Mazumdar's test: Kendall's τ between the standardized deviates and the variances,
/// or `None` when the variances (or the deviates) are all equal (τ undefined; R gives NA).
///
/// # Formula
/// yᵢ* = (yᵢ − θ̂)/√(vᵢ − 1/Σwⱼ), θ̂ = Σwⱼyⱼ/Σwⱼ, wⱼ = 1/vⱼ; then [`kendall`] on (yᵢ*, vᵢ).
///
/// Computed as vᵢ − 1/S = S₋ᵢ/(wᵢS) (S = Σwⱼ, S₋ᵢ the sum without study i, summed directly for
/// the most precise study) and yᵢ − θ̂ about that study's effect (as `Wls` does), so that a study
/// far more precise than the others keeps a finite, exact deviate instead of 0/0.
fn rank_correlation(y: &[f64], v: &[f64]) -> Result<Option<Begg>, Error> {
    let w: Vec<f64> = v.iter().map(|vi| 1.0 / vi).collect();
    let top = (0..w.len()).fold(0, |best, i| if w[i] > w[best] { i } else { best });
    let sum_w: f64 = w.iter().sum();
    let without_top: f64 = w.iter().enumerate().filter(|&(i, _)| i != top).map(|(_, w)| w).sum();
    let delta = w.iter().zip(y).map(|(w, yi)| w * (yi - y[top])).sum::<f64>() / sum_w;
    let ystar: Vec<f64> = (0..w.len())
        .map(|i| {
            let rest = if i == top { without_top } else { sum_w - w[i] };
            ((y[i] - y[top]) - delta) / (rest / (w[i] * sum_w)).sqrt()
        })
        .collect();
    if !ystar.iter().all(|z| z.is_finite()) {
        return Err(Error::Numerical { what: "Begg's rank correlation test".into() });
    }
    Ok(kendall(&ystar, v))
}

/// Kendall's rank correlation test as R's `cor.test(x, y, method = "kendall", exact = TRUE)`,
/// two-sided, without continuity correction. `None` when either variable is constant.
///
/// # Formula
/// Over the pairs i < j, S = Σ sign(xᵢ − xⱼ)·sign(yᵢ − yⱼ) and τ_b = S/√((n₀ − n₁)(n₀ − n₂)),
/// n₀ = n(n − 1)/2, n₁ and n₂ the pairs tied in x and in y.
/// - No ties (and n ≤ [`EXACT_KENDALL_MAX`]): with C = (S + n₀)/2 concordant pairs,
///   p = min(1, 2·P(T ≤ min(C, n₀ − C))) under the exact null distribution of T (see
///   [`kendall_cdf`]).
/// - Otherwise: z = S/√Var(S) and p = 2·P(Z > |z|), with
///   Var(S) = (v₀ − v_t − v_u)/18 + v₁/(2n(n − 1)) + v₂/(9n(n − 1)(n − 2)),
///   v₀ = n(n − 1)(2n + 5), v_t = Σt(t − 1)(2t + 5) over the sizes t of the tie groups of x
///   (v_u likewise over the sizes u for y), v₁ = Σt(t − 1)·Σu(u − 1) and
///   v₂ = Σt(t − 1)(t − 2)·Σu(u − 1)(u − 2).
///
/// Reference: Kendall MG (1970), *Rank Correlation Methods*, 4th ed., ch. 4; Hollander M,
/// Wolfe DA (1973), *Nonparametric Statistical Methods*, pp. 185–194.
pub fn kendall(x: &[f64], y: &[f64]) -> Option<Begg> {
    let n = x.len();
    let sign = |d: f64| -> i64 {
        if d > 0.0 {
            1
        } else if d < 0.0 {
            -1
        } else {
            0
        }
    };
    let (mut s, mut nx, mut ny) = (0i64, 0i64, 0i64);
    for i in 0..n {
        for j in 0..i {
            let (a, b) = (sign(x[i] - x[j]), sign(y[i] - y[j]));
            s += a * b;
            nx += a * a;
            ny += b * b;
        }
    }
    if nx == 0 || ny == 0 {
        return None;
    }
    let tau = (s as f64 / ((nx as f64).sqrt() * (ny as f64).sqrt())).min(1.0);
    let n0 = (n * (n - 1) / 2) as i64;
    let ties = nx < n0 || ny < n0;
    if !ties && n <= EXACT_KENDALL_MAX {
        let concordant = ((s + n0) / 2) as usize;
        let m = concordant.min(n0 as usize - concordant);
        let p = (2.0 * kendall_cdf(m, n)).min(1.0);
        return Some(Begg { tau, p, exact: true });
    }
    let nf = n as f64;
    let (tx, ty) = (tie_groups(x), tie_groups(y));
    let sum = |g: &[f64], f: &dyn Fn(f64) -> f64| g.iter().map(|&t| f(t)).sum::<f64>();
    let v0 = nf * (nf - 1.0) * (2.0 * nf + 5.0);
    let vt = sum(&tx, &|t| t * (t - 1.0) * (2.0 * t + 5.0));
    let vu = sum(&ty, &|t| t * (t - 1.0) * (2.0 * t + 5.0));
    let v1 = sum(&tx, &|t| t * (t - 1.0)) * sum(&ty, &|t| t * (t - 1.0));
    let v2 = sum(&tx, &|t| t * (t - 1.0) * (t - 2.0)) * sum(&ty, &|t| t * (t - 1.0) * (t - 2.0));
    let var_s =
        (v0 - vt - vu) / 18.0 + v1 / (2.0 * nf * (nf - 1.0)) + v2 / (9.0 * nf * (nf - 1.0) * (nf - 2.0));
    let z = s as f64 / var_s.sqrt();
    z.is_finite().then(|| Begg { tau, p: dist::pnorm_two_sided(z), exact: false })
}

/// Sizes of the groups of exactly equal values that have at least two members.
fn tie_groups(x: &[f64]) -> Vec<f64> {
    let mut sorted = x.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).expect("the values are finite"));
    let mut groups = Vec::new();
    let mut run = 1usize;
    for i in 1..=sorted.len() {
        if i < sorted.len() && sorted[i] == sorted[i - 1] {
            run += 1;
        } else {
            if run > 1 {
                groups.push(run as f64);
            }
            run = 1;
        }
    }
    groups
}

/// P(T ≤ q) for the number T of concordant pairs (equivalently of inversions of a random
/// permutation) among n untied observations under independence: R's `pkendall`.
///
/// # Formula
/// The counts c(q, n) of permutations of n with q inversions (Mahonian numbers) satisfy
/// c(q, n) = Σ_{i=0}^{n−1} c(q − i, n − 1), c(0, 1) = 1 (R's `ckendall`). Here the
/// probabilities c(q, n)/n! are built level by level, P_n(q) = (1/n)·Σ_{i<n} P_{n−1}(q − i),
/// with running sums, so nothing overflows; the result is Σ_{j ≤ q} P_n(j).
pub fn kendall_cdf(q: usize, n: usize) -> f64 {
    let n0 = n * n.saturating_sub(1) / 2;
    if q >= n0 {
        return 1.0;
    }
    // Only P_l(0..=q) is needed at every level l.
    let mut prob = vec![0.0; q + 1];
    prob[0] = 1.0; // n = 1: one permutation, no inversions.
    let mut prefix = vec![0.0; q + 2];
    for l in 2..=n {
        // prefix[j] = Σ_{i<j} P_{l−1}(i)
        for j in 0..=q {
            prefix[j + 1] = prefix[j] + prob[j];
        }
        let max_l = l * (l - 1) / 2;
        for j in 0..=q {
            prob[j] = if j > max_l {
                0.0
            } else {
                let lo = (j + 1).saturating_sub(l);
                (prefix[j + 1] - prefix[lo]) / l as f64
            };
        }
    }
    prob.iter().sum::<f64>().min(1.0)
}

/// Trim and fill with the L0 estimator, or `None` when the side cannot be chosen (the standard
/// errors are all equal, so the side regression has no slope). With `identical` effects the
/// funnel plot is symmetric: no study is added (metafor's result there is rounding noise) and the
/// side is "left", metafor's choice for a zero slope.
fn trim_and_fill(studies: &Studies, settings: &Settings, identical: bool) -> Result<Option<TrimFill>, Error> {
    let (y, v) = (studies.yi(), studies.vi());
    let k = y.len();
    let sei: Vec<f64> = v.iter().map(|x| x.sqrt()).collect();
    let ones = vec![1.0; k];
    if !full_rank(&ones, &sei) {
        return Ok(None);
    }
    // Side: the sign of the slope of the meta-regression on the standard errors.
    let slope = if identical {
        0.0
    } else {
        let design = Design::from_columns(vec![ones, sei]);
        let problem = Problem { y, v, design: &design };
        let t2 = tau2::estimate(settings.method, &problem)?.value;
        Wls::at_tau2(&design, y, v, t2)?.beta[1]
    };
    let side = if slope < 0.0 { Side::Right } else { Side::Left };
    let flip = side == Side::Right;

    let mut order: Vec<usize> = (0..k).collect();
    let ys_all: Vec<f64> = y.iter().map(|&yi| if flip { -yi } else { yi }).collect();
    order.sort_by(|&a, &b| ys_all[a].partial_cmp(&ys_all[b]).expect("effects are finite"));
    let ys: Vec<f64> = order.iter().map(|&i| ys_all[i]).collect();
    let vs: Vec<f64> = order.iter().map(|&i| v[i]).collect();

    let pooled = |m: usize| -> Result<f64, Error> {
        let design = Design::intercept(m);
        let problem = Problem { y: &ys[..m], v: &vs[..m], design: &design };
        let t2 = tau2::estimate(settings.method, &problem)?.value;
        Ok(Wls::at_tau2(&design, &ys[..m], &vs[..m], t2)?.beta[0])
    };
    let kf = k as f64;
    let mut k0 = 0usize;
    let mut previous: Option<usize> = None;
    let mut beta = f64::NAN;
    let mut iterations = 0;
    while previous != Some(k0) && !identical {
        iterations += 1;
        if iterations > TRIMFILL_MAX_ITERATIONS {
            return Err(Error::NotConverged {
                method: "trim-and-fill (L0)".into(),
                iterations: TRIMFILL_MAX_ITERATIONS,
            });
        }
        previous = Some(k0);
        beta = pooled(k - k0)?;
        let centred: Vec<f64> = ys.iter().map(|yi| yi - beta).collect();
        // Ranks of |yᵢ − β̂|, ties in order of appearance (R's rank(ties.method = "first")).
        let mut by_abs: Vec<usize> = (0..k).collect();
        by_abs.sort_by(|&a, &b| centred[a].abs().partial_cmp(&centred[b].abs()).expect("finite"));
        let sr: f64 = by_abs
            .iter()
            .enumerate()
            .filter(|&(_, &i)| centred[i] > 0.0)
            .map(|(rank, _)| (rank + 1) as f64)
            .sum();
        let raw = (4.0 * sr - kf * (kf + 1.0)) / (2.0 * kf - 1.0);
        if !raw.is_finite() || !beta.is_finite() {
            return Err(Error::Numerical { what: "trim and fill".into() });
        }
        // L0 < k for k ≥ 3 (its maximum is k(k + 1)/(2k − 1)); the guard keeps a study in the fit.
        k0 = (raw.round_ties_even().max(0.0) as usize).min(k - 1);
    }

    let filled: Vec<Filled> = (k - k0..k)
        .map(|i| {
            let t = (ys[i] - beta) - beta;
            Filled { yi: if flip { t } else { -t }, vi: vs[i] }
        })
        .collect();
    let yi: Vec<f64> = y.iter().copied().chain(filled.iter().map(|f| f.yi)).collect();
    let vi: Vec<f64> = v.iter().copied().chain(filled.iter().map(|f| f.vi)).collect();
    // Mirrored effects can leave the accepted range (2μ̂ − yᵢ for yᵢ near 1e100): the caller
    // then leaves trim and fill empty with this reason rather than name a row that is not data.
    let all = Studies::from_effects(&yi, &vi)
        .map_err(|_| Error::Numerical { what: "trim and fill (its filled studies lie beyond the accepted range)".into() })?;
    let fit = model::fit(&all, settings)?;
    let missing = || Error::Numerical { what: "the trim-and-fill estimate".into() };
    let se = fit.pooled.se.ok_or_else(missing)?;
    let (ci_lower, ci_upper) = fit.pooled.ci.ok_or_else(missing)?;
    Ok(Some(TrimFill {
        k0,
        side,
        estimate: fit.pooled.estimate,
        se,
        ci_lower,
        ci_upper,
        tau2: fit.tau2.value,
        filled,
    }))
}

/// Rosenthal's fail-safe N with Stouffer's combined z at α = [`FAILSAFE_ALPHA`].
fn fail_safe_n(y: &[f64], v: &[f64]) -> Result<(FailSafe, Option<String>), Error> {
    let k = y.len() as f64;
    let z = (y.iter().zip(v).map(|(yi, vi)| yi / vi.sqrt()).sum::<f64>() / k.sqrt()).abs();
    let p = dist::pnorm_two_sided(z) / 2.0;
    let crit = dist::qnorm_upper(FAILSAFE_ALPHA);
    let raw = (k * (z / crit).powi(2) - k).max(0.0);
    // metafor: round up unless within √ε of an integer.
    let n = if (raw - raw.round()).abs() >= f64::EPSILON.sqrt() { raw.ceil() } else { raw.round() };
    if !z.is_finite() || !n.is_finite() {
        return Err(Error::Numerical { what: "the fail-safe N".into() });
    }
    // Beyond 2^53 a whole number has no exact double (nor a JavaScript number): say so and cap.
    let (n, warning) = if n > MAX_FAILSAFE_N {
        let text = format!(
            "Rosenthal's fail-safe N is about {n:.3e}, more than can be written exactly; it is shown as {MAX_FAILSAFE_N}."
        );
        (MAX_FAILSAFE_N, Some(text))
    } else {
        (n, None)
    };
    let failsafe = FailSafe { n: n as u64, z, p, alpha: FAILSAFE_ALPHA, target_k: 5 * y.len() as u64 + 10 };
    Ok((failsafe, warning))
}

/// The largest fail-safe N reported: 2^53, the end of the whole numbers a double holds exactly.
const MAX_FAILSAFE_N: f64 = 9_007_199_254_740_992.0;

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    /// Mahonian numbers for n = 4 (OEIS A008302): 1, 3, 5, 6, 5, 3, 1 permutations with
    /// 0, …, 6 inversions out of 4! = 24.
    #[test]
    fn kendall_exact_distribution_n4() {
        let counts = [1.0, 3.0, 5.0, 6.0, 5.0, 3.0, 1.0];
        let mut cum = 0.0;
        for (q, c) in counts.iter().enumerate() {
            cum += c;
            assert!(close(kendall_cdf(q, 4), cum / 24.0, 1e-15), "q = {q}");
        }
        assert_eq!(kendall_cdf(10, 4), 1.0);
        // n = 5: 1, 4, 9, 15, 20, 22, 20, … out of 120.
        assert!(close(kendall_cdf(3, 5), 29.0 / 120.0, 1e-15));
        assert!(close(kendall_cdf(5, 5), 71.0 / 120.0, 1e-15));
    }

    /// cor.test(1:4, c(1, 3, 2, 4), method = "kendall"): tau = 2/3, p = 0.3333333 (2·4/24).
    #[test]
    fn kendall_small_exact_test() {
        let r = kendall(&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 4.0]).unwrap();
        assert!(close(r.tau, 2.0 / 3.0, 1e-15));
        assert!(close(r.p, 8.0 / 24.0, 1e-15));
        assert!(r.exact);
        // Perfect concordance: p = 2/4!.
        let r = kendall(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert!(close(r.tau, 1.0, 0.0) && close(r.p, 2.0 / 24.0, 1e-15));
        assert!(kendall(&[1.0, 2.0, 3.0], &[5.0, 5.0, 5.0]).is_none());
    }

    /// With ties: cor.test(c(1, 2, 2, 3, 4), c(1, 3, 2, 5, 4), method = "kendall") gives
    /// tau = 0.73786478737262184, z = 1.7685190342396897, p = 0.07697417298126677 (R 4.2.2).
    /// By hand: S = 8 − 1 = 7 with one pair tied in x, τ_b = 7/√(9·10);
    /// Var(S) = (5·4·15 − 2·1·9)/18 = 282/18; z = 7/√(282/18).
    #[test]
    fn kendall_normal_approximation_with_ties() {
        let r = kendall(&[1.0, 2.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 5.0, 4.0]).unwrap();
        assert!(!r.exact);
        assert!(close(r.tau, 7.0 / 90f64.sqrt(), 1e-15));
        let z: f64 = 7.0 / (282.0f64 / 18.0).sqrt();
        assert!(close(z, 1.7685190342396897, 1e-15));
        assert!(close(r.p, dist::pnorm_two_sided(z), 1e-15));
        // statrs's normal tail agrees with R's pnorm to about 1e-10 relative here.
        assert!(close(r.p, 0.07697417298126677, 1e-9), "{}", r.p);
    }

    /// k = 3 on a line y = 1 + 2·se would be an exact fit; perturbed, Egger's slope and PET's
    /// intercept are those of the weighted regression solved by hand (normal equations).
    #[test]
    fn egger_by_hand() {
        let y = [1.2, 1.5, 2.1, 1.4];
        let v = [0.04, 0.09, 0.25, 0.16];
        let s = Studies::from_effects(&y, &v).unwrap();
        let b = small_study_effects(&s, &Settings::default()).unwrap();
        // Normal equations with w = 1/v, x = √v.
        let w: Vec<f64> = v.iter().map(|x| 1.0 / x).collect();
        let x: Vec<f64> = v.iter().map(|x: &f64| x.sqrt()).collect();
        let (sw, swx, swxx, swy, swxy) = (
            w.iter().sum::<f64>(),
            (0..4).map(|i| w[i] * x[i]).sum::<f64>(),
            (0..4).map(|i| w[i] * x[i] * x[i]).sum::<f64>(),
            (0..4).map(|i| w[i] * y[i]).sum::<f64>(),
            (0..4).map(|i| w[i] * x[i] * y[i]).sum::<f64>(),
        );
        let det = sw * swxx - swx * swx;
        let b1 = (sw * swxy - swx * swy) / det;
        let b0 = (swy - b1 * swx) / sw;
        let rss: f64 = (0..4).map(|i| w[i] * (y[i] - b0 - b1 * x[i]).powi(2)).sum();
        let s2 = rss / 2.0;
        let se1 = (s2 * sw / det).sqrt();
        let se0 = (s2 * swxx / det).sqrt();
        let egger = b.egger.unwrap();
        let pet = b.pet.unwrap();
        assert_eq!(egger.df, 2);
        assert!(close(egger.stat, b1 / se1, 1e-12));
        assert!(close(pet.estimate, b0, 1e-12) && close(pet.se, se0, 1e-12));
        assert!(close(egger.limit_estimate, b0, 1e-12));
        assert!(close(egger.limit_ci_upper - egger.limit_ci_lower, 2.0 * 4.302_652_729_749_462 * se0, 1e-12));
    }

    /// fsn(c(0.5, 0.3, 0.4), c(0.04, 0.09, 0.16)): z̄ = (2.5 + 1 + 1)/√3, N = ceil(3·(z̄/1.6449)² − 3).
    #[test]
    fn fail_safe_n_by_hand() {
        let (f, warning) = fail_safe_n(&[0.5, 0.3, 0.4], &[0.04, 0.09, 0.16]).unwrap();
        assert_eq!(warning, None);
        let z = 4.5 / 3f64.sqrt();
        assert!(close(f.z, z, 1e-15));
        let raw = 3.0 * (z / 1.6448536269514722f64).powi(2) - 3.0;
        assert_eq!(f.n, raw.ceil() as u64);
        assert_eq!(f.target_k, 25);
        assert!(close(f.p, dist::pnorm_two_sided(z) / 2.0, 1e-15));
        // One study with an SE of 1e-45: N = 3·(z/1.645)² − 3 ≈ 8e88, capped at 2^53 with a warning.
        let (f, warning) = fail_safe_n(&[0.5, 0.3, 0.47], &[0.04, 0.09, 1e-90]).unwrap();
        assert_eq!(f.n, 1 << 53);
        assert!(warning.unwrap().starts_with("Rosenthal's fail-safe N is about 8.16"));
    }

    #[test]
    fn too_few_studies_and_equal_variances() {
        let s = Studies::from_effects(&[0.1, 0.2], &[0.01, 0.02]).unwrap();
        assert!(matches!(
            small_study_effects(&s, &Settings::default()),
            Err(Error::TooFewStudies { k: 2, needed: 3, .. })
        ));
        let s = Studies::from_effects(&[0.1, 0.2, 0.4, 0.3], &[0.02; 4]).unwrap();
        let b = small_study_effects(&s, &Settings::default()).unwrap();
        assert!(b.egger.is_none() && b.pet.is_none() && b.peese.is_none());
        assert!(b.begg.is_none() && b.trimfill.is_none());
        assert_eq!(b.warnings.len(), 3);
    }

    /// Identical effects: metafor's regtest/ranktest/trimfill report rounding noise (t = 1.73,
    /// τ = −1, k₀ = 3 for these data); here the regressions and Begg's test are empty and trim
    /// and fill adds nothing. The fail-safe N is defined: fsn() gives 48.
    #[test]
    fn identical_effects() {
        let s = Studies::from_effects(&[0.4; 5], &[0.01, 0.04, 0.09, 0.02, 0.05]).unwrap();
        let b = small_study_effects(&s, &Settings::default()).unwrap();
        assert!(b.egger.is_none() && b.pet.is_none() && b.peese.is_none() && b.begg.is_none());
        let tf = b.trimfill.unwrap();
        assert_eq!((tf.k0, tf.side), (0, Side::Left));
        assert!(close(tf.estimate, 0.4, 1e-14) && tf.filled.is_empty());
        assert_eq!(b.failsafe.n, 48);
        assert_eq!(b.warnings.len(), 1);
    }

    /// Mirror symmetry: negating every effect keeps k₀, swaps the side and negates the estimate.
    #[test]
    fn trim_and_fill_is_symmetric() {
        let y = [0.1, 0.3, 0.35, 0.6, 0.9, 0.2, 0.55];
        let v = [0.01, 0.02, 0.04, 0.06, 0.09, 0.015, 0.05];
        let neg: Vec<f64> = y.iter().map(|x| -x).collect();
        let settings = Settings { method: crate::tau2::Method::DL, ..Settings::default() };
        let a = trim_and_fill(&Studies::from_effects(&y, &v).unwrap(), &settings, false).unwrap().unwrap();
        let b = trim_and_fill(&Studies::from_effects(&neg, &v).unwrap(), &settings, false).unwrap().unwrap();
        assert_eq!(a.k0, b.k0);
        assert_ne!(a.side, b.side);
        assert!(close(a.estimate, -b.estimate, 1e-12));
        assert!(a.k0 > 0);
    }
}
