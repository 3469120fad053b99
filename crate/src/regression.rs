//! Mixed-effects meta-regression (metafor's `rma(yi, vi, mods = ~ …)`).
//!
//! # Model
//! yᵢ = xᵢᵀβ + uᵢ + εᵢ with uᵢ ~ N(0, τ²) (residual heterogeneity) and εᵢ ~ N(0, vᵢ). τ² is
//! estimated with the chosen estimator on the design X (k × p), then β̂ = (XᵀWX)⁻¹XᵀWy with
//! wᵢ = 1/(vᵢ + τ̂²) and Var(β̂) = (XᵀWX)⁻¹ (times s² = Σwᵢrᵢ²/(k − p) under Knapp–Hartung).
//!
//! # Formulas
//! - Omnibus test of the moderators (all coefficients but the intercept, m = p − 1):
//!   QM = β̂₂ᵀ Var(β̂₂)⁻¹ β̂₂, χ²(m) under `z`; QM/m with F(m, k − p) under `hksj`.
//! - Residual heterogeneity: QE = Σ(yᵢ − xᵢᵀβ̂_FE)²/vᵢ with χ²(k − p).
//! - R² (Raudenbush 2009): max(0, 100·(τ̂²_RE − τ̂²)/τ̂²_RE) where τ̂²_RE is the same
//!   estimator without moderators (0 when τ̂²_RE = 0). Under FE, metafor's weighted adjusted R²:
//!   max(0, 100·(1 − (QE/(k − p)) / (Q/(k − 1)))).
//! - Residual I² = 100·τ̂²/(ṽ + τ̂²), H² = 1 + τ̂²/ṽ with ṽ = (k − p)/tr(P) at wᵢ = 1/vᵢ
//!   (under FE: I² = max(0, 100·(QE − (k − p))/QE), H² = QE/(k − p)).
//!
//! Numeric moderators enter as they are; text moderators are dummy-coded with the first level in
//! sorted order as the reference; coefficient names follow R's model.matrix (`intrcpt`, `ablat`,
//! `allocrandom`, …); coefficients are ordered intercept, then moderators as given.
//!
//! # References
//! Raudenbush SW (2009), ch. 16 of *The Handbook of Research Synthesis and Meta-Analysis*
//! (2nd ed.). Knapp G, Hartung J (2003), *Statistics in Medicine* 22(17), 2693–2710.
//! Viechtbauer W, et al. (2015), *Psychological Methods* 20(3), 360–374.

use crate::dist;
use crate::error::Error;
use crate::heterogeneity;
use crate::input::{parse_number, NumberCell};
use crate::model::{CiType, Settings};
use crate::studies::Studies;
use crate::tau2::{self, Problem};
use crate::wls::{Design, Wls};
use nalgebra::DMatrix;

/// One coefficient of the meta-regression.
#[derive(Debug, Clone, PartialEq)]
pub struct Coefficient {
    pub name: String,
    pub estimate: f64,
    pub se: f64,
    pub stat: f64,
    pub p: f64,
    pub ci: (f64, f64),
}

/// A fitted meta-regression.
#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    pub k: usize,
    pub coefficients: Vec<Coefficient>,
    pub qm: f64,
    /// Numerator df m, and the denominator df k − p under `hksj`.
    pub qm_df: (usize, Option<usize>),
    pub qm_p: f64,
    pub qe: f64,
    pub qe_df: usize,
    pub qe_p: f64,
    pub tau2: f64,
    pub r2: Option<f64>,
    pub i2: f64,
    pub h2: f64,
    /// Indices (into the studies) of the rows used.
    pub used: Vec<usize>,
    /// The design matrix X, one row per used study (coefficient order), as metafor's `res$X`.
    pub x: Vec<Vec<f64>>,
    pub warnings: Vec<String>,
}

/// The moderators as a design matrix, for the rows that have every moderator cell.
#[derive(Debug, Clone, PartialEq)]
pub struct ModeratorDesign {
    pub design: Design,
    /// Coefficient names, intercept first.
    pub names: Vec<String>,
    /// Indices (into the studies) of the rows kept.
    pub used: Vec<usize>,
    /// One warning per row left out for an empty moderator cell.
    pub warnings: Vec<String>,
}

/// The design for the moderator columns `mods`, with coefficient names. Rows with an empty
/// moderator cell are left out.
///
/// # Errors
/// [`Error::UnknownColumn`] when a name is not a column, [`Error::Collinear`] when the design has
/// linearly dependent columns (for example a level present in no kept row, or a text moderator
/// with a single level), [`Error::TooFewStudies`] when no row has every moderator cell.
pub fn design(studies: &Studies, mods: &[String]) -> Result<ModeratorDesign, Error> {
    let mut warnings = Vec::new();
    let mut columns = Vec::new();
    for name in mods {
        let col = studies
            .extra()
            .iter()
            .find(|c| c.name == *name || c.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::UnknownColumn {
                option: "mods".into(),
                name: name.clone(),
                available: studies.extra().iter().map(|c| c.name.clone()).collect::<Vec<_>>().join(", "),
            })?;
        columns.push(col);
    }
    let k = studies.k();
    let used: Vec<usize> = (0..k)
        .filter(|&i| {
            let empty = columns.iter().find(|c| parse_number(&c.cells[i], true) == NumberCell::Empty);
            if let Some(c) = empty {
                warnings.push(format!(
                    "row {} ({}) left out of the meta-regression: empty cell in {}",
                    studies.rows()[i],
                    studies.labels()[i],
                    c.name
                ));
            }
            empty.is_none()
        })
        .collect();
    if used.is_empty() {
        return Err(Error::TooFewStudies { k: 0, needed: 2, what: "this meta-regression".into() });
    }
    let mut cols = vec![vec![1.0; used.len()]];
    let mut names = vec!["intrcpt".to_string()];
    for c in &columns {
        let numbers: Option<Vec<f64>> = used
            .iter()
            .map(|&i| match parse_number(&c.cells[i], true) {
                NumberCell::Number(x) => Some(x),
                _ => None,
            })
            .collect();
        match numbers {
            Some(x) => {
                cols.push(x);
                names.push(c.name.clone());
            }
            None => {
                let mut levels: Vec<&str> = used.iter().map(|&i| c.cells[i].as_str()).collect();
                levels.sort_unstable();
                levels.dedup();
                if levels.len() < 2 {
                    // One level: no dummy at all, so nothing to test (R's model.matrix refuses too).
                    return Err(Error::Collinear { names: c.name.clone() });
                }
                for level in levels.iter().skip(1) {
                    cols.push(used.iter().map(|&i| f64::from(u8::from(c.cells[i] == *level))).collect());
                    names.push(format!("{}{}", c.name, level));
                }
            }
        }
    }
    let design = Design::from_columns(cols);
    // Linear dependence: the rank of X with each column scaled to unit length (scale-invariant,
    // and without squaring the condition number as XᵀX would: a year column next to the
    // intercept is fine).
    let p = design.p();
    let n = used.len();
    let mut x = DMatrix::<f64>::zeros(n, p);
    for j in 0..p {
        let col = design.column(j);
        let norm = col.iter().map(|v| v * v).sum::<f64>().sqrt();
        for i in 0..n {
            x[(i, j)] = if norm > 0.0 { col[i] / norm } else { 0.0 };
        }
    }
    let sv = x.svd(false, false).singular_values;
    let max = sv.iter().copied().fold(0.0, f64::max);
    let rank = sv.iter().filter(|&&s| s > 1e-10 * max).count();
    if rank < p {
        return Err(Error::Collinear { names: names[1..].join(", ") });
    }
    Ok(ModeratorDesign { design, names, used, warnings })
}

/// Fits the meta-regression of the studies on the moderator columns `mods`.
///
/// # Errors
/// As [`design`]; [`Error::TooFewStudies`] when k ≤ p; [`Error::Undefined`] under Knapp–Hartung
/// when the effects fit the moderators exactly; estimator failures.
pub fn fit(studies: &Studies, mods: &[String], settings: &Settings) -> Result<Regression, Error> {
    let ModeratorDesign { design, names, used, warnings } = design(studies, mods)?;
    let k = used.len();
    let p = design.p();
    if k <= p {
        return Err(Error::TooFewStudies { k, needed: p + 1, what: "this meta-regression".into() });
    }
    let y: Vec<f64> = used.iter().map(|&i| studies.yi()[i]).collect();
    let v: Vec<f64> = used.iter().map(|&i| studies.vi()[i]).collect();
    let problem = Problem { y: &y, v: &v, design: &design };
    let df = k - p;
    let tau2 = tau2::estimate(settings.method, &problem)?.value;
    let wls = Wls::at_tau2(&design, &y, &v, tau2)?;
    let mut vb = wls.a_inv.clone();
    let alpha = 1.0 - settings.level;
    let hksj = settings.ci == CiType::Hksj;
    if hksj {
        let rss = wls.rss();
        if rss <= f64::EPSILON {
            // s² = 0: every SE is 0 and every t statistic 0/0 or infinite (metafor prints NA).
            return Err(Error::Undefined {
                what: "the Knapp–Hartung test of this meta-regression".into(),
                why: "the effects lie exactly on the fitted line, so every standard error is 0; use the z test".into(),
            });
        }
        vb *= rss / df as f64;
    }
    let crit = if hksj { dist::qt_upper(alpha / 2.0, df as f64) } else { dist::qnorm_upper(alpha / 2.0) };
    let coefficients = names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let estimate = wls.beta[j];
            let se = vb[(j, j)].sqrt();
            let stat = estimate / se;
            let p = if hksj { dist::pt_two_sided(stat, df as f64) } else { dist::pnorm_two_sided(stat) };
            Coefficient { name: name.clone(), estimate, se, stat, p, ci: (estimate - crit * se, estimate + crit * se) }
        })
        .collect();

    // Omnibus test of all coefficients but the intercept.
    let m = p - 1;
    let sub = vb.view((1, 1), (m, m)).into_owned();
    let b2 = nalgebra::DVector::from_iterator(m, wls.beta[1..].iter().copied());
    let qm = sub
        .cholesky()
        .map(|c| (b2.transpose() * c.solve(&b2))[(0, 0)])
        .ok_or_else(|| Error::Numerical { what: "the test of the moderators".into() })?;
    let (qm, qm_p) = if hksj {
        let f = qm / m as f64;
        (f, dist::pf_upper(f, m as f64, df as f64))
    } else {
        (qm, dist::pchisq_upper(qm, m as f64))
    };

    // Residual heterogeneity at fixed-effect weights.
    let fe = Wls::at_tau2(&design, &y, &v, 0.0)?;
    let qe = fe.rss().max(0.0);
    let vt = heterogeneity::typical_v(df, fe.trace_p())?;

    let r2 = if settings.method.is_common() {
        let intercept = Design::intercept(k);
        let q_total = Wls::at_tau2(&intercept, &y, &v, 0.0)?.rss();
        if y.iter().all(|x| *x == y[0]) {
            Some(0.0)
        } else {
            Some((100.0 * (1.0 - (qe / df as f64) / (q_total / (k - 1) as f64))).max(0.0))
        }
    } else {
        let intercept = Design::intercept(k);
        let re = tau2::estimate(settings.method, &Problem { y: &y, v: &v, design: &intercept })?.value;
        Some(if re == 0.0 { 0.0 } else { (100.0 * (re - tau2) / re).max(0.0) })
    };
    Ok(Regression {
        k,
        coefficients,
        qm,
        qm_df: (m, hksj.then_some(df)),
        qm_p,
        qe,
        qe_df: df,
        qe_p: dist::pchisq_upper(qe, df as f64),
        tau2,
        r2,
        i2: if settings.method.is_common() { heterogeneity::i2_from_q(qe, df) } else { heterogeneity::i2(tau2, vt) },
        h2: if settings.method.is_common() { qe / df as f64 } else { heterogeneity::h2(tau2, vt) },
        x: (0..k).map(|i| (0..p).map(|j| design.column(j)[i]).collect()).collect(),
        used,
        warnings,
    })
}
