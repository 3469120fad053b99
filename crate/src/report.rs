//! The JSON report: the contract the CLI's `--json`, the page and external checks share.
//!
//! Field names are fixed (see docs/api.md); fields that do not apply are `null`. I², weights and
//! their intervals are in percent.

use crate::dist;
use crate::input::ColumnInfo;
use crate::model::Fit;
use crate::studies::Studies;
use serde::{Deserialize, Serialize};

/// The whole report of one analysis. A core built without the `extras` feature (the page's first
/// module) neither writes nor reads the parts it cannot compute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub k: usize,
    pub overall: Overall,
    pub studies: Vec<StudyRow>,
    pub columns: Vec<ColumnInfo>,
    /// With `by`: one fit per subgroup, in sorted order of the group names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(feature = "extras"), serde(skip))]
    pub subgroups: Option<Vec<SubgroupRow>>,
    /// With `by`: the test for subgroup differences (null with fewer than two subgroups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(feature = "extras"), serde(skip))]
    pub subgroup_test: Option<SubgroupTestRow>,
    /// With `mods`: the meta-regression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(feature = "extras"), serde(skip))]
    pub regression: Option<RegressionReport>,
    /// With `leave1out`: the fit without each study, in input order, with influence diagnostics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(feature = "extras"), serde(skip))]
    pub leave1out: Option<Vec<LeaveOneOutRow>>,
    /// With `cumulative`: the fit to the first 1, 2, …, k studies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(feature = "extras"), serde(skip))]
    pub cumulative: Option<Vec<CumulativeRow>>,
    /// With `bias`: small-study effects and publication bias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(feature = "extras"), serde(skip))]
    pub bias: Option<crate::bias::Bias>,
    /// When some study is given by its mediation paths: how its variance and its intervals were
    /// computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ie_settings: Option<IeSettings>,
    /// With `mediation = "paths"`: a and b pooled separately, their product, and how far it is
    /// from the pooled indirect effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(feature = "extras"), serde(skip))]
    pub paths: Option<crate::mediation::pooled::PathsReport>,
    /// When some study is given by confidence limits: the pooled result under each rule for
    /// their SE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_rule_sensitivity: Option<Vec<crate::mediation::sensitivity::RuleRow>>,
    /// With `rounding` or `reported`: the pooled results consistent with the input's rounding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(feature = "extras"), serde(skip))]
    pub rounding: Option<crate::mediation::rounding::Rounding>,
    /// With `table`: one pooled row per combination of the columns' values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(feature = "extras"), serde(skip))]
    pub table: Option<Vec<crate::mediation::table::TableRow>>,
    /// With `reproduce`: the settings that reproduce a published result, and the nearest misses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(feature = "extras"), serde(skip))]
    pub reproduce: Option<crate::reproduce::Reproduce>,
    /// With `preset`: the preset, its source, and the main fit under its conventions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(feature = "extras"), serde(skip))]
    pub preset: Option<crate::reproduce::PresetReport>,
    pub warnings: Vec<String>,
}

/// One subgroup: its name and every field of [`Overall`] for its own fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubgroupRow {
    pub name: String,
    /// Data rows (from 1) of its studies.
    pub rows: Vec<usize>,
    #[serde(flatten)]
    pub fit: Overall,
}

/// The test for subgroup differences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubgroupTestRow {
    #[serde(rename = "Q")]
    pub q: f64,
    pub df: usize,
    pub p: Option<f64>,
}

impl From<crate::subgroups::SubgroupTest> for SubgroupTestRow {
    fn from(t: crate::subgroups::SubgroupTest) -> Self {
        SubgroupTestRow { q: t.q, df: t.df, p: t.p }
    }
}

/// Rows for every subgroup.
pub fn subgroup_rows(s: &crate::subgroups::Subgroups, studies: &Studies) -> Vec<SubgroupRow> {
    s.groups
        .iter()
        .map(|g| SubgroupRow {
            name: g.name.clone(),
            rows: g.members.iter().map(|&i| studies.rows()[i]).collect(),
            fit: Overall::from_fit(&g.fit),
        })
        .collect()
}

/// One meta-regression coefficient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoefficientRow {
    pub name: String,
    pub estimate: f64,
    pub se: f64,
    pub stat: f64,
    pub p: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
}

/// The meta-regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionReport {
    pub k: usize,
    /// Data rows (from 1) of the studies used (rows with an empty moderator cell are left out).
    pub rows: Vec<usize>,
    /// The design matrix, one row per used study, columns in coefficient order (metafor's X).
    #[serde(rename = "X")]
    pub x: Vec<Vec<f64>>,
    pub coefficients: Vec<CoefficientRow>,
    /// Omnibus test of the moderators: χ² under z, F under hksj.
    #[serde(rename = "QM")]
    pub qm: f64,
    #[serde(rename = "QM_df")]
    pub qm_df: usize,
    /// Denominator df of the F test under hksj; null under z.
    #[serde(rename = "QM_df2")]
    pub qm_df2: Option<usize>,
    #[serde(rename = "QM_p")]
    pub qm_p: f64,
    /// "chisq" or "F".
    pub qm_test: String,
    #[serde(rename = "QE")]
    pub qe: f64,
    #[serde(rename = "QE_df")]
    pub qe_df: usize,
    #[serde(rename = "QE_p")]
    pub qe_p: f64,
    pub tau2: f64,
    pub tau: f64,
    /// Percent of τ² accounted for by the moderators; null where metafor gives none.
    #[serde(rename = "R2")]
    pub r2: Option<f64>,
    #[serde(rename = "I2")]
    pub i2: f64,
    #[serde(rename = "H2")]
    pub h2: f64,
}

impl RegressionReport {
    pub fn from_fit(r: &crate::regression::Regression, studies: &Studies) -> Self {
        RegressionReport {
            k: r.k,
            rows: r.used.iter().map(|&i| studies.rows()[i]).collect(),
            x: r.x.clone(),
            coefficients: r
                .coefficients
                .iter()
                .map(|c| CoefficientRow {
                    name: c.name.clone(),
                    estimate: c.estimate,
                    se: c.se,
                    stat: c.stat,
                    p: c.p,
                    ci_lower: c.ci.0,
                    ci_upper: c.ci.1,
                })
                .collect(),
            qm: r.qm,
            qm_df: r.qm_df.0,
            qm_df2: r.qm_df.1,
            qm_p: r.qm_p,
            qm_test: if r.qm_df.1.is_some() { "F" } else { "chisq" }.to_string(),
            qe: r.qe,
            qe_df: r.qe_df,
            qe_p: r.qe_p,
            tau2: r.tau2,
            tau: r.tau2.sqrt(),
            r2: r.r2,
            i2: r.i2,
            h2: r.h2,
        }
    }
}

/// The pooled result and heterogeneity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overall {
    pub k: usize,
    pub estimate: f64,
    pub se: Option<f64>,
    pub ci_lower: Option<f64>,
    pub ci_upper: Option<f64>,
    /// z or t statistic.
    pub stat: Option<f64>,
    /// t degrees of freedom under hksj; null under z.
    pub df: Option<usize>,
    pub p: Option<f64>,
    pub pi_lower: Option<f64>,
    pub pi_upper: Option<f64>,
    pub tau2: f64,
    pub tau: f64,
    pub tau2_ci_lower: Option<f64>,
    pub tau2_ci_upper: Option<f64>,
    #[serde(rename = "I2")]
    pub i2: Option<f64>,
    #[serde(rename = "I2_ci_lower")]
    pub i2_ci_lower: Option<f64>,
    #[serde(rename = "I2_ci_upper")]
    pub i2_ci_upper: Option<f64>,
    #[serde(rename = "H2")]
    pub h2: Option<f64>,
    #[serde(rename = "H2_ci_lower")]
    pub h2_ci_lower: Option<f64>,
    #[serde(rename = "H2_ci_upper")]
    pub h2_ci_upper: Option<f64>,
    #[serde(rename = "Q")]
    pub q: f64,
    #[serde(rename = "Q_df")]
    pub q_df: usize,
    #[serde(rename = "Q_p")]
    pub q_p: Option<f64>,
    /// metafor's code: FE, DL, REML, …
    pub method: String,
    /// z or hksj.
    pub ci: String,
    pub level: f64,
    /// "common" or "random".
    pub model: String,
    /// Plain-words names of the method and CI type, for the screen.
    pub method_name: String,
    pub ci_name: String,
    /// Iterations of an iterative τ² estimator (0 for closed forms).
    pub iterations: usize,
}

/// One study's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyRow {
    pub study: String,
    /// Data row the study came from, counted from 1.
    pub row: usize,
    pub yi: f64,
    pub vi: f64,
    pub se: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    /// Weight in the pooled estimate, percent.
    pub weight: f64,
    /// Monte Carlo percentile interval of a·b at the report's level, for a study given by its
    /// paths (null otherwise, or with `mc_draws` 0).
    #[serde(default)]
    pub mc_lower: Option<f64>,
    #[serde(default)]
    pub mc_upper: Option<f64>,
    /// Distribution-of-the-product interval of a·b at the report's level, for a study given by
    /// its paths (null otherwise).
    #[serde(default)]
    pub dop_lower: Option<f64>,
    #[serde(default)]
    pub dop_upper: Option<f64>,
}

/// How the indirect effects of studies given by their paths were computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IeSettings {
    /// Studies given by their paths.
    pub k: usize,
    /// The variance of a·b: `sobel` or `aroian`.
    pub ie_se: crate::mediation::per_study::IeSe,
    /// The same in words.
    pub ie_se_name: String,
    /// Monte Carlo draws per study (0: no Monte Carlo intervals).
    pub mc_draws: usize,
    /// Seed of the Monte Carlo draws.
    pub seed: u64,
}

impl IeSettings {
    /// `None` when no study is given by its paths.
    pub fn new(
        paths: &[Option<crate::mediation::per_study::Paths>],
        settings: &crate::Validated,
    ) -> Option<IeSettings> {
        let k = paths.iter().flatten().count();
        (k > 0).then(|| IeSettings {
            k,
            ie_se: settings.read.ie_se,
            ie_se_name: settings.read.ie_se.name().to_string(),
            mc_draws: settings.per_study.mc_draws,
            seed: settings.per_study.seed,
        })
    }
}

/// Puts each study's Monte Carlo and distribution-of-the-product intervals into its row.
pub fn set_path_intervals(
    rows: &mut [StudyRow],
    intervals: &[Option<crate::mediation::per_study::Intervals>],
) {
    for (row, ci) in rows.iter_mut().zip(intervals) {
        let Some(ci) = ci else { continue };
        (row.mc_lower, row.mc_upper) = split(ci.mc);
        (row.dop_lower, row.dop_upper) = (Some(ci.dop.0), Some(ci.dop.1));
    }
}

fn split(x: Option<(f64, f64)>) -> (Option<f64>, Option<f64>) {
    (x.map(|p| p.0), x.map(|p| p.1))
}

impl Overall {
    pub fn from_fit(fit: &Fit) -> Overall {
        let p = &fit.pooled;
        let (ci_lower, ci_upper) = split(p.ci);
        let (pi_lower, pi_upper) = split(p.pi);
        let (tau2_ci_lower, tau2_ci_upper) = split(fit.tau2_ci);
        let (i2_ci_lower, i2_ci_upper) = split(fit.i2_ci);
        let (h2_ci_lower, h2_ci_upper) = split(fit.h2_ci);
        let method = fit.settings.method;
        Overall {
            k: fit.k,
            estimate: p.estimate,
            se: p.se,
            ci_lower,
            ci_upper,
            stat: p.stat,
            df: p.df,
            p: p.p,
            pi_lower,
            pi_upper,
            tau2: fit.tau2.value,
            tau: fit.tau2.value.sqrt(),
            tau2_ci_lower,
            tau2_ci_upper,
            i2: fit.i2,
            i2_ci_lower,
            i2_ci_upper,
            h2: fit.h2,
            h2_ci_lower,
            h2_ci_upper,
            q: fit.q.q,
            q_df: fit.q.df,
            q_p: fit.q.p,
            method: method.code().to_string(),
            ci: fit.settings.ci.code().to_string(),
            level: fit.settings.level,
            model: if method.is_common() { "common" } else { "random" }.to_string(),
            method_name: method.name().to_string(),
            ci_name: fit.settings.ci.name().to_string(),
            iterations: fit.tau2.iterations,
        }
    }
}

/// Per-study rows: effect, SE, normal-theory CI at the report's level, and weight.
pub fn study_rows(studies: &Studies, fit: &Fit) -> Vec<StudyRow> {
    let z = dist::qnorm_upper((1.0 - fit.settings.level) / 2.0);
    (0..studies.k())
        .map(|i| {
            let yi = studies.yi()[i];
            let vi = studies.vi()[i];
            let se = vi.sqrt();
            StudyRow {
                study: studies.labels()[i].clone(),
                row: studies.rows()[i],
                yi,
                vi,
                se,
                ci_lower: yi - z * se,
                ci_upper: yi + z * se,
                weight: fit.weights[i],
                mc_lower: None,
                mc_upper: None,
                dop_lower: None,
                dop_upper: None,
            }
        })
        .collect()
}

/// The fit without one study, and that study's influence diagnostics (metafor's `influence()`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaveOneOutRow {
    /// The study left out.
    pub study: String,
    pub row: usize,
    /// Every field of [`Overall`] for the fit without the study (`tau2`, `Q` … are metafor's
    /// `tau2.del`, `QE.del`).
    #[serde(flatten)]
    pub fit: Overall,
    #[serde(flatten)]
    pub influence: crate::influence::Influence,
}

/// Leave-one-out rows in input order.
pub fn leave_one_out_rows(studies: &Studies, deleted: &[crate::influence::Deleted]) -> Vec<LeaveOneOutRow> {
    deleted
        .iter()
        .map(|d| LeaveOneOutRow {
            study: studies.labels()[d.index].clone(),
            row: studies.rows()[d.index],
            fit: Overall::from_fit(&d.fit),
            influence: d.influence.clone(),
        })
        .collect()
}

/// The fit after adding one more study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CumulativeRow {
    /// The study added at this step.
    pub study: String,
    pub row: usize,
    #[serde(flatten)]
    pub fit: Overall,
}

/// Cumulative rows in the order the studies were added.
pub fn cumulative_rows(studies: &Studies, steps: &[(usize, Fit)]) -> Vec<CumulativeRow> {
    steps
        .iter()
        .map(|(i, fit)| CumulativeRow {
            study: studies.labels()[*i].clone(),
            row: studies.rows()[*i],
            fit: Overall::from_fit(fit),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::{analyze, Columns, Document, Options, Report};

    /// The page hands the report back to the plot calls: it must come back unchanged.
    #[test]
    fn a_report_survives_a_round_trip_through_its_json() {
        let doc = Document {
            data: include_str!("../../www/examples/bcg.csv").into(),
            options: Options {
                by: Some("alloc".into()),
                mods: Some(Columns::Text("ablat".into())),
                leave1out: Some(true),
                cumulative: Some(true),
                bias: Some(true),
                ..Default::default()
            },
        };
        let report = analyze(&doc).unwrap();
        let value = serde_json::to_value(&report).unwrap();
        let back: Report = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), value);
        assert_eq!(back.overall, report.overall);
    }
}
