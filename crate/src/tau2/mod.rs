//! Estimators of the between-study variance τ², one file each, behind [`Method`].
//!
//! Every estimator is defined exactly as metafor's `rma.uni()` defines it (Viechtbauer 2010,
//! *J. Stat. Softw.* 36(3), doi:10.18637/jss.v036.i03), with the same starting values and the same
//! truncation at zero, but iterated to a far tighter tolerance than metafor's default.

mod dl;
mod eb;
mod he;
mod hs;
mod ml;
mod pm;
pub(crate) use pm::solve_q_equals;
mod reml;
mod sj;

use crate::error::Error;
use crate::wls::Design;
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
    let t = match method {
        Method::FE => unreachable!("handled above"),
        Method::DL => dl::tau2(problem)?,
        Method::REML => reml::tau2(problem)?,
        Method::ML => ml::tau2(problem)?,
        Method::PM => pm::tau2(problem)?,
        Method::HS => hs::tau2(problem)?,
        Method::SJ => sj::tau2(problem)?,
        Method::HE => he::tau2(problem)?,
        Method::EB => eb::tau2(problem)?,
    };
    if !t.value.is_finite() {
        return Err(Error::Numerical { what: format!("tau^2 ({})", method.name()) });
    }
    Ok(t)
}

/// Fisher scoring as metafor runs it for ML, REML and EB: start at the Hedges estimate
/// (truncated at 0), add `step(τ²)` until the change is negligible, never going below 0.
fn fisher_scoring(
    method: Method,
    problem: &Problem,
    step: impl Fn(&crate::wls::Wls) -> f64,
) -> Result<Tau2, Error> {
    let scale = problem.scale();
    let mut tau2 = he::tau2(problem)?.value;
    for iteration in 1..=MAX_ITERATIONS {
        let fit = crate::wls::Wls::at_tau2(problem.design, problem.y, problem.v, tau2)?;
        let adj = step(&fit);
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
fn ll0_check(problem: &Problem, tau2: Tau2, reml: bool) -> Result<Tau2, Error> {
    if tau2.value <= 0.0 {
        return Ok(tau2);
    }
    let ll = |t: f64| -> Result<f64, Error> {
        let fit = crate::wls::Wls::at_tau2(problem.design, problem.y, problem.v, t)?;
        let log_det_v: f64 = problem.v.iter().map(|v| (v + t).ln()).sum();
        let mut ll = -0.5 * log_det_v - 0.5 * fit.rss();
        if reml {
            // log det(XᵀWX) = −log det(A⁻¹)
            ll += 0.5 * fit.a_inv.determinant().ln();
        }
        Ok(ll)
    };
    // metafor compares with its `tol` (1e-10 in our fixtures' sense of a tiny margin).
    if ll(0.0)? - ll(tau2.value)? > 1e-10 {
        return Ok(Tau2 { value: 0.0, iterations: tau2.iterations });
    }
    Ok(tau2)
}
