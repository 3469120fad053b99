//! The bivariate random-effects model of the paths a and b (`mediation = "bivariate"`): a and b
//! pooled jointly, with a between-study correlation of the two paths.
//!
//! # Model
//! Study i gives yᵢ = (aᵢ, bᵢ)ᵀ with the within-study covariance
//!
//! ```text
//! Sᵢ = [ s_{a,i}²   cᵢ     ]        cᵢ = cov_ab (0 when not given)
//!      [ cᵢ        s_{b,i}² ]
//!
//! yᵢ ~ N(μ, Sᵢ + Σ),   Σ = [ τ_a²       ρ·τ_a·τ_b ]   (unstructured, positive semi-definite)
//!                          [ ρ·τ_a·τ_b  τ_b²      ]
//! ```
//!
//! With Vᵢ = Sᵢ + Σ, Wᵢ = Vᵢ⁻¹ and A = Σᵢ Wᵢ, the generalized least-squares estimate is
//! μ̂ = A⁻¹ Σᵢ Wᵢ yᵢ with Cov(μ̂) = A⁻¹; rᵢ = yᵢ − μ̂. With n = 2k rows and p = 2 coefficients the
//! log-likelihoods are metafor's (`rma.mv`, the long format with one row per path and
//! `mods = ~ path − 1`, so XᵀX = diag(k, k)):
//!
//! ```text
//! ML:    ℓ  = −½ n log 2π − ½ Σᵢ log|Vᵢ| − ½ Σᵢ rᵢᵀ Wᵢ rᵢ
//! REML:  ℓ_R = −½ (n − p) log 2π + ½ log|XᵀX| − ½ Σᵢ log|Vᵢ| − ½ log|A| − ½ Σᵢ rᵢᵀ Wᵢ rᵢ
//! ```
//!
//! μ̂ and Σ̂ maximize ℓ (ML) or ℓ_R (REML) over all positive semi-definite Σ; the common-effect
//! model (FE) fixes Σ = 0.
//!
//! # Estimation
//! Σ = L·Lᵀ with L = [[l₁₁, 0], [l₂₁, l₂₂]] (a Cholesky factor, every real L allowed), so that
//! every L gives a positive semi-definite Σ and every such Σ has an L. The boundary of the cone —
//! ρ = ±1 (l₂₂ = 0) and τ_a² = 0 (l₁₁ = 0) — is an ordinary point in L, and the likelihood is
//! even in l₁₁ and in l₂₂, so a maximum on the boundary is a smooth maximum in L that Newton's
//! method reaches exactly (metafor, which optimizes log τ² and atanh ρ, can only approach it).
//!
//! The derivatives in θ = (τ_a², σ_ab, τ_b²) are exact and cost O(k), with Dⱼ = ∂Σ/∂θⱼ,
//! P = W − W X A⁻¹ Xᵀ W (never formed), uᵢ = Wᵢ rᵢ and sⱼ = Σᵢ Wᵢ Dⱼ uᵢ:
//!
//! ```text
//! ∂ℓ/∂θⱼ     = −½ tr(P Dⱼ) + ½ Σᵢ uᵢᵀ Dⱼ uᵢ                   (ML: tr(W Dⱼ) for tr(P Dⱼ))
//! ∂²ℓ/∂θⱼ∂θₘ = ½ tr(P Dⱼ P Dₘ) − (Σᵢ uᵢᵀ Dⱼ Wᵢ Dₘ uᵢ − sⱼᵀ A⁻¹ sₘ)   (ML: tr(W Dⱼ W Dₘ))
//! tr(P Dⱼ)        = Σᵢ tr(Wᵢ Dⱼ) − tr(A⁻¹ Mⱼ),    Mⱼ = Σᵢ Wᵢ Dⱼ Wᵢ
//! tr(P Dⱼ P Dₘ)   = Σᵢ tr(Wᵢ Dⱼ Wᵢ Dₘ) − 2 tr(A⁻¹ Σᵢ Wᵢ Dₘ Wᵢ Dⱼ Wᵢ) + tr(A⁻¹ Mⱼ A⁻¹ Mₘ)
//! ```
//!
//! and the chain rule takes them to L. Each Newton step uses the Hessian with its eigenvalues
//! replaced by their absolute values, floored at 10⁻¹⁰ of the largest (so flat directions, such
//! as ρ when a τ² is 0, do no harm), and a backtracking line search that does not let the
//! likelihood fall (beyond its rounding error, 10⁻¹³ of the sum of the sizes of its terms). The
//! iteration stops when the Newton decrement gᵀ(−H)⁻¹g is below 10⁻²⁰ (the estimates then within
//! about 10⁻¹⁰ of a standard error of the maximum), or below 10⁻¹⁴ and no longer falling (the
//! rounding level of the gradient).
//!
//! The likelihood can have more than one maximum, and on a face of the boundary whose slope
//! across vanishes the iteration in all of L converges only linearly, so the estimate is the best
//! of several runs: from the univariate DerSimonian–Laird τ² of each path (floored at a quarter
//! of the mean sampling variance) with ρ = 0 and from the three best points of a grid (τ² at
//! 10⁻⁴ to 3 times the spread of the estimates, ρ from −1 to 1); on the faces τ_a² = 0 and
//! τ_b² = 0 (one free parameter each; if one of them is best, once more in all of L from just off
//! it); on the face ρ = ±1 (l₂₂ = 0) from the projections of these starts and of the best point;
//! and Σ = 0. A run that did not converge is used only through a converged one within rounding
//! of it. With very few studies (ML with k = 3 above all) narrow maxima can still escape these
//! starts, as they escape any local optimizer's.
//!
//! An estimate within 10⁻¹⁴ of the mean sampling variance of a τ² of 0, or within 10⁻¹² of
//! ρ = ±1, is set on the boundary when the likelihood does not fall there. With a τ² of 0, ρ is
//! not identified and is reported as `None`.
//!
//! Memory is O(k): the data and one 2×2 weight matrix per study.
//!
//! # Errors
//! [`Error::TooFewStudies`] with fewer than 3 studies (REML, ML; 2k rows cannot inform 2 means and
//! 3 variance parameters with fewer) or none (FE); [`Error::Numerical`] when the covariances are
//! not usable numbers; [`Error::NotConverged`] when the best run did not converge in 500 steps
//! and no converged run comes within rounding of it.
//!
//! # References
//! * van Houwelingen HC, Arends LR, Stijnen T (2002). Advanced methods in meta-analysis:
//!   multivariate approach and meta-regression. *Statistics in Medicine* 21(4), 589–624.
//!   doi:10.1002/sim.1040
//! * Jackson D, Riley R, White IR (2011). Multivariate meta-analysis: potential and promise.
//!   *Statistics in Medicine* 30(20), 2481–2498. doi:10.1002/sim.4172
//! * Cheung MW-L (2015). *Meta-Analysis: A Structural Equation Modeling Approach*. Wiley
//!   (multivariate meta-analysis; meta-analytic structural equation modelling, the joint
//!   synthesis of the paths of a mediation model).
//! * Huang S, MacKinnon DP, Perrino T, Gallo C, Cruden G, Brown CH (2016). A statistical method
//!   for synthesizing mediation analyses using the product of coefficient approach across
//!   multiple trials. *Statistical Methods & Applications*. doi:10.1007/s10260-016-0354-y
//! * Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. *Journal of
//!   Statistical Software* 36(3). doi:10.18637/jss.v036.i03 (`rma.mv(…, struct = "UN")`)
//!
//! # Example
//! ```
//! use metapool::mediation::bivariate::{fit, Estimator};
//! use metapool::mediation::per_study::Paths;
//! let p = |a, sa, b, sb| Paths { a, sa, b, sb, cov_ab: 0.0 };
//! let studies = [p(0.50, 0.10, 0.30, 0.08), p(0.20, 0.12, 0.45, 0.10), p(0.65, 0.09, 0.10, 0.07),
//!                p(0.35, 0.15, 0.25, 0.09)];
//! let f = fit(&studies, Estimator::REML).unwrap();
//! assert!(f.tau2[0] > 0.0 && f.tau2[1] > 0.0);
//! // The common-effect model: Σ = 0, and μ̂ the inverse-variance means of each path.
//! let fe = fit(&studies, Estimator::FE).unwrap();
//! assert_eq!(fe.tau2, [0.0, 0.0]);
//! assert_eq!(fe.rho, None);
//! ```

use super::per_study::Paths;
use crate::error::Error;
use nalgebra::{Matrix2, Matrix3, Vector2, Vector3};

/// How Σ is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::upper_case_acronyms)]
pub enum Estimator {
    /// Σ = 0: the common-effect model; the log-likelihood is the ML one.
    FE,
    /// Maximum likelihood.
    ML,
    /// Restricted maximum likelihood.
    REML,
}

impl Estimator {
    /// metafor's code.
    pub fn code(self) -> &'static str {
        match self {
            Estimator::FE => "FE",
            Estimator::ML => "ML",
            Estimator::REML => "REML",
        }
    }
}

/// The fitted bivariate model.
#[derive(Debug, Clone, PartialEq)]
pub struct Bivariate {
    pub estimator: Estimator,
    /// Number of studies.
    pub k: usize,
    /// μ̂ = (μ̂_a, μ̂_b).
    pub mu: [f64; 2],
    /// Cov(μ̂) = A⁻¹: [[var μ̂_a, cov], [cov, var μ̂_b]].
    pub vcov: [[f64; 2]; 2],
    /// (τ_a², τ_b²).
    pub tau2: [f64; 2],
    /// The between-study covariance ρ·τ_a·τ_b.
    pub tau_ab: f64,
    /// ρ; `None` when a τ² is 0 (not identified) or under FE.
    pub rho: Option<f64>,
    /// The maximized log-likelihood (REML's restricted one under REML, ML's under ML and FE).
    pub loglik: f64,
    /// Newton steps taken from the start that gave the estimate (0 for FE).
    pub iterations: usize,
}

/// Fewer steps than this always suffice from a sensible start (quadratic convergence).
const MAX_ITER: usize = 500;
/// Newton decrement gᵀ(−H)⁻¹g at which the iteration stops.
const DECREMENT_TOL: f64 = 1e-20;
/// Eigenvalues of −H below this share of the largest are raised to it.
const EIGEN_FLOOR: f64 = 1e-10;
/// The grid of starting points: τ² as these shares of the spread of the estimates.
const GRID_SHARES: [f64; 7] = [1e-4, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0];
/// The grid of starting points: ρ.
const GRID_RHO: [f64; 9] = [-1.0, -0.9, -0.6, -0.3, 0.0, 0.3, 0.6, 0.9, 1.0];
/// ln(2π).
const LN_2PI: f64 = 1.837_877_066_409_345_3;

/// The data: yᵢ and Sᵢ.
struct Data {
    y: Vec<Vector2<f64>>,
    s: Vec<Matrix2<f64>>,
}

/// ∂Σ/∂θⱼ for θ = (τ_a², σ_ab, τ_b²).
const D: [Matrix2<f64>; 3] = [
    Matrix2::new(1.0, 0.0, 0.0, 0.0),
    Matrix2::new(0.0, 1.0, 1.0, 0.0),
    Matrix2::new(0.0, 0.0, 0.0, 1.0),
];

/// The inverse and the determinant of a symmetric 2×2 matrix, if it is positive definite with
/// finite entries.
fn inverse(m: &Matrix2<f64>) -> Option<(Matrix2<f64>, f64)> {
    let det = m[(0, 0)] * m[(1, 1)] - m[(0, 1)] * m[(1, 0)];
    if !(det > 0.0 && det.is_finite() && m[(0, 0)] > 0.0) {
        return None;
    }
    let off = -0.5 * (m[(0, 1)] + m[(1, 0)]) / det;
    let inv = Matrix2::new(m[(1, 1)] / det, off, off, m[(0, 0)] / det);
    inv.iter().all(|x| x.is_finite()).then_some((inv, det))
}

/// The (restricted) log-likelihood at Σ, with its derivatives in θ when asked.
#[derive(Debug, Clone)]
struct Eval {
    ll: f64,
    /// The sum of the sizes of the terms of `ll`: its rounding error is a few ulp of this.
    magnitude: f64,
    grad: Vector3<f64>,
    hess: Matrix3<f64>,
    mu: Vector2<f64>,
    a_inv: Matrix2<f64>,
}

fn evaluate(data: &Data, sigma: &Matrix2<f64>, reml: bool, derivatives: bool) -> Option<Eval> {
    let k = data.y.len();
    let mut w = Vec::with_capacity(k);
    let mut a = Matrix2::<f64>::zeros();
    let mut wy = Vector2::<f64>::zeros();
    let mut log_det_v = 0.0_f64;
    let mut magnitude = 0.0_f64;
    for (y, s) in data.y.iter().zip(&data.s) {
        let (wi, det) = inverse(&(s + sigma))?;
        log_det_v += det.ln();
        magnitude += 0.5 * det.ln().abs();
        a += wi;
        wy += wi * y;
        w.push(wi);
    }
    let (a_inv, det_a) = inverse(&a)?;
    let mu = a_inv * wy;
    let mut rss = 0.0_f64;
    let u: Vec<Vector2<f64>> = data
        .y
        .iter()
        .zip(&w)
        .map(|(y, wi)| {
            let r = y - mu;
            let ui = wi * r;
            rss += r.dot(&ui);
            ui
        })
        .collect();
    let n = 2.0 * k as f64;
    magnitude += 0.5 * n * LN_2PI + 0.5 * rss + if reml { (k as f64).ln() + 0.5 * det_a.ln().abs() } else { 0.0 };
    let ll = if reml {
        -0.5 * (n - 2.0) * LN_2PI + (k as f64).ln() - 0.5 * log_det_v - 0.5 * det_a.ln() - 0.5 * rss
    } else {
        -0.5 * n * LN_2PI - 0.5 * log_det_v - 0.5 * rss
    };
    if !ll.is_finite() || !mu.iter().all(|x| x.is_finite()) {
        return None;
    }
    let mut e = Eval { ll, magnitude, grad: Vector3::zeros(), hess: Matrix3::zeros(), mu, a_inv };
    if !derivatives {
        return Some(e);
    }
    let mut tr_wd = [0.0_f64; 3];
    let mut quad = [0.0_f64; 3];
    let mut m = [Matrix2::<f64>::zeros(); 3];
    let mut s_vec = [Vector2::<f64>::zeros(); 3];
    let mut tr_wdwd = Matrix3::<f64>::zeros();
    let mut udwdu = Matrix3::<f64>::zeros();
    let mut tr_a_wdwdw = Matrix3::<f64>::zeros();
    for (wi, ui) in w.iter().zip(&u) {
        let wd = D.map(|d| wi * d);
        let du = D.map(|d| d * ui);
        for j in 0..3 {
            tr_wd[j] += wd[j].trace();
            quad[j] += ui.dot(&du[j]);
            m[j] += wd[j] * wi;
            s_vec[j] += wi * du[j];
            for l in j..3 {
                tr_wdwd[(j, l)] += (wd[j] * wd[l]).trace();
                udwdu[(j, l)] += du[j].dot(&(wi * du[l]));
                if reml {
                    tr_a_wdwdw[(j, l)] += (a_inv * wd[l] * wd[j] * wi).trace();
                }
            }
        }
    }
    for j in 0..3 {
        let tr_pd = if reml { tr_wd[j] - (a_inv * m[j]).trace() } else { tr_wd[j] };
        e.grad[j] = -0.5 * tr_pd + 0.5 * quad[j];
        for l in j..3 {
            let tr_pdpd = if reml {
                tr_wdwd[(j, l)] - 2.0 * tr_a_wdwdw[(j, l)] + (a_inv * m[j] * a_inv * m[l]).trace()
            } else {
                tr_wdwd[(j, l)]
            };
            let h = 0.5 * tr_pdpd - (udwdu[(j, l)] - s_vec[j].dot(&(a_inv * s_vec[l])));
            e.hess[(j, l)] = h;
            e.hess[(l, j)] = h;
        }
    }
    (e.grad.iter().chain(e.hess.iter()).all(|x| x.is_finite())).then_some(e)
}

/// Σ = L·Lᵀ from φ = (l₁₁, l₂₁, l₂₂).
fn sigma_of(phi: &Vector3<f64>) -> Matrix2<f64> {
    let (l11, l21, l22) = (phi[0], phi[1], phi[2]);
    let c = l11 * l21;
    Matrix2::new(l11 * l11, c, c, l21 * l21 + l22 * l22)
}

/// The gradient and Hessian in φ from those in θ (chain rule).
fn in_phi(phi: &Vector3<f64>, e: &Eval) -> (Vector3<f64>, Matrix3<f64>) {
    let (l11, l21, l22) = (phi[0], phi[1], phi[2]);
    // J[(j, m)] = ∂θⱼ/∂φₘ.
    let j = Matrix3::new(2.0 * l11, 0.0, 0.0, l21, l11, 0.0, 0.0, 2.0 * l21, 2.0 * l22);
    let g = j.transpose() * e.grad;
    let (g1, g2, g3) = (e.grad[0], e.grad[1], e.grad[2]);
    let curvature = Matrix3::new(2.0 * g1, g2, 0.0, g2, 2.0 * g3, 0.0, 0.0, 0.0, 2.0 * g3);
    (g, j.transpose() * e.hess * j + curvature)
}

/// Where Newton's method stopped.
#[derive(Debug, Clone, Copy)]
struct Run {
    phi: Vector3<f64>,
    ll: f64,
    /// The rounding error of `ll` (see [`Eval::magnitude`]).
    noise: f64,
    iterations: usize,
    converged: bool,
}

/// Newton's method in φ from `start`, moving only the coordinates marked `free`, for at most
/// [`MAX_ITER`] steps; `None` when the likelihood cannot be computed at the start.
fn maximize(data: &Data, reml: bool, start: Vector3<f64>, free: [bool; 3]) -> Option<Run> {
    let mut phi = start;
    let mut e = evaluate(data, &sigma_of(&phi), reml, true)?;
    let mut previous = f64::INFINITY;
    let run = |phi, e: &Eval, iterations, converged| Run { phi, ll: e.ll, noise: 1e-13 * e.magnitude, iterations, converged };
    for iteration in 0..MAX_ITER {
        let (mut g, mut h) = in_phi(&phi, &e);
        let scale = (0..3).filter(|&j| free[j]).map(|j| h[(j, j)].abs()).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
        for j in (0..3).filter(|&j| !free[j]) {
            g[j] = 0.0;
            for m in 0..3 {
                h[(j, m)] = 0.0;
                h[(m, j)] = 0.0;
            }
            h[(j, j)] = -scale;
        }
        let eigen = (-h).symmetric_eigen();
        let largest = eigen.eigenvalues.amax();
        let floor = if largest > 0.0 { EIGEN_FLOOR * largest } else { 1.0 };
        let lambda = eigen.eigenvalues.map(|x| x.abs().max(floor));
        let q = &eigen.eigenvectors;
        let mut step = q * (q.transpose() * g).component_div(&lambda);
        for j in (0..3).filter(|&j| !free[j]) {
            step[j] = 0.0;
        }
        let decrement = g.dot(&step);
        if !decrement.is_finite() {
            return Some(run(phi, &e, iteration, false));
        }
        // Converged; or stalled at the rounding level of the gradient.
        if decrement <= DECREMENT_TOL || (decrement < 1e-14 && decrement >= 0.9 * previous) {
            return Some(run(phi, &e, iteration, true));
        }
        previous = decrement;
        // Backtracking: the likelihood must rise by a share of the predicted rise; near the
        // maximum (a tiny decrement) a full step that keeps it within its rounding error is
        // taken too.
        let noise = 1e-13 * e.magnitude;
        let mut t = 1.0;
        let mut next = None;
        for _ in 0..60 {
            let candidate = phi + step * t;
            if candidate == phi {
                break;
            }
            if let Some(ec) = evaluate(data, &sigma_of(&candidate), reml, true) {
                if ec.ll >= e.ll + 1e-4 * t * decrement || (decrement < 1e-8 && t == 1.0 && ec.ll >= e.ll - noise) {
                    next = Some((candidate, ec));
                    break;
                }
            }
            t *= 0.5;
        }
        match next {
            Some((p, ec)) => {
                phi = p;
                e = ec;
            }
            // No step raises the likelihood: a maximum within rounding if the decrement is small.
            None => return Some(run(phi, &e, iteration, decrement < 1e-12)),
        }
    }
    Some(run(phi, &e, MAX_ITER, false))
}

/// φ = (l₁₁, l₂₁, l₂₂) of a positive definite Σ (its Cholesky factor).
fn phi_of(sigma: &Matrix2<f64>) -> Vector3<f64> {
    let l11 = sigma[(0, 0)].sqrt();
    let l21 = sigma[(0, 1)] / l11;
    Vector3::new(l11, l21, (sigma[(1, 1)] - l21 * l21).max(0.0).sqrt())
}

/// Sample variance of the values (0 for fewer than two).
fn sample_variance(x: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = x.clone().count() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let mean = x.clone().sum::<f64>() / n;
    x.map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)
}

/// The maximum over all positive semi-definite Σ (see the module documentation).
///
/// Candidates: Newton's method from several starts; on each face τ_a² = 0 (Σ = diag(0, l₂₁²)) and
/// τ_b² = 0 (Σ = diag(l₁₁², 0)), where a maximum can sit that the starts do not lead to; on the
/// face ρ = ±1 (l₂₂ = 0) from the best point so far, where Newton's method in all of φ converges
/// only linearly when the maximum lies on that face with a vanishing slope across it; and Σ = 0.
/// If a face τ² = 0 is best, Newton's method also starts just off it, in case the likelihood
/// rises into the interior there. The best candidate wins; one whose iteration did not converge
/// wins only through a converged candidate within rounding of it.
fn estimate_sigma(data: &Data, paths: &[Paths], reml: bool) -> Result<(Matrix2<f64>, usize), Error> {
    let k = paths.len() as f64;
    let mean_va = data.s.iter().map(|s| s[(0, 0)]).sum::<f64>() / k;
    let mean_vb = data.s.iter().map(|s| s[(1, 1)]).sum::<f64>() / k;
    let ll = |s: &Matrix2<f64>| evaluate(data, s, reml, false).map_or(f64::NEG_INFINITY, |e| e.ll);
    // Starts: the univariate DerSimonian–Laird τ² of each path (floored) with ρ = 0, and the three
    // best points of a coarse grid of τ² (shares of the spread of the estimates) and ρ.
    let ta2 = dl_tau2(paths.iter().map(|p| (p.a, p.sa * p.sa))).max(0.25 * mean_va);
    let tb2 = dl_tau2(paths.iter().map(|p| (p.b, p.sb * p.sb))).max(0.25 * mean_vb);
    let spread_a = sample_variance(paths.iter().map(|p| p.a)).max(mean_va);
    let spread_b = sample_variance(paths.iter().map(|p| p.b)).max(mean_vb);
    let mut grid: Vec<(f64, Matrix2<f64>)> = Vec::new();
    for share_a in GRID_SHARES {
        for share_b in GRID_SHARES {
            for rho in GRID_RHO {
                let (s_a, s_b) = (share_a * spread_a, share_b * spread_b);
                let c = rho * (s_a * s_b).sqrt();
                let s = Matrix2::new(s_a, c, c, s_b);
                grid.push((ll(&s), s));
            }
        }
    }
    grid.sort_by(|x, y| y.0.total_cmp(&x.0));
    let mut starts = vec![Matrix2::new(ta2, 0.0, 0.0, tb2)];
    starts.extend(grid.iter().take(3).map(|g| g.1));
    let best_of = |runs: &[Run]| runs.iter().copied().max_by(|x, y| x.ll.total_cmp(&y.ll));
    let mut runs: Vec<Run> = starts.iter().filter_map(|s| maximize(data, reml, phi_of(s), [true; 3])).collect();
    let full = best_of(&runs);
    // The faces τ_a² = 0 and τ_b² = 0.
    let faces: Vec<Run> = [
        maximize(data, reml, Vector3::new(0.0, tb2.sqrt(), 0.0), [false, true, false]),
        maximize(data, reml, Vector3::new(ta2.sqrt(), 0.0, 0.0), [true, false, false]),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(face) = best_of(&faces) {
        if full.map_or(true, |f| face.ll > f.ll) {
            let s = sigma_of(&face.phi);
            let off = Matrix2::new(s[(0, 0)].max(1e-6 * spread_a), 0.0, 0.0, s[(1, 1)].max(1e-6 * spread_b));
            runs.extend(maximize(data, reml, phi_of(&off), [true; 3]));
        }
    }
    runs.extend(faces);
    // The face ρ = ±1, from the DerSimonian–Laird τ² with ρ = 1 and with ρ = −1, and from the
    // best point so far and the grid's starts projected on it (their leading eigenvector).
    let mut on_face = vec![Vector3::new(ta2.sqrt(), tb2.sqrt(), 0.0), Vector3::new(ta2.sqrt(), -tb2.sqrt(), 0.0)];
    let project = |s: &Matrix2<f64>| {
        let eigen = s.symmetric_eigen();
        let i = if eigen.eigenvalues[0] >= eigen.eigenvalues[1] { 0 } else { 1 };
        let v = eigen.eigenvectors.column(i) * eigen.eigenvalues[i].max(0.0).sqrt();
        Vector3::new(v[0], v[1], 0.0)
    };
    on_face.extend(best_of(&runs).map(|b| project(&sigma_of(&b.phi))));
    on_face.extend(starts[1..].iter().map(project));
    for start in on_face {
        runs.extend(maximize(data, reml, start, [true, true, false]));
    }
    let zero = Matrix2::zeros();
    let Some(winner) = best_of(&runs) else {
        return Err(Error::Numerical { what: "the bivariate model of a and b".into() });
    };
    let chosen = if winner.converged {
        winner
    } else {
        runs.iter()
            .copied()
            .filter(|r| r.converged && r.ll >= winner.ll - winner.noise)
            .max_by(|x, y| x.ll.total_cmp(&y.ll))
            .ok_or(Error::NotConverged { method: format!("bivariate {}", if reml { "REML" } else { "ML" }), iterations: MAX_ITER })?
    };
    let sigma = if ll(&zero) > chosen.ll { zero } else { sigma_of(&chosen.phi) };
    Ok((on_boundary(data, reml, sigma, [mean_va, mean_vb]), chosen.iterations))
}

/// The univariate DerSimonian–Laird τ² of one path: a starting value.
fn dl_tau2(y: impl Iterator<Item = (f64, f64)> + Clone) -> f64 {
    let (sw, swy, sw2) = y.clone().fold((0.0, 0.0, 0.0), |(a, b, c), (yi, vi)| {
        let w = 1.0 / vi;
        (a + w, b + w * yi, c + w * w)
    });
    let mean = swy / sw;
    let q: f64 = y.clone().map(|(yi, vi)| (yi - mean) * (yi - mean) / vi).sum();
    let k = y.count() as f64;
    ((q - (k - 1.0)) / (sw - sw2 / sw)).max(0.0)
}

/// Fits the bivariate model to the studies' paths (a, s_a, b, s_b, cov_ab).
///
/// # Errors
/// See the module documentation.
pub fn fit(paths: &[Paths], estimator: Estimator) -> Result<Bivariate, Error> {
    let k = paths.len();
    let needed = if estimator == Estimator::FE { 1 } else { 3 };
    if k < needed {
        return Err(Error::TooFewStudies { k, needed, what: "the bivariate model of a and b".into() });
    }
    let not_usable = || Error::Numerical { what: "the bivariate model of a and b".into() };
    let data = Data {
        y: paths.iter().map(|p| Vector2::new(p.a, p.b)).collect(),
        s: paths
            .iter()
            .map(|p| Matrix2::new(p.sa * p.sa, p.cov_ab, p.cov_ab, p.sb * p.sb))
            .collect(),
    };
    if data.s.iter().any(|s| inverse(s).is_none()) || data.y.iter().any(|y| !y.iter().all(|x| x.is_finite())) {
        return Err(not_usable());
    }
    let reml = estimator == Estimator::REML;
    let (sigma, iterations) = match estimator {
        Estimator::FE => (Matrix2::zeros(), 0),
        Estimator::ML | Estimator::REML => estimate_sigma(&data, paths, reml)?,
    };
    let e = evaluate(&data, &sigma, reml, false).ok_or_else(not_usable)?;
    let tau2 = [sigma[(0, 0)], sigma[(1, 1)]];
    let rho = (tau2[0] > 0.0 && tau2[1] > 0.0).then(|| (sigma[(0, 1)] / (tau2[0] * tau2[1]).sqrt()).clamp(-1.0, 1.0));
    Ok(Bivariate {
        estimator,
        k,
        mu: [e.mu[0], e.mu[1]],
        // + 0.0 turns a covariance of −0 into 0.
        vcov: [[e.a_inv[(0, 0)], e.a_inv[(0, 1)] + 0.0], [e.a_inv[(1, 0)] + 0.0, e.a_inv[(1, 1)]]],
        tau2,
        tau_ab: sigma[(0, 1)] + 0.0,
        rho,
        loglik: e.ll,
        iterations,
    })
}

/// Σ with an estimate that is numerically on the boundary set exactly on it (a τ² of 0, ρ = ±1),
/// when the likelihood does not fall there.
fn on_boundary(data: &Data, reml: bool, sigma: Matrix2<f64>, mean_v: [f64; 2]) -> Matrix2<f64> {
    let ll = |s: &Matrix2<f64>| evaluate(data, s, reml, false).map_or(f64::NEG_INFINITY, |e| e.ll);
    let current = ll(&sigma);
    let tolerance = 1e-12 * current.abs().max(1.0);
    let (t_a, t_b) = (sigma[(0, 0)], sigma[(1, 1)]);
    let zero_a = t_a <= 1e-14 * mean_v[0];
    let zero_b = t_b <= 1e-14 * mean_v[1];
    let mut candidates = Vec::new();
    if zero_a && zero_b {
        candidates.push(Matrix2::zeros());
    }
    if zero_a {
        candidates.push(Matrix2::new(0.0, 0.0, 0.0, t_b));
    }
    if zero_b {
        candidates.push(Matrix2::new(t_a, 0.0, 0.0, 0.0));
    }
    if !zero_a && !zero_b {
        let rho = sigma[(0, 1)] / (t_a * t_b).sqrt();
        if 1.0 - rho.abs() <= 1e-12 {
            let c = rho.signum() * (t_a * t_b).sqrt();
            candidates.push(Matrix2::new(t_a, c, c, t_b));
        }
    }
    candidates.into_iter().find(|c| ll(c) >= current - tolerance).unwrap_or(sigma)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Vec<Paths> {
        [
            (0.50, 0.10, 0.30, 0.08, 0.002),
            (0.20, 0.12, 0.45, 0.10, 0.0),
            (0.65, 0.09, 0.10, 0.07, -0.001),
            (0.35, 0.15, 0.25, 0.09, 0.0),
            (0.05, 0.11, 0.60, 0.12, 0.003),
        ]
        .map(|(a, sa, b, sb, cov_ab)| Paths { a, sa, b, sb, cov_ab })
        .to_vec()
    }

    fn data(p: &[Paths]) -> Data {
        Data {
            y: p.iter().map(|p| Vector2::new(p.a, p.b)).collect(),
            s: p.iter().map(|p| Matrix2::new(p.sa * p.sa, p.cov_ab, p.cov_ab, p.sb * p.sb)).collect(),
        }
    }

    /// The analytic gradient and Hessian against central differences of the log-likelihood.
    #[test]
    fn derivatives_match_finite_differences() {
        let d = data(&example());
        for reml in [false, true] {
            let theta = [0.01, -0.004, 0.006];
            let sigma = |t: &[f64; 3]| Matrix2::new(t[0], t[1], t[1], t[2]);
            let e = evaluate(&d, &sigma(&theta), reml, true).unwrap();
            let h = 1e-6;
            for j in 0..3 {
                let shifted = |by: f64| {
                    let mut t = theta;
                    t[j] += by;
                    evaluate(&d, &sigma(&t), reml, true).unwrap()
                };
                let (up, down) = (shifted(h), shifted(-h));
                let g = (up.ll - down.ll) / (2.0 * h);
                assert!((g - e.grad[j]).abs() < 1e-6 * e.grad[j].abs().max(1.0), "grad {j}: {g} vs {}", e.grad[j]);
                for l in 0..3 {
                    let hl = (up.grad[l] - down.grad[l]) / (2.0 * h);
                    assert!(
                        (hl - e.hess[(j, l)]).abs() < 1e-6 * e.hess[(j, l)].abs().max(1.0),
                        "hess {j},{l}: {hl} vs {}",
                        e.hess[(j, l)]
                    );
                }
            }
        }
    }

    /// The ML and REML log-likelihoods against the dense formulas for the stacked 2k vector.
    #[test]
    fn log_likelihoods_match_the_dense_formulas() {
        let p = example();
        let d = data(&p);
        let sigma = Matrix2::new(0.02, 0.005, 0.005, 0.01);
        let k = p.len();
        let n = 2 * k;
        let mut v = nalgebra::DMatrix::zeros(n, n);
        let mut x = nalgebra::DMatrix::zeros(n, 2);
        let mut y = nalgebra::DVector::zeros(n);
        for i in 0..k {
            let vi = d.s[i] + sigma;
            for r in 0..2 {
                for c in 0..2 {
                    v[(2 * i + r, 2 * i + c)] = vi[(r, c)];
                }
                x[(2 * i + r, r)] = 1.0;
                y[2 * i + r] = d.y[i][r];
            }
        }
        let w = v.clone().try_inverse().unwrap();
        let xtwx = x.transpose() * &w * &x;
        let beta = xtwx.clone().try_inverse().unwrap() * x.transpose() * &w * &y;
        let r = &y - &x * &beta;
        let rss = (r.transpose() * &w * &r)[(0, 0)];
        let n = n as f64;
        let ml = -0.5 * n * LN_2PI - 0.5 * v.determinant().ln() - 0.5 * rss;
        let reml = -0.5 * (n - 2.0) * LN_2PI + 0.5 * (x.transpose() * &x).determinant().ln()
            - 0.5 * v.determinant().ln()
            - 0.5 * xtwx.determinant().ln()
            - 0.5 * rss;
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12 * b.abs().max(1.0);
        assert!(close(evaluate(&d, &sigma, false, false).unwrap().ll, ml));
        let e = evaluate(&d, &sigma, true, false).unwrap();
        assert!(close(e.ll, reml));
        assert!(close(e.mu[0], beta[0]) && close(e.mu[1], beta[1]));
    }

    /// At the estimate the gradient in θ vanishes (an interior maximum), and no nearby Σ does
    /// better.
    #[test]
    fn the_estimate_is_a_maximum() {
        let p = example();
        let d = data(&p);
        for est in [Estimator::ML, Estimator::REML] {
            let f = fit(&p, est).unwrap();
            let sigma = Matrix2::new(f.tau2[0], f.tau_ab, f.tau_ab, f.tau2[1]);
            let reml = est == Estimator::REML;
            let e = evaluate(&d, &sigma, reml, true).unwrap();
            assert_eq!(e.ll, f.loglik);
            if f.tau2[0] > 0.0 && f.tau2[1] > 0.0 && f.rho.is_some_and(|r| r.abs() < 1.0) {
                assert!(e.grad.amax() < 1e-6, "{est:?}: {}", e.grad);
            }
            for delta in [[1e-4, 0.0, 0.0], [0.0, 1e-4, 0.0], [0.0, 0.0, 1e-4], [-1e-4, 0.0, 0.0], [0.0, -1e-4, 0.0]] {
                let s = sigma + Matrix2::new(delta[0], delta[1], delta[1], delta[2]);
                if s[(0, 0)] >= 0.0 && s[(1, 1)] >= 0.0 && s.determinant() >= 0.0 {
                    assert!(evaluate(&d, &s, reml, false).unwrap().ll <= f.loglik + 1e-12);
                }
            }
        }
    }

    #[test]
    fn too_few_studies_and_unusable_numbers() {
        let p = example();
        assert!(matches!(fit(&p[..2], Estimator::REML), Err(Error::TooFewStudies { k: 2, needed: 3, .. })));
        assert!(fit(&p[..1], Estimator::FE).is_ok());
        assert!(matches!(fit(&[], Estimator::FE), Err(Error::TooFewStudies { k: 0, needed: 1, .. })));
        let mut bad = p.clone();
        bad[1].cov_ab = 1.01 * bad[1].sa * bad[1].sb;
        assert!(matches!(fit(&bad, Estimator::REML), Err(Error::Numerical { .. })));
        bad[1].cov_ab = 0.0;
        bad[2].a = f64::NAN;
        assert!(matches!(fit(&bad, Estimator::ML), Err(Error::Numerical { .. })));
    }

    /// Identical studies: Σ̂ = 0 exactly, ρ undefined; FE gives the same means.
    #[test]
    fn no_heterogeneity_gives_zero_between_study_covariance() {
        let p: Vec<Paths> = (0..5).map(|i| Paths { a: 0.3, sa: 0.1 + 0.01 * i as f64, b: 0.2, sb: 0.05, cov_ab: 0.0 }).collect();
        let f = fit(&p, Estimator::REML).unwrap();
        assert_eq!(f.tau2, [0.0, 0.0]);
        assert_eq!(f.rho, None);
        let fe = fit(&p, Estimator::FE).unwrap();
        assert_eq!(f.mu, fe.mu);
    }

    /// A small linear congruential generator, for reproducible random data sets.
    fn uniforms(seed: u64) -> impl FnMut() -> f64 {
        let mut state = seed;
        move || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Random data sets (k from 4 to 40, scales from 10⁻³ to 10³, within-study correlations up to
    /// ±0.99, between-study variances sometimes 0): every fit converges, and no point of a grid
    /// over the cone of Σ has a higher likelihood.
    #[test]
    fn random_data_sets_reach_a_maximum_no_grid_point_beats() {
        let mut u = uniforms(12_345);
        for _ in 0..150 {
            let k = 4 + (u() * 37.0) as usize;
            let scale = 10f64.powf(u() * 6.0 - 3.0);
            let ta = if u() < 0.3 { 0.0 } else { u() * 0.3 };
            let tb = if u() < 0.3 { 0.0 } else { u() * 0.3 };
            let rho = u() * 2.0 - 1.0;
            let p: Vec<Paths> = (0..k)
                .map(|_| {
                    let (z1, z2, e1, e2) = (u() - 0.5, u() - 0.5, u() - 0.5, u() - 0.5);
                    let (sa, sb, r) = (0.05 + u() * 0.2, 0.05 + u() * 0.2, (u() * 2.0 - 1.0) * 0.99);
                    let b = -0.2 + 3.4 * (tb * (rho * z1 + (1.0 - rho * rho).sqrt() * z2) + sb * (r * e1 + (1.0 - r * r).sqrt() * e2));
                    Paths {
                        a: scale * (0.3 + 3.4 * (ta * z1 + sa * e1)),
                        sa: scale * sa,
                        b: scale * b,
                        sb: scale * sb,
                        cov_ab: scale * scale * r * sa * sb,
                    }
                })
                .collect();
            let d = data(&p);
            for est in [Estimator::REML, Estimator::ML] {
                let f = fit(&p, est).unwrap_or_else(|e| panic!("{e}: {p:?}"));
                let reml = est == Estimator::REML;
                for i in 0..6 {
                    for j in 0..6 {
                        for r in [-1.0, -0.5, 0.0, 0.5, 1.0] {
                            let t1 = scale * scale * 0.15 * (i as f64 / 5.0).powi(2);
                            let t2 = scale * scale * 0.15 * (j as f64 / 5.0).powi(2);
                            let c = r * (t1 * t2).sqrt();
                            let ll = evaluate(&d, &Matrix2::new(t1, c, c, t2), reml, false).unwrap().ll;
                            assert!(ll <= f.loglik + 1e-9 * f.loglik.abs().max(1.0), "{est:?}: {ll} > {} at {t1}, {t2}, {r}: {p:?}", f.loglik);
                        }
                    }
                }
            }
        }
    }

    /// Paths that move together perfectly across studies: ρ̂ = 1 exactly, and the likelihood is
    /// higher there than just inside.
    #[test]
    fn perfectly_correlated_paths_put_rho_on_its_bound() {
        let p: Vec<Paths> = [-1.0, -0.5, 0.0, 0.5, 1.0, 0.25, -0.75]
            .iter()
            .map(|&z: &f64| Paths { a: 0.3 + 0.4 * z, sa: 0.05, b: 0.2 + 0.3 * z, sb: 0.04, cov_ab: 0.0 })
            .collect();
        for est in [Estimator::ML, Estimator::REML] {
            let f = fit(&p, est).unwrap();
            assert_eq!(f.rho, Some(1.0), "{f:?}");
        }
    }
}
