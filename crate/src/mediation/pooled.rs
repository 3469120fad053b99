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
//! # The bivariate model (`mediation = "bivariate"`)
//! Everything above, and beside it a joint fit of a and b over the same studies
//! ([`super::bivariate`]): a bivariate random-effects model with the studies' within-study
//! covariances (`cov_ab`, 0 when not given) and an unstructured between-study covariance (τ_a²,
//! τ_b², ρ), by REML under `REML`, by ML under `ML`, with Σ = 0 under `FE`, and by REML under the
//! other methods (with a warning: they have no bivariate form here). Its pooled IE = μ̂_a·μ̂_b has
//! the Monte Carlo interval of μ_a\*·μ_b\* with (μ_a\*, μ_b\*) drawn from the bivariate normal
//! with mean (μ̂_a, μ̂_b) and the estimated covariance of the two (correlated draws,
//! [`super::montecarlo`], same seed and number of draws), and the distribution-of-the-product
//! interval of the same pair. Its intervals are Wald-type (z) under either CI type, with a
//! warning under `hksj`.
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

use super::bivariate::{self, Bivariate, Estimator};
use super::per_study::{self, Paths};
use super::{dop, montecarlo};
use crate::error::Error;
use crate::input::Role;
use crate::model::{self, CiType, Fit};
use crate::tau2::Method;
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
    /// As `Paths`, and also the bivariate model of a and b ([`super::bivariate`]).
    Bivariate,
}

impl Mediation {
    /// Parses `ie`, `paths` or `bivariate` (any case).
    ///
    /// # Errors
    /// [`Error::BadOption`] for anything else.
    pub fn parse(s: &str) -> Result<Mediation, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ie" | "indirect" => Ok(Mediation::Ie),
            "paths" | "path" | "ab" => Ok(Mediation::Paths),
            "bivariate" | "bivar" | "joint" => Ok(Mediation::Bivariate),
            _ => Err(Error::BadOption {
                option: "mediation".into(),
                value: s.into(),
                allowed: "ie, paths, bivariate".into(),
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
    /// With `Mediation::Bivariate`: the joint fit of a and b and its μ̂_a·μ̂_b.
    pub bivariate: Option<(Bivariate, PooledIe)>,
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
    pool_as(Mediation::Paths, studies, settings, mc)
}

/// [`pool`], and with `Mediation::Bivariate` also the bivariate model of a and b over the same
/// studies (too few studies for it give a warning, not an error).
///
/// # Errors
/// As [`pool`]; with `Mediation::Bivariate` also [`Error::BadCovariance`] for a `cov_ab` that is
/// not smaller in size than sa·sb in a row whose effect came from other columns (rows given by
/// their paths are checked when read), and failures of the bivariate fit.
pub fn pool_as(
    mediation: Mediation,
    studies: &Studies,
    settings: &model::Settings,
    mc: &per_study::Settings,
) -> Result<PooledPaths, Error> {
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
    let bivariate = match mediation {
        Mediation::Bivariate => fit_bivariate(studies, &used, settings, mc, &mut warnings)?,
        Mediation::Ie | Mediation::Paths => None,
    };
    Ok(PooledPaths {
        used,
        a,
        b,
        ie,
        bivariate,
        warnings,
    })
}

/// The bivariate model over the studies `used`, with its warnings; `None` (and a warning) with
/// too few studies.
fn fit_bivariate(
    studies: &Studies,
    used: &[usize],
    settings: &model::Settings,
    mc: &per_study::Settings,
    warnings: &mut Vec<String>,
) -> Result<Option<(Bivariate, PooledIe)>, Error> {
    let given = studies.given().unwrap_or(&[]);
    let mut paths = Vec::with_capacity(used.len());
    for &i in used {
        let Some([a, sa, b, sb]) = given.get(i).and_then(|g| g.paths()) else {
            continue;
        };
        let cov_ab = given[i].value(Role::CovAb).unwrap_or(0.0);
        if cov_ab.abs() >= sa * sb {
            return Err(Error::BadCovariance {
                row: studies.rows()[i],
                column: "cov_ab".into(),
                value: given[i].cells.get(&Role::CovAb).map_or_else(|| cov_ab.to_string(), |t| t.text.clone()),
                limit: sa * sb,
            });
        }
        paths.push(Paths { a, sa, b, sb, cov_ab });
    }
    let estimator = match settings.method {
        Method::FE => Estimator::FE,
        Method::ML => Estimator::ML,
        Method::REML => Estimator::REML,
        other => {
            warnings.push(format!(
                "bivariate model: fitted by REML, as the {} estimator has no bivariate form here",
                other.code()
            ));
            Estimator::REML
        }
    };
    if settings.ci == CiType::Hksj {
        warnings.push(
            "bivariate model: its intervals use the normal distribution (z); the Knapp–Hartung \
             adjustment applies to the separate fits of a and b only"
                .into(),
        );
    }
    let f = match bivariate::fit(&paths, estimator) {
        Ok(f) => f,
        Err(e @ Error::TooFewStudies { .. }) => {
            warnings.push(e.to_string());
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    if estimator != Estimator::FE {
        match (f.tau2, f.rho) {
            ([t_a, t_b], _) if t_a == 0.0 && t_b == 0.0 => warnings.push(
                "bivariate model: the between-study variances of a and b are both 0, so their \
                 between-study correlation is not identified (null)"
                    .into(),
            ),
            ([t_a, t_b], _) if t_a == 0.0 || t_b == 0.0 => warnings.push(format!(
                "bivariate model: the between-study variance of {} is 0, so the between-study \
                 correlation of a and b is not identified (null)",
                if t_a == 0.0 { "a" } else { "b" }
            )),
            (_, Some(r)) if r.abs() == 1.0 => warnings.push(format!(
                "bivariate model: the between-study correlation of a and b is at its bound ({r})"
            )),
            _ => {}
        }
    }
    let (se_a, se_b) = (f.vcov[0][0].sqrt(), f.vcov[1][1].sqrt());
    let pair = Paths {
        a: f.mu[0],
        sa: se_a,
        b: f.mu[1],
        sb: se_b,
        cov_ab: f.vcov[0][1],
    };
    let estimate = f.mu[0] * f.mu[1];
    let usable = se_a > 0.0 && se_b > 0.0 && pair.cov_ab.abs() < se_a * se_b;
    let ie = product(estimate, usable.then_some(pair), settings.level, mc);
    if !ie.estimate.is_finite() {
        return Err(Error::Numerical {
            what: "the product of the bivariate model's paths".into(),
        });
    }
    Ok(Some((f, ie)))
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
    product(estimate, paths, level, mc)
}

/// The product `estimate` with the intervals of the normal pair `paths` (none without it).
fn product(estimate: f64, paths: Option<Paths>, level: f64, mc: &per_study::Settings) -> PooledIe {
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
    /// With `mediation = "bivariate"`: the joint fit of a and b (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bivariate: Option<BivariateReport>,
}

/// The report's `paths.bivariate`: the bivariate random-effects model of a and b.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BivariateReport {
    /// How Σ was estimated: "REML", "ML", or "FE" (Σ = 0).
    pub method: String,
    pub k: usize,
    /// μ̂_a with its SE, z test and Wald-type (z) CI at `level`.
    pub a: PathRow,
    pub b: PathRow,
    /// The covariance of μ̂_a and μ̂_b.
    pub cov_ab: f64,
    /// The between-study variances and covariance (ρ·τ_a·τ_b).
    pub tau2_a: f64,
    pub tau2_b: f64,
    pub tau_ab: f64,
    /// The between-study correlation of a and b; null when a τ² is 0 (not identified) or under FE.
    pub rho: Option<f64>,
    /// The maximized log-likelihood (restricted under REML), as metafor's `logLik()`.
    pub loglik: f64,
    /// Always "z".
    pub ci: String,
    pub level: f64,
    /// μ̂_a·μ̂_b with the Monte Carlo interval from correlated draws and the
    /// distribution-of-the-product interval.
    pub ie: IeRow,
    /// How far `ie` is from the main analysis's pooled IE (`overall`), as `paths.comparison`.
    pub comparison: Comparison,
}

/// One pooled path of the bivariate model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathRow {
    pub estimate: f64,
    pub se: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    /// z = estimate / se.
    pub stat: f64,
    pub p: f64,
}

impl PathRow {
    fn new(estimate: f64, se: f64, level: f64) -> PathRow {
        let z = crate::dist::qnorm_upper((1.0 - level) / 2.0);
        let stat = estimate / se;
        PathRow {
            estimate,
            se,
            ci_lower: estimate - z * se,
            ci_upper: estimate + z * se,
            stat,
            p: crate::dist::pnorm_two_sided(stat),
        }
    }
}

impl BivariateReport {
    fn new(f: &Bivariate, ie: &PooledIe, overall: &Fit, mc: &per_study::Settings) -> BivariateReport {
        let level = overall.settings.level;
        let ie = IeRow::new(ie, level, mc);
        BivariateReport {
            method: f.estimator.code().into(),
            k: f.k,
            a: PathRow::new(f.mu[0], f.vcov[0][0].sqrt(), level),
            b: PathRow::new(f.mu[1], f.vcov[1][1].sqrt(), level),
            cov_ab: f.vcov[0][1],
            tau2_a: f.tau2[0],
            tau2_b: f.tau2[1],
            tau_ab: f.tau_ab,
            rho: f.rho,
            loglik: f.loglik,
            ci: CiType::Z.code().into(),
            level,
            comparison: Comparison::new(&ie, f.k, overall),
            ie,
        }
    }
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

impl IeRow {
    fn new(ie: &PooledIe, level: f64, mc: &per_study::Settings) -> IeRow {
        IeRow {
            estimate: ie.estimate,
            ci_lower: ie.mc.map(|c| c.0),
            ci_upper: ie.mc.map(|c| c.1),
            dop_lower: ie.dop.map(|c| c.0),
            dop_upper: ie.dop.map(|c| c.1),
            draws: mc.mc_draws,
            seed: mc.seed,
            level,
        }
    }
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

impl Comparison {
    /// How far an indirect effect from `k_paths` studies' paths (`ie`) is from the main fit's.
    fn new(ie: &IeRow, k_paths: usize, overall: &Fit) -> Comparison {
        let o = &overall.pooled;
        let diff = |x: Option<f64>, y: Option<(f64, f64)>, pick: fn((f64, f64)) -> f64| Some(x? - pick(y?));
        let width = |c: Option<(f64, f64)>| c.map(|(l, u)| u - l);
        let ie_ci = ie.ci_lower.zip(ie.ci_upper);
        Comparison {
            k_ie: overall.k,
            k_paths,
            ie_estimate: o.estimate,
            ie_ci_lower: o.ci.map(|c| c.0),
            ie_ci_upper: o.ci.map(|c| c.1),
            estimate_difference: ie.estimate - o.estimate,
            ci_lower_difference: diff(ie.ci_lower, o.ci, |c| c.0),
            ci_upper_difference: diff(ie.ci_upper, o.ci, |c| c.1),
            relative_difference: (o.estimate != 0.0).then(|| (ie.estimate - o.estimate) / o.estimate.abs()),
            width_ratio: match (width(ie_ci), width(o.ci)) {
                (Some(w), Some(w0)) if w0 > 0.0 => Some(w / w0),
                _ => None,
            },
        }
    }
}

impl PathsReport {
    /// The report part, with the comparison against the main fit `overall`.
    pub fn new(p: &PooledPaths, studies: &Studies, overall: &Fit, mc: &per_study::Settings) -> PathsReport {
        let level = overall.settings.level;
        let ie = IeRow::new(&p.ie, level, mc);
        let comparison = Comparison::new(&ie, p.used.len(), overall);
        PathsReport {
            rows: p.used.iter().map(|&i| studies.rows()[i]).collect(),
            a: Overall::from_fit(&p.a),
            b: Overall::from_fit(&p.b),
            ie,
            comparison,
            bivariate: p.bivariate.as_ref().map(|(f, ie)| BivariateReport::new(f, ie, overall, mc)),
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
        assert_eq!(Mediation::parse("Bivariate").unwrap(), Mediation::Bivariate);
        assert!(matches!(Mediation::parse("both"), Err(Error::BadOption { .. })));
    }

    #[test]
    fn bivariate_beside_the_separate_paths() {
        let s = studies(include_str!("../../../www/examples/mediation_paths.csv"));
        let settings = model::Settings::default();
        let mc = per_study::Settings::default();
        let separate = pool(&s, &settings, &mc).unwrap();
        assert_eq!(separate.bivariate, None);
        let p = pool_as(Mediation::Bivariate, &s, &settings, &mc).unwrap();
        assert_eq!((p.a.clone(), p.b.clone(), p.ie), (separate.a, separate.b, separate.ie));
        let (f, ie) = p.bivariate.unwrap();
        // The illustrative studies are homogeneous: Σ̂ = 0 and μ̂ the common-effect means.
        assert_eq!(f.tau2, [0.0, 0.0]);
        assert!((f.mu[0] - p.a.pooled.estimate).abs() < 1e-12);
        assert_eq!(ie.estimate, f.mu[0] * f.mu[1]);
        assert!(p.warnings.iter().any(|w| w.contains("both 0")), "{:?}", p.warnings);
        // Other methods: REML with a warning; hksj: z with a warning.
        let dl = model::Settings { method: Method::DL, ci: CiType::Hksj, ..settings };
        let p = pool_as(Mediation::Bivariate, &s, &dl, &mc).unwrap();
        assert_eq!(p.bivariate.unwrap().0.estimator, Estimator::REML);
        assert!(p.warnings.iter().any(|w| w.contains("fitted by REML, as the DL estimator")));
        assert!(p.warnings.iter().any(|w| w.contains("normal distribution (z)")));
        // Two studies: the separate paths, and a warning instead of the bivariate model.
        let two = studies("study,a,sa,b,sb\nX,0.61,0.09,0.33,0.11\nY,0.18,0.12,0.52,0.08\n");
        let p = pool_as(Mediation::Bivariate, &two, &settings, &mc).unwrap();
        assert_eq!(p.bivariate, None);
        assert!(p.warnings.iter().any(|w| w.contains("bivariate model of a and b needs at least 3 studies")));
        // A covariance beyond sa·sb in a row given by yi and vi is named.
        let bad = studies("study,yi,vi,a,sa,b,sb,cov_ab\nX,0.2,0.01,0.61,0.09,0.33,0.11,0.5\nY,,,0.18,0.12,0.52,0.08,\nZ,,,0.3,0.1,0.4,0.1,\n");
        assert!(matches!(
            pool_as(Mediation::Bivariate, &bad, &settings, &mc),
            Err(Error::BadCovariance { row: 1, .. })
        ));
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
