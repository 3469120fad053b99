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

    /// tr(P) = Σ wᵢ − tr(A⁻¹ XᵀW²X).
    pub fn trace_p(&self) -> f64 {
        let m2 = self.design.cross(|i| self.w[i] * self.w[i]);
        self.sum_w() - (&self.a_inv * m2).trace()
    }

    /// tr(P P) = Σ wᵢ² − 2 tr(A⁻¹ XᵀW³X) + tr((A⁻¹ XᵀW²X)²).
    pub fn trace_pp(&self) -> f64 {
        let w = &self.w;
        let m2 = &self.a_inv * self.design.cross(|i| w[i] * w[i]);
        let m3 = &self.a_inv * self.design.cross(|i| w[i] * w[i] * w[i]);
        let sum_w2: f64 = w.iter().map(|x| x * x).sum();
        sum_w2 - 2.0 * m3.trace() + (&m2 * &m2).trace()
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
}
