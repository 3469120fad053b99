//! The summary forest plot: one diamond per row of the report's `table` (one pooled fit per
//! combination of the table columns' values, e.g. mediator × outcome).
//!
//! As the summary of a review with many analyses (RevMan's overview of subtotals, the summary
//! table of a mediation review): each row is labelled with its combination ("fear · disability"),
//! shows its number of studies and I², and draws its pooled estimate as a diamond over its
//! confidence interval with its prediction interval as a dashed line. The rows are separate
//! analyses, so there is no overall diamond; the note under the axis says how each row was fitted.

use super::paint::Target;
use super::table::{draw_report_table, Entry, Mark, Row, Table};
use super::{check_report, finite, interval, percent, PlotError, PlotStyle};
use crate::mediation::table::TableRow;
use crate::report::Report;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::prelude::DrawingBackend;

/// The natural size in CSS pixels of the summary forest plot of `report`: the default width and
/// a height that grows with the table's rows. Without a table, the default size.
pub fn summary_forest_size(report: &Report) -> (u32, u32) {
    Table::natural_size(report, table)
}

/// Draws the summary forest plot of `report` on `area` (any backend whose text size is in
/// pixels, such as plotters-canvas' `CanvasBackend`; for SVG use [`summary_forest_svg`]). A
/// short area scales everything down, as [`draw_forest`](super::draw_forest) does.
///
/// # Errors
/// [`PlotError`] when the report has no table (the analysis was run without `table`), holds a
/// non-finite estimate or standard error, or the backend fails.
pub fn draw_summary_forest<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    draw_report_table(area, report, style, (style.scale, Target::Pixels), table)
}

/// The summary forest plot of `report` as an SVG document of `style.width × style.height`
/// pixels (use [`summary_forest_size`] for its natural size).
///
/// # Errors
/// As [`draw_summary_forest`], or for a zero width or height.
pub fn summary_forest_svg(report: &Report, style: &PlotStyle) -> Result<String, PlotError> {
    super::svg(style, |area| {
        draw_report_table(area, report, style, (1.0, Target::Svg), table)
    })
}

/// A row's label: its cells in the order of the table's columns, "fear · disability"; an empty
/// cell (which the table leaves out, but a report from elsewhere may hold) as "—".
fn label(row: &TableRow) -> String {
    let cells: Vec<&str> = row
        .groups
        .values()
        .map(|v| {
            if v.trim().is_empty() {
                "—"
            } else {
                v.as_str()
            }
        })
        .collect();
    cells.join(" · ")
}

/// The table: a diamond per row, with k and I² beside it.
fn table(report: &Report) -> Result<Table, PlotError> {
    check_report(report)?;
    let rows: &[TableRow] = match &report.table {
        Some(rows) if !rows.is_empty() => rows,
        _ => {
            return Err(PlotError::new(
                "the summary forest plot needs a summary table: run the analysis with table \
                 columns first (--table on the command line, \"table\" in the options)",
            ))
        }
    };
    let o = &report.overall;
    let entries = rows
        .iter()
        .map(|r| {
            let fit = &r.fit;
            // With one study the prediction interval is the confidence interval: not drawn.
            let pi = interval(fit.pi_lower, fit.pi_upper).filter(|_| fit.k > 1);
            Row::Entry(Entry {
                estimate: Some(fit.estimate).filter(|v| v.is_finite()),
                ci: interval(fit.ci_lower, fit.ci_upper),
                cells: vec![
                    fit.k.to_string(),
                    finite(fit.i2)
                        .map(|v| format!("{v:.1}%"))
                        .unwrap_or_else(|| "—".into()),
                ],
                ..Entry::new(label(r), Mark::Diamond(pi))
            })
        })
        .collect();
    // The column names, in the order the user named them (the order of each row's `groups`).
    let header: Vec<&str> = rows[0].groups.keys().map(String::as_str).collect();
    let model = if o.model == "common" {
        "a common-effect model".to_string()
    } else {
        format!("a random-effects model (τ² by {})", o.method)
    };
    let ci = if o.ci == "hksj" {
        "Knapp–Hartung"
    } else {
        "Wald-type"
    };
    let mut notes = vec![format!(
        "Each row is its own analysis of the studies in that combination: {model}, {ci} {} CIs.",
        percent(o.level)
    )];
    if o.model != "common" {
        notes.push("Dashed lines: prediction intervals (rows of two or more studies).".into());
    }
    Ok(Table {
        label_header: header.join(" · "),
        columns: vec!["k".into(), "I²".into()],
        rows: entries,
        level: o.level,
        reference: None,
        band: None,
        x_label: String::new(),
        notes,
    })
}
