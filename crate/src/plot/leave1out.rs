//! The leave-one-out plot: the pooled estimate and its interval without each study in turn.
//!
//! One row per study, "Omitting <study>", with the estimate as a dot and its confidence interval
//! as a line, and the heterogeneity left (τ², I²) at right; the estimate with all studies is a
//! dashed line through the rows with its confidence interval as a light band, and the diamond
//! under them. Studies flagged influential by metafor's `influence()` rules are set in bold
//! with an asterisk, explained under the axis. (metafor draws this as `forest()` of a
//! `leave1out()` result; Stata's `metaninf` draws the same picture.)

use super::paint::Target;
use super::table::{draw_report_table, Entry, Mark, Row, Table};
use super::{check_report, finite, fmt2, interval, model_label, PlotError, PlotStyle};
use crate::report::{Overall, Report};
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::prelude::DrawingBackend;

/// The natural size in CSS pixels of the leave-one-out plot of `report`: the default width and
/// a height that grows with the studies. Without leave-one-out results, the default size.
pub fn leave1out_size(report: &Report) -> (u32, u32) {
    Table::natural_size(report, table)
}

/// Draws the leave-one-out plot of `report` on `area` (any backend whose text size is in
/// pixels; for SVG use [`leave1out_svg`]). A short area scales everything down.
///
/// # Errors
/// [`PlotError`] when the report has no leave-one-out results (the analysis was run without
/// `leave1out`, or with too few studies), holds non-finite numbers, or the backend fails.
pub fn draw_leave1out<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    draw_report_table(area, report, style, (style.scale, Target::Pixels), table)
}

/// The leave-one-out plot of `report` as an SVG document of `style.width × style.height` pixels
/// (use [`leave1out_size`] for its natural size).
///
/// # Errors
/// As [`draw_leave1out`], or for a zero width or height.
pub fn leave1out_svg(report: &Report, style: &PlotStyle) -> Result<String, PlotError> {
    super::svg(style, |area| {
        draw_report_table(area, report, style, (1.0, Target::Svg), table)
    })
}

/// The message for a report without leave-one-out results.
pub(crate) const NEEDS_LEAVE1OUT: &str = "needs the leave-one-out fits: run the analysis with \
    leave-one-out first (--leave1out on the command line, \"leave1out\": true in the options; \
    it needs at least 2 studies)";

/// τ² (random-effects models only) and I² of a fit, as cells.
fn cells(o: &Overall, random: bool) -> Vec<String> {
    let i2 = finite(o.i2).map(|v| format!("{v:.1}%")).unwrap_or_default();
    if random {
        vec![fmt2(o.tau2), i2]
    } else {
        vec![i2]
    }
}

fn table(report: &Report) -> Result<Table, PlotError> {
    check_report(report)?;
    let rows = match &report.leave1out {
        Some(rows) if !rows.is_empty() => rows,
        _ => {
            return Err(PlotError::new(format!(
                "the leave-one-out plot {NEEDS_LEAVE1OUT}"
            )))
        }
    };
    let o = &report.overall;
    let random = o.model != "common";
    let mut out = Vec::with_capacity(rows.len() + 2);
    for r in rows {
        if !r.fit.estimate.is_finite() {
            return Err(PlotError::new(format!(
                "the estimate without study \"{}\" (row {}) is not a finite number",
                r.study, r.row
            )));
        }
        let mark = if r.influence.influential { " *" } else { "" };
        out.push(Row::Entry(Entry {
            bold: r.influence.influential,
            estimate: Some(r.fit.estimate),
            ci: interval(r.fit.ci_lower, r.fit.ci_upper),
            cells: cells(&r.fit, random),
            ..Entry::new(format!("Omitting {}{mark}", r.study), Mark::Dot)
        }));
    }
    out.push(Row::Gap);
    let ci = interval(o.ci_lower, o.ci_upper);
    out.push(Row::Entry(Entry {
        bold: true,
        estimate: Some(o.estimate),
        ci,
        cells: cells(o, random),
        ..Entry::new(
            format!("All studies, {}", model_label(report)),
            Mark::Diamond(None),
        )
    }));
    let mut notes = Vec::new();
    if rows.iter().any(|r| r.influence.influential) {
        notes.push(
            "* Influential (metafor's influence(): DFFITS, Cook's distance, hat value or DFBETAS \
             beyond its cut-off)"
                .to_string(),
        );
    }
    let mut columns = Vec::new();
    if random {
        columns.push("τ²".to_string());
    }
    columns.push("I²".to_string());
    Ok(Table {
        label_header: "Study left out".into(),
        columns,
        rows: out,
        level: o.level,
        reference: Some(o.estimate),
        band: ci,
        x_label: String::new(),
        notes,
    })
}
