//! Pooling the mediation paths a and b separately (`mediation = "paths"`), and how far that
//! result is from pooling the indirect effects themselves.
//!
//! # Method
//! The studies that give all of a, s_a, b and s_b take part. Path a is pooled as any effect, with
//! yᵢ = aᵢ and vᵢ = s_{a,i}², by the chosen τ² method and CI type (a full fit, as `overall`);
//! path b likewise with vᵢ = s_{b,i}². The pooled indirect effect is the product of the pooled
//! paths, IE = â·b̂, and its CI is the Monte Carlo percentile interval of â\*·b̂\* with â\* and
//! b̂\* drawn independently from N(â, SE(â)²) and N(b̂, SE(b̂)²) (SE the fit's SE of the pooled
//! estimate: the Knapp–Hartung SE under `hksj`), with the seed and number of draws of the
//! per-study intervals ([`super::montecarlo`]). The exact distribution-of-the-product interval
//! of the same normal pair ([`super::dop`]) is given beside it.
//!
//! This follows the idea of Huang et al. (2016): pool a and b across studies, then combine the
//! pooled paths with a Monte Carlo interval. Huang et al. fit a and b jointly (a bivariate
//! random-effects model with a between-study covariance of a and b); metapool fits them one at a
//! time with the methods metafor offers and treats â and b̂ as independent, and the studies'
//! `cov_ab` does not enter.
//!
//! # Comparison
//! The pooled IE of the main analysis (`overall`: the studies' a·b with their delta-method
//! variances, or IEs given directly) and the pooled-paths IE estimate the same quantity by
//! different routes; [`Comparison`] says how far apart they are: differences of the estimates
//! and of the CI limits (paths − overall), the difference relative to |overall estimate|, and the
//! ratio of the CI widths.
//!
//! # Reference
//! Huang S, MacKinnon DP, Perrino T, Gallo C, Cruden G, Brown CH (2016). A statistical method for
//! synthesizing mediation analyses using the product of coefficient approach across multiple
//! trials. *Statistical Methods & Applications*. doi:10.1007/s10260-016-0354-y

use super::per_study::{self, Paths};
use super::{dop, montecarlo};
use crate::error::Error;
use crate::model::{self, Fit};
use crate::report::Overall;
use crate::studies::Studies;
use serde::{Deserialize, Serialize};

/// What is pooled in a mediation meta-analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mediation {
    /// The indirect effects (one yᵢ per study), as any other effect.
    #[default]
    Ie,
    /// Also a and b separately, with the pooled IE = â·b̂ by Monte Carlo.
    Paths,
}

impl Mediation {
    /// Parses `ie` or `paths` (any case).
    ///
    /// # Errors
    /// [`Error::BadOption`] for anything else.
    pub fn parse(s: &str) -> Result<Mediation, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ie" | "indirect" => Ok(Mediation::Ie),
            "paths" | "path" | "ab" => Ok(Mediation::Paths),
            _ => Err(Error::BadOption {
                option: "mediation".into(),
                value: s.into(),
                allowed: "ie, paths".into(),
            }),
        }
    }
}

/// The pooled paths and their product.
#[derive(Debug, Clone, PartialEq)]
pub struct PooledPaths {
    /// Indices (into the studies) of the studies that took part.
    pub used: Vec<usize>,
    pub a: Fit,
    pub b: Fit,
    pub ie: PooledIe,
    pub warnings: Vec<String>,
}

/// The product of the pooled paths with its intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PooledIe {
    pub estimate: f64,
    /// Monte Carlo percentile interval; `None` with 0 draws or when a path has no SE.
    pub mc: Option<(f64, f64)>,
    /// Distribution-of-the-product interval; `None` when a path has no SE.
    pub dop: Option<(f64, f64)>,
}

/// Pools a and b over the studies that give both paths with their SEs, and combines them.
///
/// # Errors
/// [`Error::TooFewStudies`] when no study gives all of a, sa, b and sb; estimator failures of
/// either fit.
pub fn pool(studies: &Studies, settings: &model::Settings, mc: &per_study::Settings) -> Result<PooledPaths, Error> {
    let given = studies.given();
    let paths: Vec<(usize, [f64; 4])> = (0..studies.k())
        .filter_map(|i| given.and_then(|g| g[i].paths()).map(|p| (i, p)))
        .collect();
    if paths.is_empty() {
        return Err(Error::TooFewStudies {
            k: 0,
            needed: 1,
            what: "pooling the paths a and b".into(),
        });
    }
    let used: Vec<usize> = paths.iter().map(|(i, _)| *i).collect();
    let mut warnings = Vec::new();
    if used.len() < studies.k() {
        let left_out: Vec<String> = (0..studies.k())
            .filter(|i| !used.contains(i))
            .map(|i| studies.rows()[i].to_string())
            .collect();
        warnings.push(format!(
            "pooled paths: {} of {} studies give all of a, sa, b and sb and take part; row{} {} left out",
            used.len(),
            studies.k(),
            if left_out.len() == 1 { "" } else { "s" },
            left_out.join(", ")
        ));
    }
    let sub = studies.subset(&used);
    let fit_path = |name: &str, value: usize, se: usize| -> Result<Fit, Error> {
        let y: Vec<f64> = paths.iter().map(|(_, p)| p[value]).collect();
        let v: Vec<f64> = paths.iter().map(|(_, p)| p[se] * p[se]).collect();
        let s = Studies::new(sub.labels().to_vec(), sub.rows().to_vec(), y, v, Vec::new())?;
        let f = model::fit(&s, settings)?;
        Ok(Fit {
            warnings: f.warnings.iter().map(|w| format!("pooled path {name}: {w}")).collect(),
            ..f
        })
    };
    let a = fit_path("a", 0, 1)?;
    let b = fit_path("b", 2, 3)?;
    warnings.extend(a.warnings.iter().cloned());
    warnings.extend(b.warnings.iter().cloned());
    let ie = combine(&a, &b, settings.level, mc);
    if !ie.estimate.is_finite() {
        return Err(Error::Numerical {
            what: "the product of the pooled paths".into(),
        });
    }
    Ok(PooledPaths {
        used,
        a,
        b,
        ie,
        warnings,
    })
}

/// â·b̂ with its Monte Carlo and distribution-of-the-product intervals at `level`.
fn combine(a: &Fit, b: &Fit, level: f64, mc: &per_study::Settings) -> PooledIe {
    let estimate = a.pooled.estimate * b.pooled.estimate;
    let paths = match (a.pooled.se, b.pooled.se) {
        (Some(sa), Some(sb)) if sa > 0.0 && sb > 0.0 => Some(Paths {
            a: a.pooled.estimate,
            sa,
            b: b.pooled.estimate,
            sb,
            cov_ab: 0.0,
        }),
        _ => None,
    };
    let Some(p) = paths else {
        return PooledIe {
            estimate,
            mc: None,
            dop: None,
        };
    };
    PooledIe {
        estimate,
        mc: (mc.mc_draws > 0).then(|| montecarlo::interval(&p, level, mc.mc_draws, mc.seed)),
        dop: dop::interval(&p, level),
    }
}

/// The report's `paths`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathsReport {
    /// Data rows (from 1) of the studies that took part.
    pub rows: Vec<usize>,
    /// The pooled path a: every field of `overall`.
    pub a: Overall,
    /// The pooled path b.
    pub b: Overall,
    pub ie: IeRow,
    pub comparison: Comparison,
}

/// The pooled-paths indirect effect â·b̂.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IeRow {
    pub estimate: f64,
    /// Monte Carlo percentile interval at the report's level (null with 0 draws).
    pub ci_lower: Option<f64>,
    pub ci_upper: Option<f64>,
    /// Distribution-of-the-product interval of the same normal pair.
    pub dop_lower: Option<f64>,
    pub dop_upper: Option<f64>,
    pub draws: usize,
    pub seed: u64,
    pub level: f64,
}

/// How far the pooled-paths IE is from the main analysis's pooled IE (`overall`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Studies in the main analysis and in the pooled paths.
    pub k_ie: usize,
    pub k_paths: usize,
    /// The main analysis's pooled IE and its CI (as in `overall`).
    pub ie_estimate: f64,
    pub ie_ci_lower: Option<f64>,
    pub ie_ci_upper: Option<f64>,
    /// Pooled paths − pooled IE: estimate and CI limits.
    pub estimate_difference: f64,
    pub ci_lower_difference: Option<f64>,
    pub ci_upper_difference: Option<f64>,
    /// estimate_difference / |pooled IE| (null when the pooled IE is 0).
    pub relative_difference: Option<f64>,
    /// Width of the pooled-paths CI / width of the pooled-IE CI.
    pub width_ratio: Option<f64>,
}

impl PathsReport {
    /// The report part, with the comparison against the main fit `overall`.
    pub fn new(p: &PooledPaths, studies: &Studies, overall: &Fit, mc: &per_study::Settings) -> PathsReport {
        let (ci_lower, ci_upper) = (p.ie.mc.map(|c| c.0), p.ie.mc.map(|c| c.1));
        let ie = IeRow {
            estimate: p.ie.estimate,
            ci_lower,
            ci_upper,
            dop_lower: p.ie.dop.map(|c| c.0),
            dop_upper: p.ie.dop.map(|c| c.1),
            draws: mc.mc_draws,
            seed: mc.seed,
            level: overall.settings.level,
        };
        let o = &overall.pooled;
        let diff = |x: Option<f64>, y: Option<(f64, f64)>, pick: fn((f64, f64)) -> f64| Some(x? - pick(y?));
        let width = |c: Option<(f64, f64)>| c.map(|(l, u)| u - l);
        let comparison = Comparison {
            k_ie: overall.k,
            k_paths: p.used.len(),
            ie_estimate: o.estimate,
            ie_ci_lower: o.ci.map(|c| c.0),
            ie_ci_upper: o.ci.map(|c| c.1),
            estimate_difference: p.ie.estimate - o.estimate,
            ci_lower_difference: diff(ci_lower, o.ci, |c| c.0),
            ci_upper_difference: diff(ci_upper, o.ci, |c| c.1),
            relative_difference: (o.estimate != 0.0).then(|| (p.ie.estimate - o.estimate) / o.estimate.abs()),
            width_ratio: match (width(p.ie.mc), width(o.ci)) {
                (Some(w), Some(w0)) if w0 > 0.0 => Some(w / w0),
                _ => None,
            },
        };
        PathsReport {
            rows: p.used.iter().map(|&i| studies.rows()[i]).collect(),
            a: Overall::from_fit(&p.a),
            b: Overall::from_fit(&p.b),
            ie,
            comparison,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{read_studies, ReadSettings};

    fn studies(csv: &str) -> Studies {
        read_studies(csv, &ReadSettings::default()).unwrap().studies
    }

    #[test]
    fn mediation_option() {
        assert_eq!(Mediation::parse(" Paths ").unwrap(), Mediation::Paths);
        assert_eq!(Mediation::parse("IE").unwrap(), Mediation::Ie);
        assert!(matches!(Mediation::parse("both"), Err(Error::BadOption { .. })));
    }

    #[test]
    fn paths_are_pooled_as_any_effect() {
        let s = studies(include_str!("../../../www/examples/mediation_paths.csv"));
        let settings = model::Settings::default();
        let p = pool(&s, &settings, &per_study::Settings::default()).unwrap();
        assert_eq!(p.used, (0..6).collect::<Vec<_>>());
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let a = Studies::from_effects(
            &[-0.42, -0.30, -0.51, -0.18, -0.37, -0.29],
            &[0.11, 0.14, 0.13, 0.12, 0.10, 0.15].map(|s: f64| s * s),
        )
        .unwrap();
        let fa = model::fit(&a, &settings).unwrap();
        assert_eq!(p.a.pooled, fa.pooled);
        assert_eq!(p.ie.estimate, p.a.pooled.estimate * p.b.pooled.estimate);
        let (lo, hi) = p.ie.mc.unwrap();
        let (dlo, dhi) = p.ie.dop.unwrap();
        assert!(lo < p.ie.estimate && p.ie.estimate < hi);
        // 10⁵ draws: the Monte Carlo limits are within a few thousandths of the exact ones.
        assert!((lo - dlo).abs() < 0.01 * (dhi - dlo) && (hi - dhi).abs() < 0.01 * (dhi - dlo));
    }

    #[test]
    fn rows_without_all_paths_are_left_out_with_a_warning() {
        let s = studies("study,yi,vi,a,sa,b,sb\nA,0.1,0.01,0.5,0.1,0.2,0.05\nB,0.2,0.02,,,,\nC,,,0.4,0.1,0.3,0.05\n");
        let p = pool(&s, &model::Settings::default(), &per_study::Settings::default()).unwrap();
        assert_eq!(p.used, [0, 2]);
        assert_eq!(
            p.warnings,
            ["pooled paths: 2 of 3 studies give all of a, sa, b and sb and take part; row 2 left out"]
        );
        let none = studies("yi,vi\n0.1,0.01\n");
        assert!(matches!(
            pool(&none, &model::Settings::default(), &per_study::Settings::default()),
            Err(Error::TooFewStudies { k: 0, .. })
        ));
    }

    #[test]
    fn no_draws_no_monte_carlo_interval() {
        let s = studies(include_str!("../../../www/examples/mediation_paths.csv"));
        let mc = per_study::Settings {
            mc_draws: 0,
            ..Default::default()
        };
        let p = pool(&s, &model::Settings::default(), &mc).unwrap();
        assert_eq!(p.ie.mc, None);
        assert!(p.ie.dop.is_some());
    }
}
