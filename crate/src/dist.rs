//! Quantiles and tail probabilities of the normal, t, chi-squared and F distributions.
//!
//! Thin wrappers over statrs. Upper tails use the survival function, never `1 - cdf`, so tiny
//! p-values keep their relative precision. Quantiles from statrs are polished with Newton steps on
//! the (accurate) cdf so that they agree with R's `qt`/`qchisq` to about 1e-12 relative.

use statrs::distribution::{ChiSquared, Continuous, ContinuousCDF, FisherSnedecor, Normal, StudentsT};

fn std_normal() -> Normal {
    Normal::new(0.0, 1.0).expect("the standard normal is valid")
}

/// Upper quantile of the standard normal: z with P(Z > z) = `upper_tail`.
pub fn qnorm_upper(upper_tail: f64) -> f64 {
    -std_normal().inverse_cdf(upper_tail)
}

/// Two-sided p-value of a standard normal statistic.
pub fn pnorm_two_sided(z: f64) -> f64 {
    2.0 * std_normal().sf(z.abs())
}

/// Upper quantile of t with `df` degrees of freedom: t with P(T > t) = `upper_tail`.
pub fn qt_upper(upper_tail: f64, df: f64) -> f64 {
    let d = StudentsT::new(0.0, 1.0, df).expect("df > 0 checked by callers");
    let mut x = d.inverse_cdf(1.0 - upper_tail);
    // Newton polish on the survival function: sf(x) = upper_tail.
    for _ in 0..8 {
        let dens = d.pdf(x);
        if dens.is_nan() || dens <= 0.0 {
            break;
        }
        let step = (d.sf(x) - upper_tail) / dens;
        x += step;
        if step.abs() <= 1e-15 * x.abs().max(1e-300) {
            break;
        }
    }
    x
}

/// Two-sided p-value of a t statistic with `df` degrees of freedom.
pub fn pt_two_sided(t: f64, df: f64) -> f64 {
    let d = StudentsT::new(0.0, 1.0, df).expect("df > 0 checked by callers");
    2.0 * d.sf(t.abs())
}

/// Quantile of chi-squared with `df` degrees of freedom at lower-tail probability `p`.
pub fn qchisq(p: f64, df: f64) -> f64 {
    let d = ChiSquared::new(df).expect("df > 0 checked by callers");
    let mut x = d.inverse_cdf(p);
    for _ in 0..20 {
        let dens = d.pdf(x);
        if dens.is_nan() || dens <= 0.0 || !x.is_finite() {
            break;
        }
        // Use whichever tail is smaller for accuracy.
        let err = if p < 0.5 { d.cdf(x) - p } else { (1.0 - p) - d.sf(x) };
        let step = err / dens;
        let next = x - step;
        x = if next > 0.0 { next } else { x / 2.0 };
        if step.abs() <= 1e-15 * x.abs() {
            break;
        }
    }
    x
}

/// Upper-tail probability of chi-squared: P(X > x).
pub fn pchisq_upper(x: f64, df: f64) -> f64 {
    let d = ChiSquared::new(df).expect("df > 0 checked by callers");
    d.sf(x)
}

/// Upper-tail probability of F(df1, df2): P(X > x).
pub fn pf_upper(x: f64, df1: f64, df2: f64) -> f64 {
    let d = FisherSnedecor::new(df1, df2).expect("df > 0 checked by callers");
    d.sf(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values printed by R 4.2 with options(digits = 17): qnorm(0.975), qt(0.975, 12),
    // qchisq(c(0.025, 0.975), 12), qt(0.975, 1), qchisq(c(0.975, 0.025), 1).
    #[test]
    fn quantiles_match_r() {
        let rel = |a: f64, b: f64| ((a - b) / b).abs();
        assert!(rel(qnorm_upper(0.025), 1.959963984540054) < 1e-13);
        assert!(rel(qt_upper(0.025, 12.0), 2.1788128296672284) < 1e-12);
        assert!(rel(qchisq(0.025, 12.0), 4.4037885069817015) < 1e-12);
        assert!(rel(qchisq(0.975, 12.0), 23.336664158645334) < 1e-12);
        assert!(rel(qt_upper(0.025, 1.0), 12.706204736174694) < 1e-12);
        assert!(rel(qchisq(0.975, 1.0), 5.023886187314888) < 1e-12);
        assert!(rel(qchisq(0.025, 1.0), 0.000_982_069_117_175_256_2) < 1e-10);
    }
}
