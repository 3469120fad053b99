//! Named presets: the default random-effects settings of common meta-analysis software, each
//! with the source that states them.
//!
//! A preset sets the τ² estimator and the CI type of the main analysis (`--preset`; an explicit
//! `--method` or `--ci` overrides its part), and names the prediction-interval and I² conventions
//! of that software where its documentation states them. The report's `preset` block gives the
//! main fit's prediction interval and I² under those conventions, and the solver lists, for each
//! setting that reproduces a published result, the presets it corresponds to.
//!
//! Only software whose defaults could be checked in its documentation or source is listed
//! (Comprehensive Meta-Analysis is not: no public source for its defaults was found).

use super::variants::{I2Type, PiType, PooledSes};
use crate::error::Error;
use crate::model::{self, CiType, Fit};
use crate::studies::Studies;
use crate::tau2::Method;
use serde::Serialize;

/// The default settings of one program.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Preset {
    /// What users type: `revman5`, `metafor`, …
    pub code: &'static str,
    /// The program and version range, for the screen.
    pub name: &'static str,
    pub method: Method,
    pub ci: CiType,
    /// The prediction interval it prints, where its documentation says (`None`: not stated, or
    /// not given by default).
    pub pi_type: Option<PiType>,
    /// Its I², where stated.
    pub i2_type: Option<I2Type>,
    /// Where these defaults are documented.
    pub source: &'static str,
}

impl Preset {
    /// Every preset, in the order the page lists them.
    pub const ALL: [Preset; 8] = [
        Preset {
            code: "revman5",
            name: "RevMan 5 (random effects)",
            method: Method::DL,
            ci: CiType::Z,
            pi_type: None,
            i2_type: Some(I2Type::Q),
            source: "Cochrane Handbook 5.1, section 9.4.4 (the one random-effects method in RevMan is DerSimonian and Laird); Cochrane (2024), 'Embracing new random-effects methods': 'Previously, RevMan relied on the Wald-type confidence interval and the DerSimonian and Laird method'; R meta's settings.meta(\"RevMan5\") documents method.random.ci = \"classic\", method.tau = \"DL\", method.I2 = \"Q\" as the only methods in RevMan 5",
        },
        Preset {
            code: "metafor",
            name: "R metafor (rma)",
            method: Method::REML,
            ci: CiType::Z,
            pi_type: Some(PiType::Z),
            i2_type: Some(I2Type::Tau2),
            source: "metafor documentation, rma.uni(): method = \"REML\" and test = \"z\" are the defaults (also ?misc-recs); predict.rma(): normal quantile under test = \"z\"; I^2 from tau^2 (Viechtbauer 2010, J Stat Softw 36(3))",
        },
        Preset {
            code: "meta8",
            name: "R meta \u{2265} 8.0 (metagen)",
            method: Method::REML,
            ci: CiType::Z,
            pi_type: Some(PiType::T),
            i2_type: Some(I2Type::Q),
            source: "R meta NEWS 5.0-0 (REML default) and 8.0-0 ('prediction intervals are based on k - 1 instead of k - 2', Veroniki et al. 2019); settings.meta: method.random.ci = \"classic\", method.I2 = \"Q\", method.predict = \"V\"",
        },
        Preset {
            code: "meta5",
            name: "R meta 5.0 to 7.0 (metagen)",
            method: Method::REML,
            ci: CiType::Z,
            pi_type: Some(PiType::Hts),
            i2_type: Some(I2Type::Q),
            source: "R meta NEWS 5.0-0 ('REML instead of DerSimonian-Laird estimator used as default'); settings.meta(\"meta7\"): method.tau = \"REML\", method.I2 = \"Q\", method.predict = \"HTS\" (t with k - 2 df), classic (Wald) CI",
        },
        Preset {
            code: "meta4",
            name: "R meta \u{2264} 4 (metagen)",
            method: Method::DL,
            ci: CiType::Z,
            pi_type: Some(PiType::Hts),
            i2_type: Some(I2Type::Q),
            source: "R meta settings.meta(\"meta4\"): method.tau = \"DL\", method.I2 = \"Q\", method.predict = \"HTS\"; hakn = FALSE (Wald CI) by default",
        },
        Preset {
            code: "jasp",
            name: "JASP Classical Meta-Analysis (module 2.0, Nov 2024, or later)",
            method: Method::REML,
            ci: CiType::Hksj,
            pi_type: Some(PiType::Hksj),
            i2_type: Some(I2Type::Tau2),
            source: "jasp-stats/jaspMetaAnalysis, inst/qml/ClassicalMetaAnalysis.qml: method startValue \"restrictedML\", fixedEffectTest startValue \"knha\" (since 'Meta-Analysis 2.0', 2024-11-06); the module fits with metafor, whose predict() and I^2 it reports",
        },
        Preset {
            code: "stata",
            name: "Stata meta summarize (Stata 16 or later)",
            method: Method::REML,
            ci: CiType::Z,
            pi_type: None,
            i2_type: None,
            source: "Stata Meta-Analysis Reference Manual, [META] meta set: random effects with 'the default REML method'; the default meta summarize output tests theta = 0 with z (Knapp-Hartung only with se(khartung))",
        },
        Preset {
            code: "metan",
            name: "Stata metan, random",
            method: Method::DL,
            ci: CiType::Z,
            pi_type: None,
            i2_type: None,
            source: "metan help: 'random specifies a random effects model using the method of DerSimonian & Laird' (Harris et al. 2008, Stata Journal 8(1), 3-28); Statalist, 2007-02: 'metan uses DerSimonian & Laird's method of moments estimator'",
        },
    ];

    /// The preset called `name`, ignoring case, spaces and punctuation (`RevMan 5`, `revman-5`).
    ///
    /// # Errors
    /// [`Error::BadOption`] listing the presets.
    ///
    /// ```
    /// use metapool::reproduce::Preset;
    /// assert_eq!(Preset::parse("RevMan 5").unwrap().code, "revman5");
    /// assert!(Preset::parse("cma").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<&'static Preset, Error> {
        let key = |s: &str| -> String { s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect() };
        let wanted = key(name);
        Preset::ALL.iter().find(|p| key(p.code) == wanted).ok_or_else(|| Error::BadOption {
            option: "preset".into(),
            value: name.into(),
            allowed: Preset::ALL.map(|p| p.code).join(", "),
        })
    }

    /// Whether a setting agrees with this preset: same method and CI type, and the same
    /// prediction-interval and I² types where the setting has one and the preset states one.
    pub fn agrees(&self, method: Method, ci: CiType, pi_type: Option<PiType>, i2_type: Option<I2Type>) -> bool {
        let fits = |stated: Option<PiType>, used: Option<PiType>| match (stated, used) {
            (Some(s), Some(u)) => s == u,
            _ => true,
        };
        let fits_i2 = match (self.i2_type, i2_type) {
            (Some(s), Some(u)) => s == u,
            _ => true,
        };
        self.method == method && self.ci == ci && fits(self.pi_type, pi_type) && fits_i2
    }
}

/// The preset of an analysis as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct PresetReport {
    pub code: String,
    pub name: String,
    /// The preset's method and CI type (the analysis uses them unless overridden).
    pub method: String,
    pub ci: String,
    pub pi_type: Option<PiType>,
    pub i2_type: Option<I2Type>,
    pub source: String,
    /// Options given explicitly that override the preset's: `method`, `ci`.
    pub overridden: Vec<String>,
    /// The main fit's prediction interval by the preset's type (null when it states none, or
    /// under a common-effect model).
    pub pi_lower: Option<f64>,
    pub pi_upper: Option<f64>,
    /// The main fit's I² by the preset's type, in percent.
    #[serde(rename = "I2")]
    pub i2: Option<f64>,
}

impl PresetReport {
    /// The preset's block of the report for the main fit (`overridden` lists the options given
    /// explicitly besides the preset).
    ///
    /// # Errors
    /// Estimator failures when the Knapp–Hartung fit is needed for the preset's prediction
    /// interval (the main fit succeeded, so this does not happen in practice).
    pub fn new(preset: &Preset, overridden: &[String], studies: &Studies, fit: &Fit) -> Result<PresetReport, Error> {
        let (mut pi_lower, mut pi_upper) = (None, None);
        if let Some(pi_type) = preset.pi_type {
            let other = |ci| model::fit(studies, &model::Settings { ci, ..fit.settings });
            let (wald, kh) = match fit.settings.ci {
                CiType::Z => (fit.clone(), if fit.k >= 2 && pi_type == PiType::Hksj { Some(other(CiType::Hksj)?) } else { None }),
                CiType::Hksj => (other(CiType::Z)?, Some(fit.clone())),
            };
            if let Some((lo, hi)) = PooledSes::new(&wald, kh.as_ref()).and_then(|s| pi_type.interval(&s, fit.settings.level)) {
                (pi_lower, pi_upper) = (Some(lo), Some(hi));
            }
        }
        Ok(PresetReport {
            code: preset.code.into(),
            name: preset.name.into(),
            method: preset.method.code().into(),
            ci: preset.ci.code().into(),
            pi_type: preset.pi_type,
            i2_type: preset.i2_type,
            source: preset.source.into(),
            overridden: overridden.to_vec(),
            pi_lower,
            pi_upper,
            i2: preset.i2_type.and_then(|t| t.value(fit)),
        })
    }
}
