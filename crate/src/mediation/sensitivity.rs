//! Asymmetric confidence limits: rules for the standard error, and the pooled result under each.
//!
//! Bootstrap and Monte Carlo CIs of indirect effects are often asymmetric around the estimate,
//! while a meta-analysis needs one SE per study. With limits (L, U) around yᵢ at level L_in and
//! z = z_{(1+L_in)/2}:
//!
//! | rule | SE | idea |
//! |---|---|---|
//! | `width` (default) | (U − L)/(2z) | the average half-width |
//! | `wider` | max(yᵢ − L, U − yᵢ)/z | the wider half: the larger SE, conservative |
//! | `zero_side` | the half towards 0, /z: (U − yᵢ)/z when yᵢ < 0, (yᵢ − L)/z when yᵢ > 0 | keeps the study's own test of yᵢ = 0: \|yᵢ\|/SE > z exactly when its CI excludes 0 |
//!
//! With yᵢ = 0 the zero side is undefined and `zero_side` uses the full width. On symmetric limits
//! the three rules agree. `ci_se_rule` picks the rule of the main analysis;
//! [`sensitivity`] refits the model under each rule.

use crate::error::Error;
use crate::input::{ci_z, Role};
use crate::model;
use crate::studies::{Source, Studies};
use serde::{Deserialize, Serialize};

/// How the SE of a study given by asymmetric confidence limits is taken from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CiSeRule {
    /// Full width / (2z).
    #[default]
    Width,
    /// The wider half / z.
    Wider,
    /// The half on the side of zero / z.
    ZeroSide,
}

impl CiSeRule {
    pub const ALL: [CiSeRule; 3] = [CiSeRule::Width, CiSeRule::Wider, CiSeRule::ZeroSide];

    /// The option's value: `width`, `wider` or `zero_side`.
    pub fn code(self) -> &'static str {
        match self {
            CiSeRule::Width => "width",
            CiSeRule::Wider => "wider",
            CiSeRule::ZeroSide => "zero_side",
        }
    }

    /// Which part of the limits the SE comes from, for messages ("their full width").
    pub fn describe(self) -> &'static str {
        match self {
            CiSeRule::Width => "their full width",
            CiSeRule::Wider => "their wider half",
            CiSeRule::ZeroSide => "their half on the side of zero",
        }
    }

    /// Parses the option case-insensitively (`zero-side` and `zeroside` also work).
    ///
    /// # Errors
    /// [`Error::BadOption`] for anything else.
    pub fn parse(s: &str) -> Result<CiSeRule, Error> {
        let code: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        match code.as_str() {
            "width" | "full" | "fullwidth" => Ok(CiSeRule::Width),
            "wider" | "widerhalf" => Ok(CiSeRule::Wider),
            "zeroside" | "zero" => Ok(CiSeRule::ZeroSide),
            _ => Err(Error::BadOption {
                option: "ci_se_rule".into(),
                value: s.into(),
                allowed: "width, wider, zero_side".into(),
            }),
        }
    }

    /// The SE from an estimate and its limits, `z` being the normal quantile of their level.
    ///
    /// ```
    /// use metapool::mediation::sensitivity::CiSeRule;
    /// let z = 2.0;
    /// assert_eq!(CiSeRule::Width.se(-0.09, -0.17, -0.03, z), 0.035);
    /// assert!((CiSeRule::Wider.se(-0.09, -0.17, -0.03, z) - 0.04).abs() < 1e-15);
    /// assert!((CiSeRule::ZeroSide.se(-0.09, -0.17, -0.03, z) - 0.03).abs() < 1e-15);
    /// ```
    pub fn se(self, yi: f64, lower: f64, upper: f64, z: f64) -> f64 {
        let (below, above) = (yi - lower, upper - yi);
        match self {
            CiSeRule::Width => (upper - lower) / (2.0 * z),
            CiSeRule::Wider => below.max(above) / z,
            CiSeRule::ZeroSide if yi < 0.0 => above / z,
            CiSeRule::ZeroSide if yi > 0.0 => below / z,
            CiSeRule::ZeroSide => (upper - lower) / (2.0 * z),
        }
    }
}

/// One row of the sensitivity table: the pooled result with every study given by limits taking
/// its SE by `rule` (the others unchanged). The numbers are null when the rule gives some study
/// an SE of 0 (an estimate on its zero-side limit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleRow {
    pub rule: CiSeRule,
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    pub ci_lower: Option<f64>,
    pub ci_upper: Option<f64>,
    pub p: Option<f64>,
    pub tau2: Option<f64>,
    #[serde(rename = "I2")]
    pub i2: Option<f64>,
}

/// The sensitivity table and warnings naming rules that cannot be applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Sensitivity {
    pub rows: Vec<RuleRow>,
    pub warnings: Vec<String>,
}

/// The pooled result under each rule, or `None` when no study was given by its limits.
///
/// # Errors
/// Estimator failures.
pub fn sensitivity(
    studies: &Studies,
    settings: &model::Settings,
    ci_level_in: f64,
) -> Result<Option<Sensitivity>, Error> {
    let Some(given) = studies.given() else { return Ok(None) };
    let limits: Vec<(usize, [f64; 3])> = given
        .iter()
        .enumerate()
        .filter(|(_, g)| g.source == Source::Limits)
        .filter_map(|(i, g)| Some((i, [g.value(Role::Yi)?, g.value(Role::Lower)?, g.value(Role::Upper)?])))
        .collect();
    if limits.is_empty() {
        return Ok(None);
    }
    let z = ci_z(ci_level_in)?;
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    for rule in CiSeRule::ALL {
        let mut vi = studies.vi().to_vec();
        let mut zero = Vec::new();
        for &(i, [y, l, u]) in &limits {
            let se = rule.se(y, l, u, z);
            vi[i] = se * se;
            if !(vi[i].is_finite() && vi[i] > 0.0) {
                zero.push(studies.rows()[i].to_string());
            }
        }
        if !zero.is_empty() {
            warnings.push(format!(
                "ci_rule_sensitivity: the rule {} gives row{} {} a standard error of 0 (the estimate lies on the limit on the side of zero), so it has no pooled result",
                rule.code(),
                if zero.len() == 1 { "" } else { "s" },
                zero.join(", ")
            ));
            rows.push(RuleRow {
                rule,
                estimate: None,
                se: None,
                ci_lower: None,
                ci_upper: None,
                p: None,
                tau2: None,
                i2: None,
            });
            continue;
        }
        let s = Studies::new(
            studies.labels().to_vec(),
            studies.rows().to_vec(),
            studies.yi().to_vec(),
            vi,
            Vec::new(),
        )?;
        let f = model::fit(&s, settings)?;
        let p = &f.pooled;
        rows.push(RuleRow {
            rule,
            estimate: Some(p.estimate),
            se: p.se,
            ci_lower: p.ci.map(|c| c.0),
            ci_upper: p.ci.map(|c| c.1),
            p: p.p,
            tau2: Some(f.tau2.value),
            i2: f.i2,
        });
    }
    Ok(Some(Sensitivity { rows, warnings }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{read_studies, ReadSettings};

    const Z95: f64 = 1.959963984540054;

    #[test]
    fn rules_on_one_interval() {
        // Negative estimate: the zero side is the upper half.
        let (y, l, u) = (-0.09, -0.17, -0.03);
        assert!((CiSeRule::Width.se(y, l, u, Z95) - 0.14 / (2.0 * Z95)).abs() < 1e-15);
        assert!((CiSeRule::Wider.se(y, l, u, Z95) - 0.08 / Z95).abs() < 1e-15);
        assert!((CiSeRule::ZeroSide.se(y, l, u, Z95) - 0.06 / Z95).abs() < 1e-15);
        // Positive estimate: the lower half.
        assert!((CiSeRule::ZeroSide.se(0.09, 0.03, 0.17, Z95) - 0.06 / Z95).abs() < 1e-15);
        // yi = 0: full width.
        assert_eq!(
            CiSeRule::ZeroSide.se(0.0, -0.1, 0.3, Z95),
            CiSeRule::Width.se(0.0, -0.1, 0.3, Z95)
        );
        // Symmetric: all the same.
        for rule in CiSeRule::ALL {
            assert!((rule.se(0.5, 0.3, 0.7, Z95) - 0.2 / Z95).abs() < 1e-15, "{rule:?}");
        }
    }

    #[test]
    fn zero_side_keeps_the_studys_own_test() {
        // |yi|/SE > z exactly when the interval excludes 0.
        for (y, l, u) in [
            (-0.09, -0.17, -0.03),
            (0.2, 0.01, 0.5),
            (0.2, -0.01, 0.5),
            (-0.3, -0.9, 0.05),
        ] {
            let se = CiSeRule::ZeroSide.se(y, l, u, Z95);
            assert_eq!(y.abs() / se > Z95, l > 0.0 || u < 0.0, "{y} ({l}, {u})");
        }
    }

    #[test]
    fn option_values() {
        assert_eq!(CiSeRule::parse("zero-side").unwrap(), CiSeRule::ZeroSide);
        assert_eq!(CiSeRule::parse("Wider").unwrap(), CiSeRule::Wider);
        assert_eq!(CiSeRule::parse("width").unwrap(), CiSeRule::Width);
        assert!(matches!(CiSeRule::parse("narrow"), Err(Error::BadOption { .. })));
        assert_eq!(serde_json::to_value(CiSeRule::ZeroSide).unwrap(), "zero_side");
    }

    fn table(csv: &str) -> Vec<RuleRow> {
        let s = read_studies(csv, &ReadSettings::default()).unwrap().studies;
        sensitivity(&s, &model::Settings::default(), 0.95)
            .unwrap()
            .unwrap()
            .rows
    }

    #[test]
    fn asymmetric_limits_give_three_results() {
        let rows = table(include_str!("../../../www/examples/mediation_ie.csv"));
        assert_eq!(rows.iter().map(|r| r.rule).collect::<Vec<_>>(), CiSeRule::ALL);
        let se: Vec<f64> = rows.iter().map(|r| r.se.unwrap()).collect();
        // Every study's wider half is at least its mean half, and here strictly for some.
        assert!(se[1] > se[0], "{se:?}");
        // All estimates are negative with the long tail away from zero: the zero side is the
        // narrower half, so the smallest SEs.
        assert!(se[2] < se[0], "{se:?}");
        let est: Vec<f64> = rows.iter().map(|r| r.estimate.unwrap()).collect();
        assert!(est[0] != est[1] && est[0] != est[2], "{est:?}");
    }

    #[test]
    fn symmetric_limits_give_one_result() {
        let rows = table("yi,lower,upper\n-0.1,-0.2,0\n0.3,0.1,0.5\n0.05,-0.25,0.35\n");
        for r in &rows[1..] {
            for (a, b) in [
                (r.estimate, rows[0].estimate),
                (r.ci_lower, rows[0].ci_lower),
                (r.tau2, rows[0].tau2),
            ] {
                assert!((a.unwrap() - b.unwrap()).abs() < 1e-12, "{r:?}");
            }
        }
    }

    #[test]
    fn the_width_row_is_the_main_analysis() {
        let csv = include_str!("../../../www/examples/mediation_ie.csv");
        for rule in CiSeRule::ALL {
            let read = ReadSettings {
                ci_se_rule: rule,
                ..ReadSettings::default()
            };
            let s = read_studies(csv, &read).unwrap().studies;
            let main = model::fit(&s, &model::Settings::default()).unwrap();
            let rows = sensitivity(&s, &model::Settings::default(), 0.95)
                .unwrap()
                .unwrap()
                .rows;
            let row = rows.iter().find(|r| r.rule == rule).unwrap();
            assert_eq!(row.estimate, Some(main.pooled.estimate));
            assert_eq!(row.ci_lower, main.pooled.ci.map(|c| c.0));
        }
    }

    #[test]
    fn no_limits_no_table_and_zero_se_rows_are_empty() {
        let s = read_studies("yi,vi\n0.1,0.01\n0.2,0.02\n", &ReadSettings::default())
            .unwrap()
            .studies;
        assert_eq!(sensitivity(&s, &model::Settings::default(), 0.95).unwrap(), None);
        let s = read_studies("yi,lower,upper\n0.1,0.1,0.3\n0.2,0.05,0.4\n", &ReadSettings::default())
            .unwrap()
            .studies;
        let Sensitivity { rows, warnings } = sensitivity(&s, &model::Settings::default(), 0.95).unwrap().unwrap();
        assert!(rows[2].estimate.is_none() && rows[0].estimate.is_some());
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("zero_side gives row 1 a standard error of 0"),
            "{warnings:?}"
        );
    }
}
