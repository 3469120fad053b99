//! One study's indirect effect from its paths: the effect a·b, its variance (first- or
//! second-order), and its Monte Carlo and distribution-of-the-product confidence intervals.
//!
//! A study given by its paths a (exposure → mediator) and b (mediator → outcome), their standard
//! errors s_a, s_b and optionally their covariance c = `cov_ab` has the indirect effect
//! IE = a·b. The pooled analysis uses IE with one of two variances (`ie_se`):
//!
//! | `ie_se` | variance | reference |
//! |---|---|---|
//! | `sobel` (default) | a²s_b² + b²s_a² + 2ab·c | first-order delta method (Sobel 1982) |
//! | `aroian` | a²s_b² + b²s_a² + 2ab·c + s_a²s_b² + c² | second order: Aroian (1947) for c = 0; with c the exact variance of the product of two correlated normals (Craig 1936; Bohrnstedt & Goldberger 1969), as RMediation's `medci(type = "asymp")` |
//!
//! Each such study's row in the report also gets two intervals for IE at the report's level,
//! from the same (a, s_a, b, s_b, c): the Monte Carlo interval ([`super::montecarlo`]) and the
//! distribution-of-the-product interval ([`super::dop`]). Both are asymmetric around a·b, as the
//! product's distribution is skewed; the pooled fit still uses IE and its variance.
//!
//! # References
//! * Sobel, M. E. (1982). Asymptotic confidence intervals for indirect effects in structural
//!   equation models. *Sociological Methodology*, 13, 290–312. doi:10.2307/270723
//! * Aroian, L. A. (1947). The probability function of the product of two normally distributed
//!   variables. *The Annals of Mathematical Statistics*, 18, 265–271.
//!   doi:10.1214/aoms/1177730442
//! * Bohrnstedt, G. W., & Goldberger, A. S. (1969). On the exact covariance of products of random
//!   variables. *Journal of the American Statistical Association*, 64, 1439–1442.
//!   doi:10.1080/01621459.1969.10501069
//! * MacKinnon, D. P., Lockwood, C. M., Hoffman, J. M., West, S. G., & Sheets, V. (2002). A
//!   comparison of methods to test mediation and other intervening variable effects.
//!   *Psychological Methods*, 7, 83–104. doi:10.1037/1082-989X.7.1.83
//!
//! # Example
//! ```
//! use metapool::mediation::per_study::{IeSe, Paths};
//! let p = Paths { a: 0.5, sa: 0.1, b: 0.4, sb: 0.2, cov_ab: 0.0 };
//! assert!((p.effect() - 0.2).abs() < 1e-15);
//! assert!((p.variance(IeSe::Sobel) - 0.0116).abs() < 1e-15); // 0.25·0.04 + 0.16·0.01
//! assert!((p.variance(IeSe::Aroian) - 0.0120).abs() < 1e-15); // + 0.01·0.04
//! ```

use super::{dop, montecarlo};
use crate::error::Error;
use crate::input::Role;
use crate::studies::{Source, Studies};
use serde::{Deserialize, Serialize};

/// The variance of an indirect effect a·b computed from its paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IeSe {
    /// First-order delta method (Sobel 1982).
    #[default]
    Sobel,
    /// Second order: adds s_a²s_b² + c² (Aroian 1947).
    Aroian,
}

impl IeSe {
    pub const ALL: [IeSe; 2] = [IeSe::Sobel, IeSe::Aroian];

    /// The option's value: `sobel` or `aroian`.
    pub fn code(self) -> &'static str {
        match self {
            IeSe::Sobel => "sobel",
            IeSe::Aroian => "aroian",
        }
    }

    /// In words, for the screen.
    pub fn name(self) -> &'static str {
        match self {
            IeSe::Sobel => "first-order delta (Sobel)",
            IeSe::Aroian => "second-order (Aroian)",
        }
    }

    /// Parses the option's value (any case; `delta` and `first` mean `sobel`, `second` and
    /// `exact` mean `aroian`).
    ///
    /// # Errors
    /// [`Error::BadOption`] naming the allowed values.
    pub fn parse(s: &str) -> Result<IeSe, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sobel" | "delta" | "first" | "first-order" => Ok(IeSe::Sobel),
            "aroian" | "second" | "second-order" | "exact" => Ok(IeSe::Aroian),
            _ => Err(Error::BadOption {
                option: "ie-se".into(),
                value: s.into(),
                allowed: "sobel, aroian".into(),
            }),
        }
    }
}

/// A study's mediation paths: estimates, standard errors (> 0) and their covariance
/// (|c| < s_a·s_b; 0 when not given).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paths {
    pub a: f64,
    pub sa: f64,
    pub b: f64,
    pub sb: f64,
    pub cov_ab: f64,
}

impl Paths {
    /// The indirect effect a·b.
    pub fn effect(&self) -> f64 {
        self.a * self.b
    }

    /// The variance of a·b by `se` (see the module documentation).
    pub fn variance(&self, se: IeSe) -> f64 {
        let Paths { a, sa, b, sb, cov_ab: c } = *self;
        // Products before squares: (a·s_b)² keeps a tiny a with a large s_b from underflowing.
        let (asb, bsa) = (a * sb, b * sa);
        let first = asb * asb + bsa * bsa + 2.0 * a * b * c;
        match se {
            IeSe::Sobel => first,
            IeSe::Aroian => first + (sa * sb) * (sa * sb) + c * c,
        }
    }
}

/// The paths of each study whose effect came from them (`None` for the others, and for all
/// studies not read from text).
pub fn study_paths(studies: &Studies) -> Vec<Option<Paths>> {
    let Some(given) = studies.given() else {
        return vec![None; studies.k()];
    };
    given
        .iter()
        .map(|g| {
            if g.source != Source::Paths {
                return None;
            }
            let [a, sa, b, sb] = g.paths()?;
            Some(Paths { a, sa, b, sb, cov_ab: g.value(Role::CovAb).unwrap_or(0.0) })
        })
        .collect()
}

/// Settings of the per-study intervals, already validated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Level of the intervals, in (0, 1).
    pub level: f64,
    /// Monte Carlo draws per study; 0 leaves the Monte Carlo interval out.
    pub mc_draws: usize,
    /// Seed of the Monte Carlo draws.
    pub seed: u64,
}

impl Settings {
    /// Validates the options `mc_draws` (0, or [`montecarlo::MIN_DRAWS`] to
    /// [`montecarlo::MAX_DRAWS`]; default [`montecarlo::DEFAULT_DRAWS`]) and `seed` (default
    /// [`montecarlo::DEFAULT_SEED`]) at an already validated `level`.
    ///
    /// # Errors
    /// [`Error::BadOption`] for a number of draws out of range.
    pub fn new(level: f64, mc_draws: Option<usize>, seed: Option<u64>) -> Result<Settings, Error> {
        let mc_draws = mc_draws.unwrap_or(montecarlo::DEFAULT_DRAWS);
        if mc_draws != 0 && !(montecarlo::MIN_DRAWS..=montecarlo::MAX_DRAWS).contains(&mc_draws) {
            return Err(Error::BadOption {
                option: "mc-draws".into(),
                value: mc_draws.to_string(),
                allowed: format!(
                    "0 (no Monte Carlo interval) or a number from {} to {}",
                    montecarlo::MIN_DRAWS,
                    montecarlo::MAX_DRAWS
                ),
            });
        }
        Ok(Settings { level, mc_draws, seed: seed.unwrap_or(montecarlo::DEFAULT_SEED) })
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            level: 0.95,
            mc_draws: montecarlo::DEFAULT_DRAWS,
            seed: montecarlo::DEFAULT_SEED,
        }
    }
}

/// A study's intervals for a·b.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Intervals {
    /// Monte Carlo percentile interval; `None` with 0 draws.
    pub mc: Option<(f64, f64)>,
    /// Distribution-of-the-product interval.
    pub dop: (f64, f64),
}

/// The intervals of each study given by its paths, in study order (`None` for the others).
///
/// # Errors
/// [`Error::Numerical`] if the distribution of the product finds no quantile (not seen for
/// paths that pass the input's checks).
pub fn intervals(paths: &[Option<Paths>], settings: &Settings) -> Result<Vec<Option<Intervals>>, Error> {
    let mut buffer = Vec::new();
    paths
        .iter()
        .map(|p| {
            let Some(p) = p else { return Ok(None) };
            let dop = dop::interval(p, settings.level).ok_or_else(|| Error::Numerical {
                what: format!(
                    "the distribution-of-the-product interval of a·b for a = {}, b = {}",
                    p.a, p.b
                ),
            })?;
            let mc = (settings.mc_draws > 0).then(|| {
                montecarlo::interval_with(p, settings.level, settings.mc_draws, settings.seed, &mut buffer)
            });
            Ok(Some(Intervals { mc, dop }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variances() {
        let p = Paths { a: 0.5, sa: 0.1, b: -0.4, sb: 0.2, cov_ab: 0.003 };
        let first = 0.25 * 0.04 + 0.16 * 0.01 + 2.0 * 0.5 * -0.4 * 0.003;
        assert!((p.variance(IeSe::Sobel) - first).abs() < 1e-16);
        let second = first + 0.01 * 0.04 + 0.003 * 0.003;
        assert!((p.variance(IeSe::Aroian) - second).abs() < 1e-16);
        // The second-order variance is the product's exact variance.
        assert!((p.variance(IeSe::Aroian).sqrt() - dop::sd(&p)).abs() < 1e-16);
    }

    #[test]
    fn parse_codes_and_aliases() {
        for se in IeSe::ALL {
            assert_eq!(IeSe::parse(se.code()), Ok(se));
            assert_eq!(IeSe::parse(&se.code().to_uppercase()), Ok(se));
            assert_eq!(serde_json::to_value(se).unwrap(), se.code());
        }
        assert_eq!(IeSe::parse(" Delta "), Ok(IeSe::Sobel));
        assert_eq!(IeSe::parse("second-order"), Ok(IeSe::Aroian));
        let err = IeSe::parse("goodman").unwrap_err();
        assert_eq!(err.to_string(), "unknown ie-se 'goodman': choose one of sobel, aroian");
    }

    #[test]
    fn settings_from_options() {
        assert_eq!(Settings::new(0.95, None, None), Ok(Settings::default()));
        let s = Settings::new(0.9, Some(0), Some(1)).unwrap();
        assert_eq!((s.level, s.mc_draws, s.seed), (0.9, 0, 1));
        assert!(Settings::new(0.95, Some(montecarlo::MAX_DRAWS), None).is_ok());
        for bad in [1, 999, montecarlo::MAX_DRAWS + 1] {
            assert!(matches!(
                Settings::new(0.95, Some(bad), None),
                Err(Error::BadOption { .. })
            ));
        }
        assert_eq!(
            Settings::new(0.95, Some(50), None).unwrap_err().to_string(),
            "unknown mc-draws '50': choose one of 0 (no Monte Carlo interval) or a number from \
             1000 to 10000000"
        );
    }

    #[test]
    fn intervals_only_for_studies_with_paths() {
        let p = Paths { a: 0.5, sa: 0.08, b: 0.6, sb: 0.04, cov_ab: 0.0 };
        let settings = Settings { mc_draws: 2000, ..Settings::default() };
        let all = intervals(&[None, Some(p), None], &settings).unwrap();
        assert!(all[0].is_none() && all[2].is_none());
        let one = all[1].unwrap();
        let (lo, hi) = one.dop;
        assert!(lo < p.effect() && p.effect() < hi);
        let (mlo, mhi) = one.mc.unwrap();
        assert!((mlo - lo).abs() < 0.05 * (hi - lo) && (mhi - hi).abs() < 0.05 * (hi - lo));
        let none = intervals(&[Some(p)], &Settings { mc_draws: 0, ..settings }).unwrap();
        assert_eq!(none[0].unwrap().mc, None);
    }
}
