//! The readable report: the table people paste into a manuscript.

use crate::report::Report;
use std::fmt::Write;

/// Formats a number with 4 decimals, or "—" when missing.
fn num(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_string(), |v| format!("{v:.4}"))
}

/// A p-value as journals print it, with its relation: "= 0.0123" or "< 0.0001".
pub fn p_value(p: Option<f64>) -> String {
    match p {
        None => "= —".into(),
        Some(p) if p < 0.0001 => "< 0.0001".into(),
        Some(p) => format!("= {p:.4}"),
    }
}

fn interval(lo: Option<f64>, hi: Option<f64>) -> String {
    match (lo, hi) {
        (Some(l), Some(h)) => format!("[{l:.4}, {h:.4}]"),
        _ => "—".into(),
    }
}

/// Renders the report as aligned plain text.
pub fn render(report: &Report) -> String {
    let o = &report.overall;
    let pct = (o.level * 100.0).to_string();
    let mut s = String::new();
    let model = if o.model == "common" {
        "Common-effect model".to_string()
    } else {
        format!("Random-effects model, tau^2 by {} ({})", o.method_name, o.method)
    };
    let _ = writeln!(s, "{model}; {} CI; k = {}", o.ci_name, o.k);
    let _ = writeln!(s);
    let width = report.studies.iter().map(|r| r.study.chars().count()).max().unwrap_or(5).clamp(5, 40);
    let _ = writeln!(
        s,
        "{:<width$}  {:>10}  {:>9}  {:>22}  {:>7}",
        "Study",
        "Estimate",
        "SE",
        format!("{pct}% CI"),
        "Weight"
    );
    for r in &report.studies {
        let label: String = r.study.chars().take(width).collect();
        let _ = writeln!(
            s,
            "{label:<width$}  {:>10.4}  {:>9.4}  {:>22}  {:>6.2}%",
            r.yi,
            r.se,
            interval(Some(r.ci_lower), Some(r.ci_upper)),
            r.weight
        );
    }
    let _ = writeln!(
        s,
        "{:<width$}  {:>10.4}  {:>9}  {:>22}  {:>6.2}%",
        "Pooled",
        o.estimate,
        num(o.se),
        interval(o.ci_lower, o.ci_upper),
        100.0
    );
    if o.pi_lower.is_some() {
        let _ = writeln!(
            s,
            "{:<width$}  {:>10}  {:>9}  {:>22}",
            "Prediction interval",
            "",
            "",
            interval(o.pi_lower, o.pi_upper)
        );
    }
    let _ = writeln!(s);
    let stat_name = if o.df.is_some() { format!("t({})", o.df.unwrap_or(0)) } else { "z".into() };
    let _ = writeln!(s, "Test of the pooled estimate: {stat_name} = {}, p {}", num(o.stat), p_value(o.p));
    let _ = writeln!(s, "Heterogeneity: Q({}) = {}, p {}", o.q_df, num(Some(o.q)), p_value(o.q_p));
    if o.model == "random" {
        let _ = writeln!(
            s,
            "  tau^2 = {} {pct}% CI {}; tau = {}",
            num(Some(o.tau2)),
            interval(o.tau2_ci_lower, o.tau2_ci_upper),
            num(Some(o.tau))
        );
    }
    let i2 = |x: Option<f64>| x.map_or_else(|| "—".to_string(), |v| format!("{v:.2}%"));
    let mut line = format!("  I^2 = {}", i2(o.i2));
    if o.i2_ci_lower.is_some() {
        line += &format!(" {pct}% CI [{}, {}]", i2(o.i2_ci_lower), i2(o.i2_ci_upper));
    }
    line += &format!("; H^2 = {}", num(o.h2));
    let _ = writeln!(s, "{line}");
    if o.model == "random" {
        let _ = writeln!(s, "  (tau^2, I^2 and H^2 intervals: Q-profile method)");
    }
    for w in &report.warnings {
        let _ = writeln!(s, "\nWarning: {w}");
    }
    s
}
