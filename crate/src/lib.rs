//! metapool: meta-analysis whose every pooled number matches R's metafor.
//!
//! The one entry point is [`analyze`]: an analysis [`Document`] (the data as CSV text plus the
//! options) in, a [`Report`] out. The command line and the page both call it; the page through the
//! wasm bindings in `wasm.rs`, which only convert types.
//!
//! ```
//! let doc = metapool::Document {
//!     data: "study,yi,vi\nA,0.1,0.01\nB,0.5,0.02\nC,0.9,0.03\n".into(),
//!     options: metapool::Options { method: Some("DL".into()), ..Default::default() },
//! };
//! let report = metapool::analyze(&doc).unwrap();
//! assert_eq!(report.k, 3);
//! assert_eq!(report.overall.method, "DL");
//! ```

pub mod bias;
pub mod chacha;
pub mod dist;
pub mod error;
pub mod gosh;
pub mod export_r;
pub mod heterogeneity;
pub mod influence;
pub mod input;
pub mod mediation;
pub mod model;
pub mod plot;
pub mod regression;
pub mod report;
pub mod reproduce;
pub mod roots;
pub mod studies;
pub mod subgroups;
pub mod tau2;
pub mod text;
pub mod wls;
#[cfg(target_arch = "wasm32")]
mod wasm;

pub use error::Error;
pub use report::Report;
pub use studies::Studies;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An analysis document: the data and the options. This is what a share link carries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// The data as CSV or TSV text with a header row.
    pub data: String,
    #[serde(default)]
    pub options: Options,
}

/// Options, named as the CLI's flags without dashes. Missing options take their defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// FE, DL, REML (default), ML, PM, HS, SJ, HE or EB.
    pub method: Option<String>,
    /// z (default) or hksj.
    pub ci: Option<String>,
    /// Level of every interval in the output (default 0.95).
    pub level: Option<f64>,
    /// Level of the confidence limits given in the data (default 0.95).
    pub ci_level_in: Option<f64>,
    /// Column roles chosen by the user, by header name (e.g. {"logOR": "yi"}).
    pub roles: Option<BTreeMap<String, input::Role>>,
    /// Subgroup analysis by this column.
    pub by: Option<String>,
    /// Meta-regression on these columns: "ablat,alloc" (as on the command line) or a list.
    pub mods: Option<Columns>,
    /// Leave-one-out analysis with influence diagnostics.
    pub leave1out: Option<bool>,
    /// Cumulative meta-analysis in data order.
    pub cumulative: Option<bool>,
    /// Cumulative meta-analysis with the studies sorted by this column.
    pub cumulative_by: Option<String>,
    /// Small-study effects: Egger, Begg, trim and fill, fail-safe N, PET-PEESE.
    pub bias: Option<bool>,
    /// Mediation: "ie" (default; pool the indirect effects), "paths" (also pool a and b
    /// separately and combine them by Monte Carlo) or "bivariate" (also the bivariate model).
    pub mediation: Option<String>,
    /// SE of a study given by asymmetric limits: "width" (default), "wider" or "zero_side".
    pub ci_se_rule: Option<String>,
    /// The range of pooled results consistent with the rounding of the input.
    pub rounding: Option<bool>,
    /// A published pooled result to check against the rounding ranges, e.g. "−0.07 (−0.11, −0.04)".
    pub reported: Option<String>,
    /// One pooled row per combination of these columns' values: "mediator,outcome" or a list.
    pub table: Option<Columns>,
    /// Variance of an indirect effect given by its paths: "sobel" (default) or "aroian".
    pub ie_se: Option<String>,
    /// Monte Carlo draws per study given by its paths (default 100000; 0 for none).
    pub mc_draws: Option<usize>,
    /// Seed of the Monte Carlo draws (default 20240601).
    pub seed: Option<u64>,
    /// A published pooled result to reproduce, e.g. "−0.71 (−1.06 to −0.36), I² = 92%": every
    /// method, CI type and convention is tried and the settings that reproduce it are listed.
    pub reproduce: Option<String>,
    /// Software defaults by name (`revman5`, `metafor`, `meta8`, …): sets `method` and `ci`
    /// unless they are given too.
    pub preset: Option<String>,
    /// The page's GOSH plot: every subset of the studies fitted apart from the report, in a
    /// worker (`plot::ReportGosh`); [`analyze`] does not read it.
    pub gosh: Option<bool>,
}

/// Column names given as one comma-separated string or as a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Columns {
    Text(String),
    List(Vec<String>),
}

impl Columns {
    /// The names, trimmed, without empty ones.
    pub fn names(&self) -> Vec<String> {
        let all: Vec<String> = match self {
            Columns::Text(s) => s.split(',').map(str::to_string).collect(),
            Columns::List(v) => v.clone(),
        };
        all.into_iter().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect()
    }
}

/// Settings validated from [`Options`].
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    pub model: model::Settings,
    pub read: input::ReadSettings,
    pub by: Option<String>,
    pub mods: Vec<String>,
    pub leave1out: bool,
    pub bias: bool,
    /// `Some(None)`: cumulative in data order; `Some(Some(col))`: sorted by a column.
    pub cumulative: Option<Option<String>>,
    pub mediation: mediation::pooled::Mediation,
    /// With `rounding` or `reported`: the rounding ranges, and the reported result to check.
    pub rounding: Option<Option<mediation::rounding::Reported>>,
    pub table: Vec<String>,
    /// The intervals of the indirect effects of studies given by their paths.
    pub per_study: mediation::per_study::Settings,
    /// With `reproduce`: the published result to reproduce.
    pub reproduce: Option<reproduce::Published>,
    /// With `preset`: the preset, and the options given explicitly that override it.
    pub preset: Option<(&'static reproduce::Preset, Vec<String>)>,
}

impl Validated {
    /// The first option (by its name in the document) that asks for more than the main fit:
    /// what a core built without the `extras` feature cannot do. `options.gosh` counts too (the
    /// page's GOSH plot, which that core cannot fit).
    pub fn extras_asked(&self, options: &Options) -> Option<&'static str> {
        [
            ("by", self.by.is_some()),
            ("mods", !self.mods.is_empty()),
            ("leave1out", self.leave1out),
            ("bias", self.bias),
            ("cumulative", self.cumulative.is_some()),
            ("mediation", self.mediation != mediation::pooled::Mediation::Ie),
            ("rounding", self.rounding.is_some()),
            ("table", !self.table.is_empty()),
            ("reproduce", self.reproduce.is_some() || options.reproduce.as_deref().is_some_and(|t| !t.trim().is_empty())),
            ("preset", self.preset.is_some()),
            ("gosh", options.gosh == Some(true)),
        ]
        .into_iter()
        .find(|&(_, asked)| asked)
        .map(|(name, _)| name)
    }
}

impl Options {
    /// Validates the options once, at the door.
    ///
    /// # Errors
    /// [`Error::BadOption`] for an unknown method, CI type or preset (or `ie_se`, or a number of
    /// Monte Carlo draws outside 0 or 1000 to 10⁷), [`Error::BadLevel`] for a level outside
    /// (0, 1), [`Error::BadResult`] for a `reproduce` text that is not a pooled result.
    pub fn validate(&self) -> Result<Validated, Error> {
        fn given(o: &Option<String>) -> Option<&str> {
            o.as_deref().map(str::trim).filter(|t| !t.is_empty())
        }
        let preset = match given(&self.preset) {
            Some(name) => {
                let p = reproduce::Preset::parse(name)?;
                let overridden = [("method", self.method.is_some()), ("ci", self.ci.is_some())]
                    .into_iter()
                    .filter(|(_, set)| *set)
                    .map(|(o, _)| o.to_string())
                    .collect();
                Some((p, overridden))
            }
            None => None,
        };
        let method = match (&self.method, &preset) {
            (Some(m), _) => tau2::Method::parse(m)?,
            (None, Some((p, _))) => p.method,
            (None, None) => tau2::Method::REML,
        };
        let ci = match (&self.ci, &preset) {
            (Some(c), _) => model::CiType::parse(c)?,
            (None, Some((p, _))) => p.ci,
            (None, None) => model::CiType::Z,
        };
        let level = model::check_level("level", self.level.unwrap_or(0.95))?;
        let ci_level_in = model::check_level("ci-level-in", self.ci_level_in.unwrap_or(0.95))?;
        Ok(Validated {
            model: model::Settings { method, ci, level },
            read: input::ReadSettings {
                ci_level_in,
                roles: self.roles.clone().unwrap_or_default(),
                ci_se_rule: match &self.ci_se_rule {
                    Some(r) => mediation::sensitivity::CiSeRule::parse(r)?,
                    None => Default::default(),
                },
                ie_se: match &self.ie_se {
                    Some(s) => mediation::per_study::IeSe::parse(s)?,
                    None => Default::default(),
                },
            },
            by: self.by.as_ref().map(|b| b.trim().to_string()).filter(|b| !b.is_empty()),
            mods: self.mods.as_ref().map(Columns::names).unwrap_or_default(),
            leave1out: self.leave1out.unwrap_or(false),
            bias: self.bias.unwrap_or(false),
            cumulative: match (&self.cumulative_by, self.cumulative) {
                (Some(col), _) if !col.trim().is_empty() => Some(Some(col.trim().to_string())),
                (_, Some(true)) => Some(None),
                _ => None,
            },
            mediation: match &self.mediation {
                Some(m) => mediation::pooled::Mediation::parse(m)?,
                None => Default::default(),
            },
            rounding: match (&self.reported, self.rounding) {
                // A core without `extras` only notes that the rounding was asked for.
                (Some(text), _) if !text.trim().is_empty() => Some(if cfg!(feature = "extras") {
                    Some(mediation::rounding::Reported::parse(text)?)
                } else {
                    None
                }),
                (_, Some(true)) => Some(None),
                _ => None,
            },
            table: self.table.as_ref().map(Columns::names).unwrap_or_default(),
            per_study: mediation::per_study::Settings::new(level, self.mc_draws, self.seed)?,
            reproduce: if cfg!(feature = "extras") {
                given(&self.reproduce).map(reproduce::Published::parse).transpose()?
            } else {
                None // read by the full core (extras_asked says it is asked for)
            },
            preset,
        })
    }
}

/// An optional analysis that needs more studies than there are leaves the main result standing
/// and says why in a warning; other errors stop the analysis.
fn optional<T>(result: Result<T, Error>, warnings: &mut Vec<String>) -> Result<Option<T>, Error> {
    match result {
        Ok(x) => Ok(Some(x)),
        Err(e @ Error::TooFewStudies { .. }) => {
            warnings.push(e.to_string());
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Pools effects and sampling variances given as arrays, without a table: the report's `overall`
/// under the model `options` say (method, ci, level; the options about reading a table and the
/// further analyses do not apply). For large k: no text to read, no row per study.
///
/// # Errors
/// As [`analyze`]: bad options, unequal lengths, invalid effects or variances (row = position
/// from 1), or an estimator that fails.
///
/// # Example
/// ```
/// let o = metapool::pool(&[0.1, 0.5, 0.9], &[0.01, 0.02, 0.03], &Default::default()).unwrap();
/// assert_eq!((o.k, o.method.as_str()), (3, "REML"));
/// ```
pub fn pool(yi: &[f64], vi: &[f64], options: &Options) -> Result<report::Overall, Error> {
    if yi.len() != vi.len() {
        return Err(Error::MissingColumns {
            message: format!("{} effects but {} sampling variances: give one variance per effect", yi.len(), vi.len()),
        });
    }
    let settings = options.validate()?;
    let studies = Studies::from_effects(yi, vi)?;
    Ok(report::Overall::from_fit(&model::fit(&studies, &settings.model)?))
}

/// Runs an analysis: reads the data, fits the model, builds the report.
///
/// # Errors
/// Any [`Error`]: bad options, unreadable or invalid data (with row, column and value), or an
/// estimator that does not converge.
pub fn analyze(doc: &Document) -> Result<Report, Error> {
    let settings = doc.options.validate()?;
    // A core without `extras` refuses before reading anything: the full core does it all again.
    if !cfg!(feature = "extras") {
        if let Some(option) = settings.extras_asked(&doc.options) {
            return Err(Error::NeedsExtras { option: option.into() });
        }
    }
    let input = input::read_studies(&doc.data, &settings.read)?;
    let fit = model::fit(&input.studies, &settings.model)?;
    let mut warnings = input.warnings;
    warnings.extend(fit.warnings.iter().cloned());
    let paths = mediation::per_study::study_paths(&input.studies);
    let mut studies = report::study_rows(&input.studies, &fit);
    report::set_path_intervals(&mut studies, &mediation::per_study::intervals(&paths, &settings.per_study)?);
    let ci_rule_sensitivity =
        mediation::sensitivity::sensitivity(&input.studies, &settings.model, settings.read.ci_level_in)?.map(|s| {
            warnings.extend(s.warnings);
            s.rows
        });
    let extras = if cfg!(feature = "extras") {
        optional_analyses(&settings, &input.studies, &fit, &mut warnings)?
    } else {
        Extras::default()
    };
    let Extras { subgroups, subgroup_test, regression, leave1out, cumulative, bias, paths: pooled_paths, rounding, table, reproduce, preset } = extras;
    Ok(Report {
        k: fit.k,
        overall: report::Overall::from_fit(&fit),
        studies,
        ie_settings: report::IeSettings::new(&paths, &settings),
        columns: input.columns,
        subgroups,
        subgroup_test,
        regression,
        leave1out,
        cumulative,
        bias,
        paths: pooled_paths,
        ci_rule_sensitivity,
        rounding,
        table,
        reproduce,
        preset,
        warnings,
    })
}

/// The parts of a report that the options ask for beyond the main fit.
#[derive(Default)]
struct Extras {
    subgroups: Option<Vec<report::SubgroupRow>>,
    subgroup_test: Option<report::SubgroupTestRow>,
    regression: Option<report::RegressionReport>,
    leave1out: Option<Vec<report::LeaveOneOutRow>>,
    cumulative: Option<Vec<report::CumulativeRow>>,
    bias: Option<bias::Bias>,
    paths: Option<mediation::pooled::PathsReport>,
    rounding: Option<mediation::rounding::Rounding>,
    table: Option<Vec<mediation::table::TableRow>>,
    reproduce: Option<reproduce::Reproduce>,
    preset: Option<reproduce::PresetReport>,
}

/// Subgroups, meta-regression, leave-one-out, small-study effects, the cumulative analysis, the
/// pooled paths, the rounding ranges, the summary table, a reproduced result and a preset: each
/// as `settings` ask. Built only with the `extras` feature (the page's second module; its first
/// says [`Error::NeedsExtras`] instead).
fn optional_analyses(
    settings: &Validated,
    studies: &Studies,
    fit: &model::Fit,
    warnings: &mut Vec<String>,
) -> Result<Extras, Error> {
    let (mut subgroups, mut subgroup_test) = (None, None);
    if let Some(by) = &settings.by {
        let s = subgroups::fit(studies, by, &settings.model)?;
        warnings.extend(s.warnings.iter().cloned());
        subgroup_test = s.test.map(report::SubgroupTestRow::from);
        subgroups = Some(report::subgroup_rows(&s, studies));
    }
    let mut regression = None;
    if !settings.mods.is_empty() {
        let r = regression::fit(studies, &settings.mods, &settings.model)?;
        warnings.extend(r.warnings.iter().cloned());
        regression = Some(report::RegressionReport::from_fit(&r, studies));
    }
    let leave1out = if settings.leave1out {
        optional(influence::leave_one_out(studies, fit, &settings.model), warnings)?
            .map(|deleted| report::leave_one_out_rows(studies, &deleted))
    } else {
        None
    };
    let bias = if settings.bias {
        optional(bias::small_study_effects(studies, &settings.model), warnings)?
    } else {
        None
    };
    if let Some(b) = &bias {
        warnings.extend(b.warnings.iter().cloned());
    }
    let cumulative = match &settings.cumulative {
        None => None,
        Some(by) => {
            let order = match by {
                Some(col) => influence::order_by(studies, col)?,
                None => (0..studies.k()).collect(),
            };
            let steps = influence::cumulative(studies, &order, &settings.model)?;
            Some(report::cumulative_rows(studies, &steps))
        }
    };
    let pooled_paths = match settings.mediation {
        mediation::pooled::Mediation::Ie => None,
        mode => optional(
            mediation::pooled::pool_as(mode, studies, &settings.model, &settings.per_study),
            warnings,
        )?
        .map(|p| {
            warnings.extend(p.warnings.iter().cloned());
            mediation::pooled::PathsReport::new(&p, studies, fit, &settings.per_study)
        }),
    };
    let rounding = match &settings.rounding {
        None => None,
        Some(reported) => {
            let (r, w) = mediation::rounding::ranges(studies, &settings.model, &settings.read, reported.as_ref())?;
            warnings.extend(w);
            Some(r)
        }
    };
    let table = if settings.table.is_empty() {
        None
    } else {
        optional(mediation::table::fit(studies, &settings.table, &settings.model), warnings)?.map(|t| {
            warnings.extend(t.warnings.iter().cloned());
            mediation::table::rows(&t, studies)
        })
    };
    let reproduce = match &settings.reproduce {
        Some(published) => Some(reproduce::solve(studies, published, &settings.read, settings.model.level)?),
        None => None,
    };
    let preset = match &settings.preset {
        Some((p, overridden)) => Some(reproduce::PresetReport::new(p, overridden, studies, fit)?),
        None => None,
    };
    Ok(Extras { subgroups, subgroup_test, regression, leave1out, cumulative, bias, paths: pooled_paths, rounding, table, reproduce, preset })
}

/// An R script that reproduces the analysis with metafor: the data inline (each study's yᵢ and
/// vᵢ as metapool read them), `rma()` with the same method, CI type and level, the subgroups and
/// the meta-regression, printing metafor's output and one machine-readable line per number
/// (`METAPOOL<TAB>key<TAB>value`, the key being the number's path in the report, e.g.
/// `overall.estimate`, `subgroups.0.tau2`).
///
/// # Errors
/// As [`analyze`]: the document must be valid.
pub fn r_script(doc: &Document) -> Result<String, Error> {
    export_r::script(doc)
}

/// The core as the page first loads it, built without the `extras` feature (`./build.sh test`
/// runs these with `--no-default-features`): the main fit is whole, and every option it leaves
/// out is refused with [`Error::NeedsExtras`], which the page answers by loading the full core.
#[cfg(all(test, not(feature = "extras")))]
mod without_extras {
    use super::*;

    const BCG: &str = include_str!("../../www/examples/bcg.csv");

    fn doc(options: Options) -> Document {
        Document { data: BCG.into(), options }
    }

    #[test]
    fn the_main_fit_is_whole() {
        let r = analyze(&doc(Options::default())).expect("a report");
        // metafor: rma(yi, vi, data = dat.bcg) (REML): -0.7145, tau^2 = 0.3132.
        assert!((r.overall.estimate - -0.714_5).abs() < 1e-4, "{}", r.overall.estimate);
        assert!((r.overall.tau2 - 0.313_2).abs() < 1e-4);
        assert_eq!(r.studies.len(), 13);
        let json = serde_json::to_value(&r).unwrap();
        assert!(json.get("subgroups").is_none() && json.get("ci_rule_sensitivity").is_none());
    }

    #[test]
    fn every_extra_is_refused_by_name() {
        let cases: Vec<(&str, Options)> = vec![
            ("by", Options { by: Some("alloc".into()), ..Default::default() }),
            ("mods", Options { mods: Some(Columns::Text("ablat".into())), ..Default::default() }),
            ("leave1out", Options { leave1out: Some(true), ..Default::default() }),
            ("bias", Options { bias: Some(true), ..Default::default() }),
            ("cumulative", Options { cumulative: Some(true), ..Default::default() }),
            ("rounding", Options { reported: Some("not a result".into()), ..Default::default() }),
            ("table", Options { table: Some(Columns::Text("alloc".into())), ..Default::default() }),
            ("reproduce", Options { reproduce: Some("not a result".into()), ..Default::default() }),
            ("preset", Options { preset: Some("revman5".into()), ..Default::default() }),
            ("gosh", Options { gosh: Some(true), ..Default::default() }),
        ];
        for (name, options) in cases {
            let e = analyze(&doc(options)).expect_err(name);
            assert!(e.needs_extras(), "{name}: {e}");
            assert!(e.to_string().contains(name), "{name}: {e}");
        }
        // Refused before the data are read: the full core will read them.
        let e = analyze(&Document {
            data: "study,yi,vi\nA,x,1\n".into(),
            options: Options { bias: Some(true), ..Default::default() },
        })
        .unwrap_err();
        assert!(e.needs_extras(), "{e}");
        // A bad option is still said as such, not as a missing extra.
        let e = analyze(&doc(Options { method: Some("XX".into()), ..Default::default() })).unwrap_err();
        assert!(!e.needs_extras());
    }

    #[test]
    fn only_the_forest_and_funnel_plots_are_drawn() {
        let r = analyze(&doc(Options::default())).unwrap();
        assert!(plot::PlotKind::Forest.svg(&r, &plot::PlotStyle::default()).is_ok());
        let e = plot::PlotKind::Baujat.svg(&r, &plot::PlotStyle::default()).unwrap_err();
        assert!(e.to_string().contains("full core"), "{e}");
    }
}
