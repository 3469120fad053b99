//! Estimators of the between-study variance τ², one file each, behind [`Method`].
//!
//! Every estimator is defined exactly as metafor's `rma.uni()` defines it (Viechtbauer 2010,
//! *J. Stat. Softw.* 36(3), doi:10.18637/jss.v036.i03), with the same starting values and the same
//! truncation at zero, but iterated to a far tighter tolerance than metafor's default.

mod dl;
mod eb;
mod he;
mod hs;
pub(crate) mod intercept;
mod ml;
mod pm;
pub(crate) use pm::solve_q_equals;
mod reml;
mod sj;

use crate::error::Error;
use crate::wls::{Design, Wls};
use intercept::{scale_of, Effects, Sums};
use serde::Serialize;

/// The model: common effect (FE) or random effects with a τ² estimator. Codes as in metafor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Method {
    /// Common-effect (fixed-effect) model: τ² = 0.
    FE,
    /// DerSimonian–Laird (1986).
    DL,
    /// Restricted maximum likelihood (Viechtbauer 2005).
    REML,
    /// Maximum likelihood (Hardy & Thompson 1996).
    ML,
    /// Paule–Mandel (1982).
    PM,
    /// Hunter–Schmidt (2004).
    HS,
    /// Sidik–Jonkman (2005).
    SJ,
    /// Hedges (1983), also called the variance-components estimator.
    HE,
    /// Empirical Bayes (Morris 1983; Berkey et al. 1995).
    EB,
}

impl Method {
    pub const ALL: [Method; 9] = [
        Method::FE,
        Method::DL,
        Method::REML,
        Method::ML,
        Method::PM,
        Method::HS,
        Method::SJ,
        Method::HE,
        Method::EB,
    ];

    /// metafor's code, as users type it.
    pub fn code(self) -> &'static str {
        match self {
            Method::FE => "FE",
            Method::DL => "DL",
            Method::REML => "REML",
            Method::ML => "ML",
            Method::PM => "PM",
            Method::HS => "HS",
            Method::SJ => "SJ",
            Method::HE => "HE",
            Method::EB => "EB",
        }
    }

    /// The name shown on screen.
    pub fn name(self) -> &'static str {
        match self {
            Method::FE => "common-effect (inverse variance)",
            Method::DL => "DerSimonian–Laird",
            Method::REML => "restricted maximum likelihood",
            Method::ML => "maximum likelihood",
            Method::PM => "Paule–Mandel",
            Method::HS => "Hunter–Schmidt",
            Method::SJ => "Sidik–Jonkman",
            Method::HE => "Hedges",
            Method::EB => "empirical Bayes",
        }
    }

    /// Parses a code case-insensitively; metafor's aliases EE and CE mean FE.
    ///
    /// # Errors
    /// [`Error::BadOption`] naming the allowed codes.
    pub fn parse(s: &str) -> Result<Method, Error> {
        let up = s.trim().to_ascii_uppercase();
        match up.as_str() {
            "EE" | "CE" => return Ok(Method::FE),
            _ => {}
        }
        Method::ALL.into_iter().find(|m| m.code() == up).ok_or_else(|| Error::BadOption {
            option: "method".into(),
            value: s.into(),
            allowed: Method::ALL.map(Method::code).join(", "),
        })
    }

    pub fn is_common(self) -> bool {
        self == Method::FE
    }
}

/// The data an estimator works on: effects, sampling variances and the design.
#[derive(Debug, Clone, Copy)]
pub struct Problem<'a> {
    pub y: &'a [f64],
    pub v: &'a [f64],
    pub design: &'a Design,
}

impl Problem<'_> {
    pub fn k(&self) -> usize {
        self.y.len()
    }
    /// Residual degrees of freedom k − p.
    pub fn df(&self) -> usize {
        self.k() - self.design.p()
    }
    /// The scale of the sampling variances, used to make tolerances relative.
    pub fn scale(&self) -> f64 {
        self.v.iter().sum::<f64>() / self.v.len() as f64
    }
}

/// An estimate of τ² and how many iterations it took (0 for closed forms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tau2 {
    pub value: f64,
    pub iterations: usize,
}

impl Tau2 {
    fn closed(value: f64) -> Self {
        Tau2 { value: value.max(0.0), iterations: 0 }
    }
}

/// Iteration limit of the iterative estimators.
pub const MAX_ITERATIONS: usize = 1000;
/// Iterations stop when a step changes τ² by less than this times (τ² + mean vᵢ).
pub const RELATIVE_THRESHOLD: f64 = 1e-13;

/// Estimates τ² with `method`. With k ≤ p (one study) τ² is 0, as in metafor.
///
/// # Errors
/// [`Error::NotConverged`] when an iterative method does not converge; [`Error::Numerical`] when
/// the numbers overflow.
pub fn estimate(method: Method, problem: &Problem) -> Result<Tau2, Error> {
    if problem.df() == 0 || method == Method::FE {
        return Ok(Tau2::closed(0.0));
    }
    let data = Data::new(problem);
    let mut t = match method {
        Method::FE => unreachable!("handled above"),
        Method::DL => dl::tau2(&data)?,
        Method::REML => reml::tau2(&data)?,
        Method::ML => ml::tau2(&data)?,
        Method::PM => pm::tau2(&data)?,
        Method::HS => hs::tau2(&data)?,
        Method::SJ => sj::tau2(&data)?,
        Method::HE => he::tau2(&data)?,
        Method::EB => eb::tau2(&data)?,
    };
    t.value *= data.c2();
    if !t.value.is_finite() {
        return Err(Error::Numerical { what: format!("tau^2 ({})", method.name()) });
    }
    Ok(t)
}

/// The data the estimators and the Q-profile interval iterate over.
///
/// Every estimator is scale-equivariant: τ̂²(y/c, v/c²) = τ̂²(y, v)/c². They run on the data
/// divided by c, a power of two near √(max vᵢ) or the effects' range if that is larger
/// ([`intercept::scale_of`]), so that the powers of the weights they form (wᵢ² and wᵢ³) stay
/// within range for variances anywhere from 1e-300 to 1e300 and for τ² far above them. Dividing by a
/// power of two is exact: ordinary data give the same digits as without it. τ² here is on that
/// scale; [`Data::c2`] converts it back.
///
/// The intercept-only model (every meta-analysis without moderators) takes the fused passes of
/// [`intercept`], which copy and allocate nothing; any other design goes through
/// [`crate::wls::Wls`] on a scaled copy.
pub(crate) enum Data<'a> {
    Intercept(Effects<'a>),
    Design { y: Vec<f64>, v: Vec<f64>, design: &'a Design, c: f64 },
}

/// The fit at one τ²: what [`Data::at`] gives.
pub(crate) enum At<'a> {
    Intercept(Sums),
    Design(Wls<'a>),
}

impl<'a> Data<'a> {
    pub(crate) fn new(problem: &Problem<'a>) -> Self {
        if problem.design.is_intercept() {
            return Data::Intercept(Effects::new(problem.y, problem.v));
        }
        let c = scale_of(problem.y, problem.v);
        Data::Design {
            y: problem.y.iter().map(|y| y / c).collect(),
            v: problem.v.iter().map(|v| v / (c * c)).collect(),
            design: problem.design,
            c,
        }
    }

    /// c²: a τ² here is the data's τ² divided by c².
    pub(crate) fn c2(&self) -> f64 {
        let c = match self {
            Data::Intercept(e) => e.c(),
            Data::Design { c, .. } => *c,
        };
        c * c
    }

    pub(crate) fn k(&self) -> usize {
        match self {
            Data::Intercept(e) => e.k(),
            Data::Design { y, .. } => y.len(),
        }
    }

    /// Residual degrees of freedom k − p.
    pub(crate) fn df(&self) -> usize {
        match self {
            Data::Intercept(e) => e.k() - 1,
            Data::Design { y, design, .. } => y.len() - design.p(),
        }
    }

    /// Mean sampling variance, to make tolerances relative.
    pub(crate) fn scale(&self) -> f64 {
        match self {
            Data::Intercept(e) => e.scale(),
            Data::Design { v, .. } => v.iter().sum::<f64>() / v.len() as f64,
        }
    }

    /// The fit at τ².
    pub(crate) fn at(&self, tau2: f64) -> Result<At<'_>, Error> {
        Ok(match self {
            Data::Intercept(e) => At::Intercept(e.at(tau2)?),
            Data::Design { y, v, design, .. } => At::Design(Wls::at_tau2(design, y, v, tau2)?),
        })
    }
}

impl At<'_> {
    /// yᵀPy = Σwᵢrᵢ² (the generalized Q statistic).
    pub(crate) fn rss(&self) -> f64 {
        match self {
            At::Intercept(s) => s.rss(),
            At::Design(w) => w.rss(),
        }
    }
    /// yᵀPPy = Σwᵢ²rᵢ² (= −dQ/dτ²).
    pub(crate) fn rss_pp(&self) -> f64 {
        match self {
            At::Intercept(s) => s.rss_pp(),
            At::Design(w) => w.rss_pp(),
        }
    }
    pub(crate) fn trace_p(&self) -> f64 {
        match self {
            At::Intercept(s) => s.trace_p(),
            At::Design(w) => w.trace_p(),
        }
    }
    pub(crate) fn sum_w(&self) -> f64 {
        match self {
            At::Intercept(s) => s.sum_w(),
            At::Design(w) => w.sum_w(),
        }
    }
    /// REML's Fisher-scoring step (yᵀPPy − tr P)/tr PP.
    pub(crate) fn reml_step(&self) -> f64 {
        match self {
            At::Intercept(s) => s.reml_step(),
            At::Design(w) => (w.rss_pp() - w.trace_p()) / w.trace_pp(),
        }
    }
    /// ML's Fisher-scoring step (yᵀPPy − Σw)/Σw².
    pub(crate) fn ml_step(&self) -> f64 {
        match self {
            At::Intercept(s) => s.ml_step(),
            At::Design(_) => (self.rss_pp() - self.sum_w()) / self.sum_w2(),
        }
    }
    /// EB's Fisher-scoring step (Q·k/df − k)/Σw.
    pub(crate) fn eb_step(&self, k: f64, df: f64) -> f64 {
        match self {
            At::Intercept(s) => s.eb_step(k, df),
            At::Design(w) => (w.rss() * k / df - k) / w.sum_w(),
        }
    }
    pub(crate) fn sum_w2(&self) -> f64 {
        match self {
            At::Intercept(s) => s.sum_w2(),
            At::Design(w) => w.w.iter().map(|w| w * w).sum(),
        }
    }
}

/// Fisher scoring as metafor runs it for ML, REML and EB: start at the Hedges estimate
/// (truncated at 0), add `step(τ²)` until the change is negligible, never going below 0.
///
/// When the full steps do not converge (they can oscillate when the variances differ by many
/// orders of magnitude), the iteration is restarted with half steps and then quarter steps:
/// metafor's own remedy (`control = list(stepadj = 0.5)`, help(rma)). Converging data never
/// reach the restart, so their results are unchanged; `iterations` counts every step taken.
fn fisher_scoring(method: Method, data: &Data, step: impl Fn(&At) -> f64) -> Result<Tau2, Error> {
    let mut taken = 0;
    for stepadj in [1.0, 0.5, 0.25] {
        match scoring(method, data, &step, stepadj) {
            Ok(t) => return Ok(Tau2 { value: t.value, iterations: taken + t.iterations }),
            Err(Error::NotConverged { .. }) => taken += MAX_ITERATIONS,
            Err(e) => return Err(e),
        }
    }
    Err(Error::NotConverged { method: method.name().into(), iterations: taken })
}

/// Fisher scoring with steps multiplied by `stepadj`.
fn scoring(method: Method, data: &Data, step: &impl Fn(&At) -> f64, stepadj: f64) -> Result<Tau2, Error> {
    let scale = data.scale();
    let mut tau2 = he::tau2(data)?.value;
    for iteration in 1..=MAX_ITERATIONS {
        let adj = stepadj * step(&data.at(tau2)?);
        if !adj.is_finite() {
            return Err(Error::Numerical { what: format!("tau^2 ({})", method.name()) });
        }
        let next = (tau2 + adj).max(0.0);
        let change = (next - tau2).abs();
        tau2 = next;
        if change <= RELATIVE_THRESHOLD * (tau2 + scale) {
            return Ok(Tau2 { value: tau2, iterations: iteration });
        }
    }
    Err(Error::NotConverged { method: method.name().into(), iterations: MAX_ITERATIONS })
}

/// metafor's check after ML/REML converge: if the (restricted) log-likelihood is higher at τ² = 0
/// than at the estimate, the estimate is a local maximum and τ² = 0 is used instead.
fn ll0_check(data: &Data, tau2: Tau2, reml: bool) -> Result<Tau2, Error> {
    if tau2.value <= 0.0 {
        return Ok(tau2);
    }
    let t = tau2.value;
    // ll(0) − ll(τ̂²).
    let drop = match data {
        Data::Intercept(e) => e.ll_drop(t, &e.at(0.0)?, &e.at(t)?, reml),
        Data::Design { y, v, design, .. } => {
            let ll = |t: f64| -> Result<f64, Error> {
                let fit = Wls::at_tau2(design, y, v, t)?;
                let log_det_v: f64 = v.iter().map(|v| (v + t).ln()).sum();
                let mut ll = -0.5 * log_det_v - 0.5 * fit.rss();
                if reml {
                    // log det(XᵀWX) = −log det(A⁻¹)
                    ll += 0.5 * fit.a_inv.determinant().ln();
                }
                Ok(ll)
            };
            ll(0.0)? - ll(t)?
        }
    };
    // metafor compares with its `tol` (1e-10 in our fixtures' sense of a tiny margin).
    if drop > 1e-10 {
        return Ok(Tau2 { value: 0.0, iterations: tau2.iterations });
    }
    Ok(tau2)
}
