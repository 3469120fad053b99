//! Weighted least squares for a given τ², the building block of every estimator.
//!
//! With weights wᵢ = 1/(vᵢ + τ²), W = diag(w) and design X (k × p), metafor works with the
//! k × k matrix P = W − W X (XᵀWX)⁻¹ XᵀW. Everything the estimators need from P has a closed form
//! in O(k·p²) time and O(k) memory, so no k × k matrix is ever formed:
//!
//! - P y = w ∘ r with r = y − Xβ̂ (β̂ the WLS estimate), so yᵀP y = Σ wᵢ rᵢ² and yᵀP P y = Σ wᵢ² rᵢ²
//! - tr(P) = Σ wᵢ − tr(A⁻¹ XᵀW²X) with A = XᵀWX
//! - tr(P P) = Σ wᵢ² − 2 tr(A⁻¹ XᵀW³X) + tr((A⁻¹ XᵀW²X)²)

use crate::error::Error;
use nalgebra::DMatrix;

/// The design matrix X, stored by column (each column has k entries).
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    cols: Vec<Vec<f64>>,
    k: usize,
}

impl Design {
    /// The intercept-only design (a column of ones): the ordinary meta-analysis.
    pub fn intercept(k: usize) -> Self {
        Design { cols: vec![vec![1.0; k]], k }
    }

    /// A design from its columns (all of length k, at least one).
    pub fn from_columns(cols: Vec<Vec<f64>>) -> Self {
        let k = cols.first().map_or(0, Vec::len);
        assert!(cols.iter().all(|c| c.len() == k), "design columns must have equal length");
        Design { cols, k }
    }

    pub fn k(&self) -> usize {
        self.k
    }
    /// Number of coefficients p.
    pub fn p(&self) -> usize {
        self.cols.len()
    }
    /// Whether X is the intercept alone (a single column of ones).
    pub fn is_intercept(&self) -> bool {
        self.p() == 1 && self.cols[0].iter().all(|&x| x == 1.0)
    }
    /// Column j of X.
    pub fn column(&self, j: usize) -> &[f64] {
        &self.cols[j]
    }
    fn row(&self, i: usize, out: &mut [f64]) {
        for (j, c) in self.cols.iter().enumerate() {
            out[j] = c[i];
        }
    }

    /// XᵀDX for diagonal D = diag(d).
    fn cross(&self, d: impl Fn(usize) -> f64) -> DMatrix<f64> {
        let p = self.p();
        let mut m = DMatrix::zeros(p, p);
        let mut x = vec![0.0; p];
        for i in 0..self.k {
            self.row(i, &mut x);
            let di = d(i);
            for a in 0..p {
                let xa = x[a] * di;
                for b in a..p {
                    m[(a, b)] += xa * x[b];
                }
            }
        }
        for a in 0..p {
            for b in 0..a {
                m[(a, b)] = m[(b, a)];
            }
        }
        m
    }
}

/// The WLS fit of y on X with weights w.
#[derive(Debug, Clone)]
pub struct Wls<'a> {
    design: &'a Design,
    /// Weights wᵢ.
    pub w: Vec<f64>,
    /// Coefficients β̂ = A⁻¹XᵀWy.
    pub beta: Vec<f64>,
    /// A⁻¹ = (XᵀWX)⁻¹, the (unscaled) covariance of β̂.
    pub a_inv: DMatrix<f64>,
    /// Residuals rᵢ = yᵢ − xᵢᵀβ̂.
    pub resid: Vec<f64>,
}

impl<'a> Wls<'a> {
    /// Fits y on the design with weights `w`.
    ///
    /// # Errors
    /// [`Error::Numerical`] when XᵀWX is not invertible or the weights are not finite.
    pub fn fit(design: &'a Design, y: &[f64], w: Vec<f64>) -> Result<Self, Error> {
        if design.is_intercept() {
            return Wls::intercept(design, y, w);
        }
        let p = design.p();
        let a = design.cross(|i| w[i]);
        let a_inv = a
            .clone()
            .cholesky()
            .map(|c| c.inverse())
            .ok_or_else(|| Error::Numerical { what: "the weighted least-squares fit".into() })?;
        let mut xtwy = vec![0.0; p];
        let mut x = vec![0.0; p];
        for i in 0..design.k {
            design.row(i, &mut x);
            for j in 0..p {
                xtwy[j] += x[j] * w[i] * y[i];
            }
        }
        let beta: Vec<f64> = (0..p).map(|j| (0..p).map(|l| a_inv[(j, l)] * xtwy[l]).sum()).collect();
        let resid: Vec<f64> = (0..design.k)
            .map(|i| {
                design.row(i, &mut x);
                y[i] - (0..p).map(|j| x[j] * beta[j]).sum::<f64>()
            })
            .collect();
        if !beta.iter().chain(resid.iter()).all(|v| v.is_finite()) {
            return Err(Error::Numerical { what: "the weighted least-squares fit".into() });
        }
        Ok(Wls { design, w, beta, a_inv, resid })
    }

    /// The weighted mean, centred on the effect y₀ of the heaviest study: μ̂ = y₀ + δ with
    /// δ = Σwᵢ(yᵢ − y₀)/Σwᵢ, and rᵢ = (yᵢ − y₀) − δ. That study's residual is then −δ to full
    /// precision; y₀ − μ̂ formed directly would carry the rounding of μ̂ (about 1e-16·|μ̂|), and
    /// its weight, perhaps 10²⁰ times any other, would make that noise dominate Q.
    fn intercept(design: &'a Design, y: &[f64], w: Vec<f64>) -> Result<Self, Error> {
        let top = (0..w.len()).fold(0, |best, i| if w[i] > w[best] { i } else { best });
        let y0 = y[top];
        let sum_w: f64 = w.iter().sum();
        let delta = w.iter().zip(y).map(|(w, y)| w * (y - y0)).sum::<f64>() / sum_w;
        let beta = vec![y0 + delta];
        let resid: Vec<f64> = y.iter().map(|y| (y - y0) - delta).collect();
        if !(sum_w.is_finite() && sum_w > 0.0 && beta[0].is_finite() && resid.iter().all(|r| r.is_finite())) {
            return Err(Error::Numerical { what: "the weighted least-squares fit".into() });
        }
        Ok(Wls { design, w, beta, a_inv: DMatrix::from_element(1, 1, 1.0 / sum_w), resid })
    }

    /// Fits with weights 1/(vᵢ + τ²).
    pub fn at_tau2(design: &'a Design, y: &[f64], v: &[f64], tau2: f64) -> Result<Self, Error> {
        Wls::fit(design, y, v.iter().map(|vi| 1.0 / (vi + tau2)).collect())
    }

    /// yᵀP y = Σ wᵢ rᵢ² (the generalized Q statistic at this τ²).
    pub fn rss(&self) -> f64 {
        self.w.iter().zip(&self.resid).map(|(w, r)| w * r * r).sum()
    }

    /// yᵀP P y = Σ wᵢ² rᵢ².
    pub fn rss_pp(&self) -> f64 {
        self.w.iter().zip(&self.resid).map(|(w, r)| (w * r) * (w * r)).sum()
    }

    pub fn sum_w(&self) -> f64 {
        self.w.iter().sum()
    }

    /// The largest weight, and the weights divided by it (in (0, 1]): the traces are computed
    /// from these so that no power of a weight overflows or underflows.
    fn scaled_weights(&self) -> (f64, Vec<f64>) {
        let top = self.w.iter().copied().fold(0.0, f64::max);
        (top, self.w.iter().map(|w| w / top).collect())
    }

    /// tr(P) = Σ wᵢ − tr(A⁻¹ XᵀW²X).
    ///
    /// For the intercept-only design this is Σ_{i≠j} wᵢwⱼ / Σwᵢ, summed over pairs so that no
    /// difference of large numbers is formed: exact however unequal the weights (one study a
    /// million times more precise than the rest loses nothing).
    pub fn trace_p(&self) -> f64 {
        let (top, u) = self.scaled_weights();
        if self.design.is_intercept() {
            let (mut before, mut pairs) = (0.0, 0.0);
            for &x in &u {
                pairs += x * before;
                before += x;
            }
            return top * (2.0 * pairs / before);
        }
        let m2 = self.design.cross(|i| u[i] * u[i]);
        let sum_u: f64 = u.iter().sum();
        top * lost_to_rounding(sum_u - (&self.a_inv * m2).trace() * top, sum_u)
    }

    /// tr(P P) = Σ wᵢ² − 2 tr(A⁻¹ XᵀW³X) + tr((A⁻¹ XᵀW²X)²).
    ///
    /// For the intercept-only design, with S = Σwⱼ and S₋ᵢ = S − wᵢ summed without wᵢ, the same
    /// sum of positive terms: Σᵢ (wᵢS₋ᵢ/S)² + Σ_{i≠j} (wᵢwⱼ/S)².
    pub fn trace_pp(&self) -> f64 {
        let (top, u) = self.scaled_weights();
        if self.design.is_intercept() {
            let k = u.len();
            // before[i] = Σ_{j<i} uⱼ, after = Σ_{j>i} uⱼ (running backwards).
            let mut before = Vec::with_capacity(k);
            let (mut sum, mut sum2, mut pairs2) = (0.0, 0.0, 0.0);
            for &x in &u {
                before.push(sum);
                sum += x;
                pairs2 += x * x * sum2;
                sum2 += x * x;
            }
            let (mut after, mut diagonal) = (0.0, 0.0);
            for i in (0..k).rev() {
                let p_ii = u[i] * (before[i] + after) / sum;
                diagonal += p_ii * p_ii;
                after += u[i];
            }
            return top * top * (diagonal + 2.0 * pairs2 / (sum * sum));
        }
        let a_inv = &self.a_inv * top;
        let m2 = &a_inv * self.design.cross(|i| u[i] * u[i]);
        let m3 = &a_inv * self.design.cross(|i| u[i] * u[i] * u[i]);
        let sum_u2: f64 = u.iter().map(|x| x * x).sum();
        top * top * lost_to_rounding(sum_u2 - 2.0 * m3.trace() + (&m2 * &m2).trace(), sum_u2)
    }
}

/// A difference `d` of terms of size `scale`, or NaN when fewer than 8 of its digits survive
/// the cancellation. With moderators, tr(P) and tr(PP) are such differences, and a study vastly
/// more precise than the rest (leverage 1 to within 1e-8) leaves nothing but rounding; NaN then
/// makes the estimators and the heterogeneity statistics stop with [`Error::Numerical`].
fn lost_to_rounding(d: f64, scale: f64) -> f64 {
    if d > 1e-8 * scale {
        d
    } else {
        f64::NAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force: form P = W − W X A⁻¹ XᵀW as a k × k matrix and compare.
    #[test]
    fn closed_forms_match_the_k_by_k_matrix() {
        let y = [0.3, -0.1, 0.8, 0.5, 0.05];
        let v = [0.1, 0.05, 0.2, 0.08, 0.12];
        let x1 = vec![1.0; 5];
        let x2 = vec![1.0, 2.0, 0.5, 3.0, 1.5];
        let design = Design::from_columns(vec![x1.clone(), x2.clone()]);
        let fit = Wls::at_tau2(&design, &y, &v, 0.03).unwrap();
        let k = 5;
        let w = DMatrix::from_diagonal(&nalgebra::DVector::from_vec(fit.w.clone()));
        let mut xm = DMatrix::zeros(k, 2);
        for i in 0..k {
            xm[(i, 0)] = x1[i];
            xm[(i, 1)] = x2[i];
        }
        let a_inv = (xm.transpose() * &w * &xm).try_inverse().unwrap();
        let p = &w - &w * &xm * a_inv * xm.transpose() * &w;
        let yv = nalgebra::DVector::from_row_slice(&y);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
        assert!(close(fit.rss(), (yv.transpose() * &p * &yv)[(0, 0)]));
        assert!(close(fit.rss_pp(), (yv.transpose() * &p * &p * &yv)[(0, 0)]));
        assert!(close(fit.trace_p(), p.trace()));
        assert!(close(fit.trace_pp(), (&p * &p).trace()));
    }

    /// The pairwise sums of the intercept-only design against the k × k matrix, and against the
    /// exact values for two studies: tr(P) = 2ab/(a + b), tr(PP) = 4(ab/(a + b))².
    #[test]
    fn intercept_only_traces() {
        let y = [0.3, -0.1, 0.8, 0.5, 0.05];
        let v = [0.1, 0.05, 0.2, 0.08, 0.12];
        let design = Design::intercept(5);
        let fit = Wls::at_tau2(&design, &y, &v, 0.03).unwrap();
        let w = DMatrix::from_diagonal(&nalgebra::DVector::from_vec(fit.w.clone()));
        let x = DMatrix::from_element(5, 1, 1.0);
        let a_inv = (x.transpose() * &w * &x).try_inverse().unwrap();
        let p = &w - &w * &x * a_inv * x.transpose() * &w;
        let close = |a: f64, b: f64, rel: f64| (a - b).abs() <= rel * b.abs();
        assert!(close(fit.trace_p(), p.trace(), 1e-14));
        assert!(close(fit.trace_pp(), (&p * &p).trace(), 1e-14));
        // One study 10^20 times more precise: the plain formulas would cancel to noise.
        // Weights near 1e250 (variances near 1e-250): no power of a weight is formed.
        for (a, b) in [(1e20, 1.0), (1.0, 1e-20), (1e150, 1e140), (1e250, 1e240), (3.0, 5.0)] {
            let two = Design::intercept(2);
            let fit = Wls::fit(&two, &[0.0, 1.0], vec![a, b]).unwrap();
            let h = a * b / (a + b);
            assert!(close(fit.trace_p(), 2.0 * h, 4e-16), "{a} {b}");
            if a < 1e200 {
                assert!(close(fit.trace_pp(), 4.0 * h * h, 1e-15), "{a} {b}");
            }
        }
    }
}
