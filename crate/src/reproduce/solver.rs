//! Which settings reproduce a published pooled result.
//!
//! # What is tried
//! Every combination of
//! - the model: FE and the eight τ² estimators (DL, REML, ML, PM, HS, SJ, HE, EB);
//! - the CI type: `z` (Wald-type) and `hksj` (Knapp–Hartung, t(k − 1));
//! - when some study is given by confidence limits: the rule for its SE (`width`, `wider`,
//!   `zero_side`; only `width`'s result when every such study's limits are symmetric, where the
//!   rules agree) and the level of those limits (the one given, 0.95, 0.90, 0.99);
//! - when the text has a prediction interval: its four types ([`PiType`]);
//! - when the text has I²: its two types ([`I2Type`]; under FE only `Q`, which is metafor's);
//! - when the estimate and its limits are all positive: the data's scale and the exponentiated
//!   scale (a ratio printed as OR/RR/HR from log ratios: estimate and limits are exp'd, τ² and
//!   I² stay on the log scale).
//!
//! The CI (and prediction interval) level is the one the text states ("90% CI"), else the
//! analysis' `level`.
//!
//! # Distance
//! For each reported number x printed with d decimals (rounding step s = 10^−d) and the value c
//! a setting computes for it, |c − x|/s is how far c is from x in units of the printed last
//! digit. A setting's distance is the largest of these over every reported number (estimate,
//! limits, and τ², τ, I², prediction limits when given). It **matches** when its distance is at
//! most 0.5 (with a relative slack of 10⁻⁹ for binary floating point): then every reported
//! number is what the setting's result rounds to at the printed decimals. The nearest misses are
//! the settings with the smallest distance above 0.5, the best one of each model, CI type and
//! scale.

use super::parse::{Printed, Published, Quantity};
use super::presets::Preset;
use super::variants::{I2Type, PiType, PooledSes};
use crate::error::Error;
use crate::input::{ci_z, ReadSettings, Role};
use crate::mediation::sensitivity::CiSeRule;
use crate::model::{self, CiType, Fit};
use crate::studies::{Source, Studies};
use crate::tau2::Method;
use serde::{Deserialize, Serialize};

/// Matches are distance ≤ this (half a unit in the last printed digit).
pub const MATCH: f64 = 0.5;
/// Nearest misses listed.
pub const NEAREST: usize = 5;

/// Whether the numbers are compared as computed or exponentiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// As the data are.
    Identity,
    /// Estimate, CI and prediction limits exponentiated (ratios from log ratios).
    Exp,
}

/// One setting and what it gives for the reported numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    /// The model: FE, DL, REML, … (the CLI's `--method`).
    pub method: String,
    /// `z` or `hksj` (the CLI's `--ci`).
    pub ci: String,
    pub scale: Scale,
    /// The rule for the SE of studies given by limits; null when no study is.
    pub ci_se_rule: Option<CiSeRule>,
    /// The level taken for those limits; null when no study is given by limits.
    pub ci_level_in: Option<f64>,
    /// The prediction interval's type; null when the text has none.
    pub pi_type: Option<PiType>,
    /// I²'s type; null when the text has no I².
    pub i2_type: Option<I2Type>,
    /// Level of the CI.
    pub level: f64,
    pub estimate: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub tau2: f64,
    pub tau: f64,
    /// I² in percent, by `i2_type` (metafor's when the text has none); null with k = 1.
    #[serde(rename = "I2")]
    pub i2: Option<f64>,
    /// The prediction interval by `pi_type`; null when the text has none.
    pub pi_lower: Option<f64>,
    pub pi_upper: Option<f64>,
    /// The largest |computed − reported| over the reported numbers, in units of each one's
    /// last printed digit.
    pub distance: f64,
    /// The reported number where that largest difference is.
    pub furthest: Quantity,
    /// Codes of the presets this setting corresponds to.
    pub presets: Vec<String>,
}

/// The solver's answer: the report's `reproduce` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reproduce {
    /// The numbers read from the text, with their decimals.
    pub reported: Published,
    /// Level of the CIs computed (the text's, else the analysis' level).
    pub level: f64,
    /// Level of the prediction intervals computed; null when the text has none.
    pub pi_level: Option<f64>,
    /// Settings tried.
    pub tried: usize,
    /// Settings whose results round to every reported number, closest first.
    pub matches: Vec<Setting>,
    /// The closest settings that do not match (one per model, CI type and scale), closest first.
    pub nearest: Vec<Setting>,
    /// Models that could not be fitted to these data, and why.
    pub notes: Vec<String>,
}

/// The studies with their SEs from the limits by one rule and level.
struct DataVariant {
    rule: Option<CiSeRule>,
    level_in: Option<f64>,
    studies: Studies,
}

fn data_variants(studies: &Studies, read: &ReadSettings) -> Result<Vec<DataVariant>, Error> {
    let limits: Vec<(usize, [f64; 3])> = studies
        .given()
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter(|(_, g)| g.source == Source::Limits)
        .filter_map(|(i, g)| Some((i, [g.value(Role::Yi)?, g.value(Role::Lower)?, g.value(Role::Upper)?])))
        .collect();
    if limits.is_empty() {
        return Ok(vec![DataVariant { rule: None, level_in: None, studies: studies.clone() }]);
    }
    let asymmetric = limits
        .iter()
        .any(|(_, [y, l, u])| ((u - y) - (y - l)).abs() > 1e-9 * (u - l));
    let rules: Vec<CiSeRule> = if asymmetric { CiSeRule::ALL.to_vec() } else { vec![read.ci_se_rule] };
    let mut levels = vec![read.ci_level_in];
    for l in [0.95, 0.90, 0.99] {
        if levels.iter().all(|x| (x - l).abs() > 1e-12) {
            levels.push(l);
        }
    }
    let mut out = Vec::new();
    for &level_in in &levels {
        let z = ci_z(level_in)?;
        for &rule in &rules {
            let mut vi = studies.vi().to_vec();
            for &(i, [y, l, u]) in &limits {
                let se = rule.se(y, l, u, z);
                vi[i] = se * se;
            }
            if vi.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
                continue; // a zero-side SE of 0: this rule cannot be used
            }
            let s = Studies::new(
                studies.labels().to_vec(),
                studies.rows().to_vec(),
                studies.yi().to_vec(),
                vi,
                Vec::new(),
            )?;
            out.push(DataVariant { rule: Some(rule), level_in: Some(level_in), studies: s });
        }
    }
    Ok(out)
}

/// |computed − reported| in units of the last printed digit.
fn gap(computed: f64, reported: Printed) -> f64 {
    (computed - reported.value).abs() / reported.step()
}

/// Tries every setting (see the module docs) on the studies.
///
/// `read` gives the level and SE rule of the input limits the analysis used (tried first);
/// `level` is the CI level when the text states none.
///
/// # Errors
/// Only [`Error::BadLevel`] for a level of the input limits outside (0, 1); models that cannot
/// be fitted are left out with a note.
pub fn solve(studies: &Studies, published: &Published, read: &ReadSettings, level: f64) -> Result<Reproduce, Error> {
    let level = published.level.unwrap_or(level);
    let pi_level = published.pi_lower.map(|_| published.pi_level.unwrap_or(level));
    let scales: &[Scale] = if published.all_positive() { &[Scale::Identity, Scale::Exp] } else { &[Scale::Identity] };
    let wanted = published.numbers();
    let mut notes: Vec<String> = Vec::new();
    let mut all: Vec<Setting> = Vec::new();
    for dv in data_variants(studies, read)? {
        for method in Method::ALL {
            let fit = |ci| model::fit(&dv.studies, &model::Settings { method, ci, level });
            let wald = match fit(CiType::Z) {
                Ok(f) => f,
                Err(e) => {
                    let note = format!("{}: {e}", method.code());
                    if !notes.contains(&note) {
                        notes.push(note);
                    }
                    continue;
                }
            };
            let kh = if dv.studies.k() >= 2 { fit(CiType::Hksj).ok() } else { None };
            let ses = PooledSes::new(&wald, kh.as_ref());
            for f in [Some(&wald), kh.as_ref()].into_iter().flatten() {
                for &scale in scales {
                    settings_of(f, ses.as_ref(), &dv, scale, published, pi_level, &wanted, &mut all);
                }
            }
        }
    }
    let tried = all.len();
    let slack = 1e-9;
    let (mut matches, mut misses): (Vec<Setting>, Vec<Setting>) =
        all.into_iter().partition(|s| s.distance <= MATCH * (1.0 + slack));
    let order = |a: &Setting, b: &Setting| a.distance.total_cmp(&b.distance);
    matches.sort_by(order);
    misses.retain(|s| s.distance.is_finite());
    misses.sort_by(order);
    let mut nearest: Vec<Setting> = Vec::new();
    for s in misses {
        if nearest.len() == NEAREST {
            break;
        }
        if !nearest.iter().any(|n| n.method == s.method && n.ci == s.ci && n.scale == s.scale) {
            nearest.push(s);
        }
    }
    Ok(Reproduce { reported: published.clone(), level, pi_level, tried, matches, nearest, notes })
}

/// The settings of one fit: every prediction-interval and I² type the text calls for.
#[allow(clippy::too_many_arguments)]
fn settings_of(
    fit: &Fit,
    ses: Option<&PooledSes>,
    dv: &DataVariant,
    scale: Scale,
    published: &Published,
    pi_level: Option<f64>,
    wanted: &[(Quantity, Printed)],
    out: &mut Vec<Setting>,
) {
    let Some((ci_lower, ci_upper)) = fit.pooled.ci else { return };
    let method = fit.settings.method;
    let ci = fit.settings.ci;
    let pi_types: Vec<Option<PiType>> = match pi_level {
        Some(_) => PiType::ALL.into_iter().map(Some).collect(),
        None => vec![None],
    };
    let i2_types: Vec<Option<I2Type>> = match (published.i2, method.is_common()) {
        (None, _) => vec![None],
        (Some(_), true) => vec![Some(I2Type::Q)],
        (Some(_), false) => I2Type::ALL.into_iter().map(Some).collect(),
    };
    let on_scale = |x: f64| match scale {
        Scale::Identity => x,
        Scale::Exp => x.exp(),
    };
    for &pi_type in &pi_types {
        let pi = match (pi_type, ses, pi_level) {
            (Some(t), Some(s), Some(l)) => match t.interval(s, l) {
                Some(p) => Some(p),
                None => continue,
            },
            (Some(_), _, _) => continue, // no prediction interval under FE
            _ => None,
        };
        for &i2_type in &i2_types {
            let i2 = match i2_type {
                Some(t) => match t.value(fit) {
                    Some(v) => Some(v),
                    None => continue,
                },
                None => fit.i2,
            };
            let tau2 = fit.tau2.value;
            let computed = |q: Quantity| -> Option<f64> {
                Some(match q {
                    Quantity::Estimate => on_scale(fit.pooled.estimate),
                    Quantity::CiLower => on_scale(ci_lower),
                    Quantity::CiUpper => on_scale(ci_upper),
                    Quantity::Tau2 => tau2,
                    Quantity::Tau => tau2.sqrt(),
                    Quantity::I2 => i2?,
                    Quantity::PiLower => on_scale(pi?.0),
                    Quantity::PiUpper => on_scale(pi?.1),
                })
            };
            let mut distance = 0.0;
            let mut furthest = Quantity::Estimate;
            for &(q, printed) in wanted {
                let d = computed(q).map_or(f64::INFINITY, |c| gap(c, printed));
                if d > distance || d.is_nan() {
                    distance = d;
                    furthest = q;
                }
            }
            out.push(Setting {
                method: method.code().to_string(),
                ci: ci.code().to_string(),
                scale,
                ci_se_rule: dv.rule,
                ci_level_in: dv.level_in,
                pi_type,
                i2_type,
                level: fit.settings.level,
                estimate: on_scale(fit.pooled.estimate),
                ci_lower: on_scale(ci_lower),
                ci_upper: on_scale(ci_upper),
                tau2,
                tau: tau2.sqrt(),
                i2,
                pi_lower: pi.map(|p| on_scale(p.0)),
                pi_upper: pi.map(|p| on_scale(p.1)),
                distance,
                furthest,
                presets: Preset::ALL
                    .iter()
                    .filter(|p| p.agrees(method, ci, pi_type, i2_type))
                    .map(|p| p.code.to_string())
                    .collect(),
            });
        }
    }
}
