//! The distribution of the product: exact quantiles of a·b for normal (a, b), and the confidence
//! interval RMediation's `medci(type = "dop")` gives.
//!
//! # Formula
//! Let (X, Y) be bivariate normal with means (a, b), standard deviations (s_a, s_b) and
//! covariance c, ρ = c/(s_a s_b), |ρ| < 1. Write X = a + s_a·u with u ~ N(0, 1); given u, Y is
//! normal with mean m(u) = b + ρ·s_b·u and standard deviation s = s_b·√(1 − ρ²). For x = X ≠ 0,
//! P(XY ≤ t | u) is P(Y ≤ t/x) when x > 0 and P(Y ≥ t/x) when x < 0; both are
//! Φ((t − m(u)·x)/(|x|·s)), so
//!
//! ```text
//! F(t) = P(XY ≤ t) = ∫ φ(u) · Φ((t − m(u)·x(u)) / (|x(u)|·s)) du,    x(u) = a + s_a·u
//! ```
//!
//! (Meeker & Escobar 1994, eq. 2; the integrand RMediation integrates). The integrand jumps in
//! its derivatives where x(u) = 0, at u₀ = −a/s_a, so the integral is taken separately on each
//! side of u₀, over u ∈ [−9, 9] (the mass of φ outside is 2·10⁻¹⁹), by globally adaptive
//! Gauss–Kronrod (7/15 points, QUADPACK's error estimate) to an estimated absolute error below
//! 10⁻¹³, with at most 1000 pieces.
//!
//! The quantile Q(p) solves F(t) = p by Brent's method ([`crate::roots::brent`]) to 10⁻¹²·σ,
//! bracketed by steps of σ, 2σ, 4σ, … from the exact mean μ = ab + c of the product, with σ its
//! exact standard deviation √(a²s_b² + b²s_a² + 2abc + s_a²s_b² + c²) (Craig 1936). The interval
//! at level L is (Q(α/2), Q(1 − α/2)), α = 1 − L. Φ and φ use `libm`'s `erfc` and `exp` and
//! the bracket depends on μ and σ alone, so the quantiles are the same bits on every platform.
//!
//! # Accuracy
//! About 10⁻¹⁰ of σ on the quantile. RMediation's own `dop` stops at R's `uniroot` default
//! tolerance (1.2·10⁻⁴ on the scale of s_a·s_b) over `integrate`'s default relative tolerance
//! (1.2·10⁻⁴), so its printed digits beyond the fifth or sixth may differ from these.
//!
//! # References
//! * Meeker, W. Q., & Escobar, L. A. (1994). An algorithm to compute the CDF of the product of
//!   two normal random variables. *Communications in Statistics — Simulation and Computation*,
//!   23, 271–280. doi:10.1080/03610919408813170
//! * Craig, C. C. (1936). On the frequency function of xy. *The Annals of Mathematical
//!   Statistics*, 7, 1–15. doi:10.1214/aoms/1177732541
//! * MacKinnon, D. P., Fritz, M. S., Williams, J., & Lockwood, C. M. (2007). Distribution of the
//!   product confidence limits for the indirect effect: Program PRODCLIN. *Behavior Research
//!   Methods*, 39, 384–389. doi:10.3758/BF03193007
//! * Tofighi, D., & MacKinnon, D. P. (2011). RMediation: An R package for mediation analysis
//!   confidence intervals. *Behavior Research Methods*, 43, 692–700.
//!   doi:10.3758/s13428-011-0076-x
//!
//! # Example
//! ```
//! use metapool::mediation::dop;
//! use metapool::mediation::per_study::Paths;
//! // RMediation 1.5.0, vignette "getting-started": medci(mu.x = 0.5, mu.y = 0.6, se.x = 0.08,
//! // se.y = 0.04, rho = 0, type = "dop") prints "Confidence Interval: 0.2010806 0.4053619".
//! let paths = Paths { a: 0.5, sa: 0.08, b: 0.6, sb: 0.04, cov_ab: 0.0 };
//! let (lower, upper) = dop::interval(&paths, 0.95).unwrap();
//! assert!((lower - 0.2010806).abs() < 1e-6 && (upper - 0.4053619).abs() < 1e-6);
//! ```

use super::per_study::Paths;
use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// The integral over u is taken on [−U_MAX, U_MAX].
const U_MAX: f64 = 9.0;
/// Estimated absolute error allowed in F(t).
const CDF_TOL: f64 = 1e-13;
/// Brent's tolerance on a quantile, in units of the product's standard deviation.
const QUANTILE_TOL: f64 = 1e-12;

/// Standard normal cdf Φ(z) = erfc(−z/√2)/2, accurate in both tails.
fn pnorm(z: f64) -> f64 {
    0.5 * libm::erfc(-z * FRAC_1_SQRT_2)
}

/// Standard normal density (through `libm::exp`, the same bits on every platform).
fn dnorm(z: f64) -> f64 {
    libm::exp(-0.5 * z * z) * (0.5 / PI).sqrt()
}

/// The product's exact mean ab + c.
pub fn mean(paths: &Paths) -> f64 {
    paths.a * paths.b + paths.cov_ab
}

/// The product's exact standard deviation √(a²s_b² + b²s_a² + 2abc + s_a²s_b² + c²).
pub fn sd(paths: &Paths) -> f64 {
    let Paths { a, sa, b, sb, cov_ab: c } = *paths;
    let (asb, bsa, sasb) = (a * sb, b * sa, sa * sb);
    (asb * asb + bsa * bsa + 2.0 * a * b * c + sasb * sasb + c * c).sqrt()
}

/// F(t) = P(XY ≤ t) (see the module documentation).
///
/// The paths must have s_a, s_b > 0 and |c| < s_a·s_b, as the input guarantees.
pub fn cdf(paths: &Paths, t: f64) -> f64 {
    let Paths { a, sa, b, sb, cov_ab } = *paths;
    let rho = cov_ab / (sa * sb);
    let s = sb * ((1.0 - rho) * (1.0 + rho)).sqrt();
    let slope = rho * sb;
    let integrand = |u: f64| {
        let x = a + sa * u;
        let excess = t - (b + slope * u) * x;
        let scale = x.abs() * s;
        // x = 0, or |ρ| so close to 1 that s underflows: Y is a point given u, and P(XY ≤ t | u)
        // is 0 or 1.
        let g = if scale > 0.0 {
            pnorm(excess / scale)
        } else if excess >= 0.0 {
            1.0
        } else {
            0.0
        };
        dnorm(u) * g
    };
    let u0 = -a / sa;
    let value = if u0 > -U_MAX && u0 < U_MAX {
        integrate(&integrand, &[-U_MAX, u0, U_MAX], CDF_TOL)
    } else {
        integrate(&integrand, &[-U_MAX, U_MAX], CDF_TOL)
    };
    value.clamp(0.0, 1.0)
}

/// The quantile Q(p), 0 < p < 1: the t with F(t) = p. `None` if no bracket is found (it always
/// is for valid paths).
pub fn quantile(paths: &Paths, p: f64) -> Option<f64> {
    if !(p > 0.0 && p < 1.0) {
        return None;
    }
    let (mu, sigma) = (mean(paths), sd(paths));
    let f = |t: f64| cdf(paths, t) - p;
    // Walk from the mean in steps that double, σ first, until the root is bracketed.
    let (mut lo, mut hi) = (mu, mu);
    let mut step = sigma;
    let below = f(mu) > 0.0;
    loop {
        if below {
            hi = lo;
            lo -= step;
            if f(lo) <= 0.0 {
                break;
            }
        } else {
            lo = hi;
            hi += step;
            if f(hi) >= 0.0 {
                break;
            }
        }
        step *= 2.0;
        if step > 1e12 * sigma {
            return None;
        }
    }
    crate::roots::brent(f, lo, hi, QUANTILE_TOL * sigma)
}

/// The distribution-of-the-product interval (Q(α/2), Q(1 − α/2)), α = 1 − `level`.
pub fn interval(paths: &Paths, level: f64) -> Option<(f64, f64)> {
    let alpha = 1.0 - level;
    Some((quantile(paths, alpha / 2.0)?, quantile(paths, 1.0 - alpha / 2.0)?))
}

/// Gauss–Kronrod 7/15 nodes on [−1, 1] (QUADPACK's `qk15`, Piessens et al. 1983): the Kronrod
/// abscissae from the outside in (the odd ones are the Gauss points), the last one 0.
const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
/// Kronrod weights for [`XGK`].
const WGK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_8,
];
/// Gauss weights for XGK[1], XGK[3], XGK[5] and XGK[7] = 0.
const WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// One piece of the integration range with its 15-point Kronrod estimate and error estimate.
#[derive(Debug, Clone, Copy)]
struct Piece {
    lo: f64,
    hi: f64,
    value: f64,
    error: f64,
}

/// The 15-point Kronrod estimate of ∫ f over [lo, hi] with QUADPACK's error estimate (`qk15`:
/// |Kronrod − Gauss| scaled by (200·|K − G|/I_asc)^1.5 against the integral of |f − mean|, and at
/// least 50 ε of the integral of |f|, the level of rounding).
fn gauss_kronrod(f: &impl Fn(f64) -> f64, lo: f64, hi: f64) -> Piece {
    let centre = 0.5 * (lo + hi);
    let half = 0.5 * (hi - lo);
    let mut values = [0.0; 15];
    values[14] = f(centre);
    for (j, &x) in XGK[..7].iter().enumerate() {
        values[2 * j] = f(centre - half * x);
        values[2 * j + 1] = f(centre + half * x);
    }
    let weight = |k: usize| if k == 14 { WGK[7] } else { WGK[k / 2] };
    let (mut kronrod, mut gauss, mut abs) = (0.0, WG[3] * values[14], 0.0);
    for (k, &v) in values.iter().enumerate() {
        kronrod += weight(k) * v;
        abs += weight(k) * v.abs();
        if k < 14 && (k / 2) % 2 == 1 {
            gauss += WG[k / 4] * v;
        }
    }
    let mean = 0.5 * kronrod;
    let asc: f64 = values.iter().enumerate().map(|(k, &v)| weight(k) * (v - mean).abs()).sum();
    let (asc, abs) = (asc * half.abs(), abs * half.abs());
    let mut error = ((kronrod - gauss) * half).abs();
    if asc != 0.0 && error != 0.0 {
        error = asc * (200.0 * error / asc).powf(1.5).min(1.0);
    }
    if abs > f64::MIN_POSITIVE / (50.0 * f64::EPSILON) {
        error = error.max(50.0 * f64::EPSILON * abs);
    }
    Piece { lo, hi, value: kronrod * half, error }
}

/// The most pieces [`integrate`] cuts the range into (15 evaluations each).
const MAX_PIECES: usize = 1000;

/// ∫ f over [breaks[0], breaks[last]], the breaks being points where f is not smooth, by
/// globally adaptive Gauss–Kronrod (QUADPACK's `qag` strategy, without extrapolation): the
/// piece with the largest error estimate is halved until the estimates add up to at most `tol`
/// or there are [`MAX_PIECES`] pieces. The pieces are added in order of position, so the result
/// depends on nothing but f and the breaks.
fn integrate(f: &impl Fn(f64) -> f64, breaks: &[f64], tol: f64) -> f64 {
    let mut pieces: Vec<Piece> =
        breaks.windows(2).filter(|w| w[1] > w[0]).map(|w| gauss_kronrod(f, w[0], w[1])).collect();
    loop {
        let total_error: f64 = pieces.iter().map(|p| p.error).sum();
        // A NaN error also stops; the NaN then reaches the caller through the values.
        if total_error <= tol || total_error.is_nan() || pieces.len() >= MAX_PIECES {
            break;
        }
        let worst = (0..pieces.len())
            .max_by(|&i, &j| pieces[i].error.total_cmp(&pieces[j].error))
            .expect("at least one piece");
        let Piece { lo, hi, .. } = pieces[worst];
        let mid = 0.5 * (lo + hi);
        if !(mid > lo && mid < hi) {
            break; // the piece cannot be halved in floating point
        }
        pieces[worst] = gauss_kronrod(f, lo, mid);
        pieces.insert(worst + 1, gauss_kronrod(f, mid, hi));
    }
    pieces.iter().map(|p| p.value).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(a: f64, sa: f64, b: f64, sb: f64, cov_ab: f64) -> Paths {
        Paths { a, sa, b, sb, cov_ab }
    }

    #[test]
    fn gauss_kronrod_integrates_polynomials_and_the_normal() {
        // Exact for polynomials up to degree 22 (Kronrod) — here x⁹ + x² on [0, 2] — and the
        // Gauss part (degree 13) too, so the error estimate is at the level of rounding.
        let p = gauss_kronrod(&|x: f64| x.powi(9) + x * x, 0.0, 2.0);
        assert!((p.value - (102.4 + 8.0 / 3.0)).abs() < 1e-12, "{p:?}");
        assert!(p.error < 1e-11, "{p:?}");
        // x¹⁵: Kronrod exact, Gauss not.
        let p = gauss_kronrod(&|x: f64| x.powi(15), 0.0, 1.0);
        assert!((p.value - 1.0 / 16.0).abs() < 1e-15 && p.error > 1e-9, "{p:?}");
        let total = integrate(&dnorm, &[-U_MAX, U_MAX], 1e-14);
        assert!((total - 1.0).abs() < 1e-15, "{total}");
        let half = integrate(&dnorm, &[-U_MAX, 0.0], 1e-14);
        assert!((half - 0.5).abs() < 1e-15, "{half}");
        // A jump at a break costs nothing; √ at 0 needs halving.
        let step = |x: f64| if x < 0.3 { 1.0 } else { 2.0 };
        assert!((integrate(&step, &[0.0, 0.3, 1.0], 1e-14) - 1.7).abs() < 1e-15);
        assert!((integrate(&f64::sqrt, &[0.0, 1.0], 1e-13) - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn pnorm_tails() {
        // R: pnorm(-8) = 6.22096057427178e-16, pnorm(3) = 0.998650101968370.
        assert!((pnorm(-8.0) / 6.220_960_574_271_78e-16 - 1.0).abs() < 1e-13);
        assert!((pnorm(3.0) - 0.998_650_101_968_370).abs() < 1e-15);
    }

    /// With b known exactly (s_b → 0) the product is a normal a·b: check F against Φ through a
    /// tiny s_b, and the symmetric case a = b = 0 against symmetry.
    #[test]
    fn cdf_limits_and_symmetry() {
        let p = paths(0.4, 0.1, 2.0, 1e-9, 0.0);
        for t in [0.5, 0.8, 1.0] {
            let expected = pnorm((t - 0.8) / 0.2);
            assert!((cdf(&p, t) - expected).abs() < 1e-9, "{t}");
        }
        let zero = paths(0.0, 1.0, 0.0, 1.0, 0.0);
        assert!((cdf(&zero, 0.0) - 0.5).abs() < 1e-14);
        for t in [0.1, 0.7, 2.5] {
            assert!((cdf(&zero, t) + cdf(&zero, -t) - 1.0).abs() < 1e-13, "{t}");
        }
        // The product of two independent standard normals, P(XY ≤ 1) = 2∫₀^∞ φ(x)Φ(1/x)dx;
        // R 4: integrate(function(x) 2 * dnorm(x) * pnorm(1 / x), 0, Inf, rel.tol = 1e-13)
        // prints 0.895503168497674 (absolute error < 5.1e-14).
        assert!((cdf(&zero, 1.0) - 0.895_503_168_497_674).abs() < 1e-14);
    }

    #[test]
    fn cdf_is_monotone_and_bounded() {
        let p = paths(0.1, 0.2, -0.3, 0.15, 0.01);
        let mut last = 0.0;
        for i in -200..=200 {
            let t = f64::from(i) * 0.005;
            let f = cdf(&p, t);
            assert!((0.0..=1.0).contains(&f));
            assert!(f >= last - 1e-14, "t = {t}: {f} < {last}");
            last = f;
        }
    }

    #[test]
    fn quantiles_invert_the_cdf() {
        for p in [
            paths(0.5, 0.08, 0.6, 0.04, 0.0),
            paths(0.1, 0.05, 0.2, 0.03, 0.0),
            paths(-0.3, 0.2, 0.4, 0.25, -0.02),
            paths(0.0, 1.0, 0.0, 1.0, 0.0),
            paths(30.0, 0.01, -2.0, 0.5, 0.0),
        ] {
            for prob in [0.0005, 0.025, 0.5, 0.975, 0.9995] {
                let q = quantile(&p, prob).unwrap();
                assert!((cdf(&p, q) - prob).abs() < 1e-11, "{p:?} {prob}");
            }
        }
    }

    /// Swapping the roles of a and b changes nothing: the product is symmetric.
    #[test]
    fn symmetric_in_the_two_paths() {
        let p = paths(0.3, 0.1, 0.4, 0.05, 0.001);
        let q = paths(0.4, 0.05, 0.3, 0.1, 0.001);
        let (l1, u1) = interval(&p, 0.95).unwrap();
        let (l2, u2) = interval(&q, 0.95).unwrap();
        let scale = sd(&p);
        assert!((l1 - l2).abs() < 1e-9 * scale && (u1 - u2).abs() < 1e-9 * scale);
    }

    /// Negating a negates the product: Q_{−a}(p) = −Q_a(1 − p).
    #[test]
    fn reflection() {
        let p = paths(0.3, 0.1, 0.4, 0.05, 0.002);
        let m = paths(-0.3, 0.1, 0.4, 0.05, -0.002);
        let (l, u) = interval(&p, 0.9).unwrap();
        let (lm, um) = interval(&m, 0.9).unwrap();
        assert!((l + um).abs() < 1e-11 && (u + lm).abs() < 1e-11);
    }

    /// The interval of RMediation's vignette example, bit for bit, natively and on wasm32
    /// (`./build.sh test` runs this in Chromium).
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn pinned_interval() {
        let (lo, hi) = interval(&paths(0.5, 0.08, 0.6, 0.04, 0.0), 0.95).unwrap();
        // 0.20108064112246166, 0.4053620032198318
        let pinned = (4596412713893979734, 4600973972584509889);
        assert_eq!((lo.to_bits(), hi.to_bits()), pinned, "{lo:?} {hi:?}");
    }

    /// A correlation a hair from −1 (allowed: the input only refuses |ρ| ≥ 1) makes Y almost a
    /// function of X; the integral stays finite and fast, and agrees with ρ = −1 + 10⁻⁶.
    #[test]
    fn correlation_near_one() {
        let limit = 0.1 * 0.05;
        let near = paths(0.3, 0.1, 0.4, 0.05, -limit * (1.0 - 1e-16));
        let close_to = paths(0.3, 0.1, 0.4, 0.05, -limit * (1.0 - 1e-6));
        let (l1, u1) = interval(&near, 0.95).unwrap();
        let (l2, u2) = interval(&close_to, 0.95).unwrap();
        assert!((l1 - l2).abs() < 1e-4 && (u1 - u2).abs() < 1e-4, "{l1} {u1} {l2} {u2}");
    }

    #[test]
    fn no_quantile_outside_0_1() {
        let p = paths(0.3, 0.1, 0.4, 0.05, 0.0);
        assert_eq!(quantile(&p, 0.0), None);
        assert_eq!(quantile(&p, 1.0), None);
        assert_eq!(quantile(&p, f64::NAN), None);
    }
}
