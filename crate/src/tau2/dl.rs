//! DerSimonian–Laird estimator.
//!
//! # Formula
//! With fixed-effect weights wᵢ = 1/vᵢ and P = W − W X (XᵀWX)⁻¹ XᵀW (so that yᵀPy = Q):
//!
//! τ̂² = max(0, (Q − (k − p)) / tr(P)),  and for p = 1, tr(P) = Σwᵢ − Σwᵢ²/Σwᵢ.
//!
//! # Reference
//! DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. *Controlled Clinical Trials*
//! 7(3), 177–188. doi:10.1016/0197-2456(86)90046-2. Generalized to meta-regression by
//! Raudenbush (2009); metafor `rma(method = "DL")`.
//!
//! # Example
//! ```
//! use metapool::{tau2::{estimate, Method, Problem}, wls::Design};
//! let (y, v) = ([0.1, 0.5, 0.9], [0.01, 0.02, 0.03]);
//! let design = Design::intercept(3);
//! let t = estimate(Method::DL, &Problem { y: &y, v: &v, design: &design }).unwrap();
//! assert!(t.value > 0.0);
//! ```

use super::{Data, Tau2};
use crate::error::Error;

pub(super) fn tau2(data: &Data) -> Result<Tau2, Error> {
    let fit = data.at(0.0)?;
    Ok(Tau2::closed((fit.rss() - data.df() as f64) / fit.trace_p()))
}
