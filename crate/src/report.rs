//! The JSON report: the contract the CLI's `--json`, the page and external checks share.
//!
//! Field names are fixed (see docs/api.md); fields that do not apply are `null`. I², weights and
//! their intervals are in percent.

use crate::dist;
use crate::input::ColumnInfo;
use crate::model::Fit;
use crate::studies::Studies;
use serde::Serialize;

/// The whole report of one analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub k: usize,
    pub overall: Overall,
    pub studies: Vec<StudyRow>,
    pub columns: Vec<ColumnInfo>,
    pub warnings: Vec<String>,
}

/// The pooled result and heterogeneity.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    pub method: &'static str,
    /// z or hksj.
    pub ci: &'static str,
    pub level: f64,
    /// "common" or "random".
    pub model: &'static str,
    /// Plain-words names of the method and CI type, for the screen.
    pub method_name: &'static str,
    pub ci_name: &'static str,
    /// Iterations of an iterative τ² estimator (0 for closed forms).
    pub iterations: usize,
}

/// One study's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
            method: method.code(),
            ci: fit.settings.ci.code(),
            level: fit.settings.level,
            model: if method.is_common() { "common" } else { "random" },
            method_name: method.name(),
            ci_name: fit.settings.ci.name(),
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
            }
        })
        .collect()
}
