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

/// A p-value for a table cell: "0.0123" or "< 0.0001".
fn p_cell(p: f64) -> String {
    if p < 0.0001 {
        "< 0.0001".into()
    } else {
        format!("{p:.4}")
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
    if let Some(p) = &report.preset {
        render_preset(&mut s, p);
    }
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
    render_analyses(&mut s, report, &pct);
    if let Some(r) = &report.reproduce {
        render_reproduce(&mut s, r);
    }
    for w in &report.warnings {
        let _ = writeln!(s, "\nWarning: {w}");
    }
    s
}

/// One line for a fit: estimate, CI, τ², I², Q.
fn fit_line(o: &crate::report::Overall) -> String {
    let i2 = o.i2.map_or_else(|| "—".to_string(), |v| format!("{v:.1}%"));
    format!(
        "{:>9.4}  {:>22}  tau^2 = {:.4}  I^2 = {i2}  Q({}) = {:.2}",
        o.estimate,
        interval(o.ci_lower, o.ci_upper),
        o.tau2,
        o.q_df,
        o.q
    )
}

/// The bivariate model of a and b (`--mediation bivariate`), under the pooled paths.
fn render_bivariate(s: &mut String, b: &crate::mediation::pooled::BivariateReport, pct: &str) {
    let _ = writeln!(s, "\nBivariate model of a and b ({}, k = {}, z intervals)", b.method, b.k);
    for (name, r) in [("a", &b.a), ("b", &b.b)] {
        let ci = interval(Some(r.ci_lower), Some(r.ci_upper));
        let _ = writeln!(s, "  {name}: {:>9.4}  {ci:>22}  SE {:.4}  p {}", r.estimate, r.se, p_value(Some(r.p)));
    }
    let _ = writeln!(
        s,
        "  tau^2_a = {:.4}  tau^2_b = {:.4}  rho = {}  log-likelihood = {:.4}",
        b.tau2_a,
        b.tau2_b,
        num(b.rho),
        b.loglik
    );
    let ci = interval(b.ie.ci_lower, b.ie.ci_upper);
    let _ = writeln!(s, "  a·b = {:.4}, Monte Carlo {pct}% CI {ci} (correlated draws)", b.ie.estimate);
}

/// The optional analyses, each under its own heading.
fn render_analyses(s: &mut String, report: &Report, pct: &str) {
    if let Some(groups) = &report.subgroups {
        let _ = writeln!(s, "\nSubgroups (each fitted on its own)");
        let width = groups.iter().map(|g| g.name.chars().count()).max().unwrap_or(5).clamp(5, 30);
        for g in groups {
            let name: String = g.name.chars().take(width).collect();
            let _ = writeln!(s, "  {name:<width$}  k = {:>3}  {}", g.fit.k, fit_line(&g.fit));
        }
        if let Some(t) = &report.subgroup_test {
            let _ = writeln!(s, "  Test for subgroup differences: Q({}) = {:.4}, p {}", t.df, t.q, p_value(t.p));
        }
    }
    if let Some(r) = &report.regression {
        let stat = if r.qm_test == "F" { "t" } else { "z" };
        let _ = writeln!(s, "\nMeta-regression (k = {})", r.k);
        let _ = writeln!(
            s,
            "  {:<20}  {:>10}  {:>9}  {:>8}  {:>10}  {:>22}",
            "Coefficient", "Estimate", "SE", stat, "p", format!("{pct}% CI")
        );
        for c in &r.coefficients {
            let _ = writeln!(
                s,
                "  {:<20}  {:>10.4}  {:>9.4}  {:>8.4}  {:>10}  {:>22}",
                c.name.chars().take(20).collect::<String>(),
                c.estimate,
                c.se,
                c.stat,
                p_cell(c.p),
                interval(Some(c.ci_lower), Some(c.ci_upper))
            );
        }
        let qm = match r.qm_df2 {
            Some(df2) => format!("F({}, {df2}) = {:.4}", r.qm_df, r.qm),
            None => format!("QM({}) = {:.4}", r.qm_df, r.qm),
        };
        let r2 = r.r2.map_or_else(|| "—".to_string(), |v| format!("{v:.2}%"));
        let _ = writeln!(s, "  Test of moderators: {qm}, p {}", p_value(Some(r.qm_p)));
        let _ = writeln!(
            s,
            "  Residual heterogeneity: QE({}) = {:.4}, p {}; tau^2 = {:.4}; I^2 = {:.2}%; R^2 = {r2}",
            r.qe_df,
            r.qe,
            p_value(Some(r.qe_p)),
            r.tau2,
            r.i2
        );
    }
    if let Some(b) = &report.bias {
        let _ = writeln!(s, "\nSmall-study effects");
        if let Some(e) = &b.egger {
            let _ = writeln!(
                s,
                "  Egger's regression test: t({}) = {:.4}, p {}; limit estimate {:.4} {}",
                e.df,
                e.stat,
                p_value(Some(e.p)),
                e.limit_estimate,
                interval(Some(e.limit_ci_lower), Some(e.limit_ci_upper))
            );
        }
        if let Some(g) = &b.begg {
            let how = if g.exact { "exact" } else { "normal approximation" };
            let _ = writeln!(s, "  Begg's rank correlation: tau = {:.4}, p {} ({how})", g.tau, p_value(Some(g.p)));
        }
        if let Some(t) = &b.trimfill {
            let side = format!("{:?}", t.side).to_lowercase();
            let _ = writeln!(
                s,
                "  Trim and fill (L0): {} filled on the {side}; adjusted estimate {:.4} {}",
                if t.k0 == 1 { "1 study".to_string() } else { format!("{} studies", t.k0) },
                t.estimate,
                interval(Some(t.ci_lower), Some(t.ci_upper))
            );
        }
        let f = &b.failsafe;
        let _ = writeln!(s, "  Rosenthal's fail-safe N: {} (5k + 10 = {})", f.n, f.target_k);
        for (name, l) in [("PET", &b.pet), ("PEESE", &b.peese)] {
            if let Some(l) = l {
                let _ = writeln!(
                    s,
                    "  {name}: {:.4} {}, p {}",
                    l.estimate,
                    interval(Some(l.ci_lower), Some(l.ci_upper)),
                    p_value(Some(l.p))
                );
            }
        }
    }
    if let Some(rows) = &report.leave1out {
        let _ = writeln!(s, "\nLeave-one-out (the fit without each study; * influential)");
        let width = rows.iter().map(|r| r.study.chars().count()).max().unwrap_or(5).clamp(5, 40);
        for r in rows {
            let mark = if r.influence.influential { "*" } else { " " };
            let label: String = r.study.chars().take(width).collect();
            let _ = writeln!(s, " {mark}{label:<width$}  {}", fit_line(&r.fit));
        }
    }
    if let Some(rows) = &report.cumulative {
        let _ = writeln!(s, "\nCumulative meta-analysis (adding one study at a time)");
        let width = rows.iter().map(|r| r.study.chars().count()).max().unwrap_or(5).clamp(5, 40);
        for r in rows {
            let label: String = r.study.chars().take(width).collect();
            let _ = writeln!(s, "  + {label:<width$}  k = {:>3}  {}", r.fit.k, fit_line(&r.fit));
        }
    }
    if let Some(p) = &report.paths {
        let _ = writeln!(s, "\nPooled paths (a and b pooled separately)");
        let _ = writeln!(s, "  a: {}", fit_line(&p.a));
        let _ = writeln!(s, "  b: {}", fit_line(&p.b));
        let _ = writeln!(
            s,
            "  a·b = {:.4}, Monte Carlo {pct}% CI {} ({} draws, seed {})",
            p.ie.estimate,
            interval(p.ie.ci_lower, p.ie.ci_upper),
            p.ie.draws,
            p.ie.seed
        );
        if let Some(b) = &p.bivariate {
            render_bivariate(s, b, pct);
        }
    }
    if let Some(rows) = &report.ci_rule_sensitivity {
        let _ = writeln!(s, "\nStandard errors from asymmetric limits: pooled result under each rule");
        for r in rows {
            let _ = writeln!(
                s,
                "  {:<10}  {}  {}",
                r.rule.code(),
                num(r.estimate),
                interval(r.ci_lower, r.ci_upper)
            );
        }
    }
    if let Some(r) = &report.rounding {
        let range = |x: [f64; 2]| format!("{:.4} to {:.4}", x[0], x[1]);
        let _ = writeln!(s, "\nRange consistent with the rounding of the inputs");
        let _ = writeln!(s, "  estimate {}; CI lower {}; CI upper {}", range(r.estimate), range(r.ci_lower), range(r.ci_upper));
        if let Some(c) = &r.reported {
            let verdict = if c.inside { "within reach" } else { "NOT within reach" };
            let _ = writeln!(
                s,
                "  reported {} ({}, {}): {verdict} of these data under this model",
                c.estimate, c.ci_lower, c.ci_upper
            );
        }
    }
    if let Some(rows) = &report.table {
        let _ = writeln!(s, "\nSummary table");
        for r in rows {
            let groups: Vec<String> = r.groups.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            let _ = writeln!(s, "  {:<40}  k = {:>3}  {}", groups.join(", "), r.fit.k, fit_line(&r.fit));
        }
    }
}

/// The preset line under the model line.
fn render_preset(s: &mut String, p: &crate::reproduce::PresetReport) {
    let over = if p.overridden.is_empty() {
        String::new()
    } else {
        format!("; overridden by the {} given", p.overridden.join(" and "))
    };
    let _ = writeln!(s, "Preset: {} ({}, {}{over})", p.name, p.method, p.ci);
    let mut conventions = Vec::new();
    if let Some(t) = p.pi_type {
        let pi = interval(p.pi_lower, p.pi_upper);
        conventions.push(format!("prediction interval {pi} ({})", t.name()));
    }
    if let Some(t) = p.i2_type {
        conventions.push(format!("I^2 = {} ({})", p.i2.map_or_else(|| "\u{2014}".to_string(), |v| format!("{v:.2}%")), t.name()));
    }
    if !conventions.is_empty() {
        let _ = writeln!(s, "  as it reports them: {}", conventions.join("; "));
    }
    let _ = writeln!(s, "  source: {}", p.source);
}

/// A setting in a few words: "DL, z" with whatever else differs from the defaults.
fn setting_label(m: &crate::reproduce::Setting) -> String {
    let mut parts = vec![format!("{} {}", m.method, m.ci)];
    if m.scale == crate::reproduce::Scale::Exp {
        parts.push("exp".into());
    }
    if let Some(r) = m.ci_se_rule {
        parts.push(format!("SE {}", r.code()));
    }
    if let Some(l) = m.ci_level_in {
        parts.push(format!("limits {}%", l * 100.0));
    }
    if let Some(t) = m.pi_type {
        parts.push(format!("PI {}", t.code()));
    }
    if let Some(t) = m.i2_type {
        parts.push(format!("I2 {}", t.code()));
    }
    parts.join(", ")
}

/// A setting's numbers for the reported quantities, two decimals beyond the printed ones.
fn setting_numbers(m: &crate::reproduce::Setting, reported: &crate::reproduce::Published) -> String {
    use crate::reproduce::Quantity;
    let fmt = |x: Option<f64>, d: i32| {
        let d = (d + 2).clamp(0, 12) as usize;
        x.map_or_else(|| "\u{2014}".to_string(), |v| format!("{v:.d$}"))
    };
    let mut out = format!(
        "{} [{}, {}]",
        fmt(Some(m.estimate), reported.estimate.decimals),
        fmt(Some(m.ci_lower), reported.ci_lower.decimals),
        fmt(Some(m.ci_upper), reported.ci_upper.decimals)
    );
    for (q, p) in reported.numbers() {
        let extra = match q {
            Quantity::Tau2 => format!("tau^2 {}", fmt(Some(m.tau2), p.decimals)),
            Quantity::Tau => format!("tau {}", fmt(Some(m.tau), p.decimals)),
            Quantity::I2 => format!("I^2 {}%", fmt(m.i2, p.decimals)),
            Quantity::PiLower => format!("PI [{}, {}]", fmt(m.pi_lower, p.decimals), fmt(m.pi_upper, p.decimals)),
            _ => continue,
        };
        out += &format!("  {extra}");
    }
    out
}

/// The solver's section: what was read, the matches, the nearest misses.
fn render_reproduce(s: &mut String, r: &crate::reproduce::Reproduce) {
    let rep = &r.reported;
    let _ = writeln!(s, "\nReproducing the reported result \"{}\"", rep.text);
    let read: Vec<String> = rep
        .numbers()
        .iter()
        .map(|(q, p)| format!("{} {} ({} decimals)", q.code(), p.value, p.decimals))
        .collect();
    let _ = writeln!(s, "  read: {}", read.join(", "));
    let pi = r.pi_level.map_or_else(String::new, |l| format!(", PI at {}%", l * 100.0));
    let _ = writeln!(s, "  {} settings tried (CI at {}%{pi})", r.tried, r.level * 100.0);
    let _ = writeln!(
        s,
        "  distance: the largest |computed - reported| over the reported numbers, in units of each one's last printed digit; 0.5 or less reproduces every number"
    );
    let width = r.matches.iter().chain(&r.nearest).map(|m| setting_label(m).chars().count()).max().unwrap_or(10);
    let presets = |m: &crate::reproduce::Setting| {
        if m.presets.is_empty() {
            String::new()
        } else {
            format!("  = {}", m.presets.join(", "))
        }
    };
    if r.matches.is_empty() {
        let _ = writeln!(s, "  No setting reproduces every reported number.");
    } else {
        let n = r.matches.len();
        let _ = writeln!(s, "  Reproduced by {n} setting{}:", if n == 1 { "" } else { "s" });
        for m in &r.matches {
            let _ = writeln!(
                s,
                "    {:<width$}  {}  distance {:.2}{}",
                setting_label(m),
                setting_numbers(m, rep),
                m.distance,
                presets(m)
            );
        }
    }
    if !r.nearest.is_empty() {
        let _ = writeln!(s, "  Nearest misses:");
        for m in &r.nearest {
            let _ = writeln!(
                s,
                "    {:<width$}  {}  distance {:.2} (at {}){}",
                setting_label(m),
                setting_numbers(m, rep),
                m.distance,
                m.furthest.code(),
                presets(m)
            );
        }
    }
    for note in &r.notes {
        let _ = writeln!(s, "  not tried: {note}");
    }
}
