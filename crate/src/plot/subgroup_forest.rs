//! The subgroup forest plot: the forest plot with the studies grouped under their subgroups.
//!
//! As metafor's `forest()` with `addpoly()` per subgroup and RevMan's subgroup analyses: each
//! subgroup is a bold heading, its studies (in data order), a diamond for its own fit labelled
//! "RE model for subgroup (k = …)" with its weight (the sum of its studies' weights in the
//! overall model, as RevMan's subtotals) and a line on its heterogeneity. The overall diamond
//! and its prediction interval close the table; under the axis, the overall heterogeneity, the
//! test of the overall effect and the test for subgroup differences.

use super::paint::Target;
use super::table::{
    draw_report_table, effect_test_note, heterogeneity_note, Entry, Mark, Row, Table,
};
use super::{check_report, fmt2, fmt_p, interval, model_label, PlotError, PlotStyle};
use crate::report::{Overall, Report, SubgroupRow};
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::prelude::DrawingBackend;

/// The natural size in CSS pixels of the subgroup forest plot of `report`: the default width
/// and a height that grows with the studies and subgroups. Without subgroups, the default size.
pub fn subgroup_forest_size(report: &Report) -> (u32, u32) {
    Table::natural_size(report, table)
}

/// Draws the subgroup forest plot of `report` on `area` (any backend whose text size is in
/// pixels, such as plotters-canvas' `CanvasBackend`; for SVG use [`subgroup_forest_svg`]).
///
/// The area's size in device pixels divided by `style.scale` is the layout size; a short area
/// scales everything down, as [`draw_forest`](super::draw_forest) does.
///
/// # Errors
/// [`PlotError`] when the report has no subgroups (the analysis was run without `by`), holds a
/// non-finite estimate or standard error, or the backend fails.
pub fn draw_subgroup_forest<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    draw_report_table(area, report, style, (style.scale, Target::Pixels), table)
}

/// The subgroup forest plot of `report` as an SVG document of `style.width × style.height`
/// pixels (use [`subgroup_forest_size`] for its natural size).
///
/// # Errors
/// As [`draw_subgroup_forest`], or for a zero width or height.
pub fn subgroup_forest_svg(report: &Report, style: &PlotStyle) -> Result<String, PlotError> {
    super::svg(style, |area| {
        draw_report_table(area, report, style, (1.0, Target::Svg), table)
    })
}

/// "RE model for subgroup (k = 6)", "FE model for subgroup (k = 2)".
fn subgroup_label(o: &Overall) -> String {
    let model = if o.model == "common" { "FE" } else { "RE" };
    format!("{model} model for subgroup (k = {})", o.k)
}

/// The table: headings, studies and diamonds per subgroup, then the overall result.
fn table(report: &Report) -> Result<Table, PlotError> {
    check_report(report)?;
    let groups: &[SubgroupRow] = match &report.subgroups {
        Some(g) if !g.is_empty() => g,
        _ => {
            return Err(PlotError::new(
                "the subgroup forest plot needs subgroups: run the analysis with a grouping \
                 column first (--by on the command line, \"by\" in the options)",
            ))
        }
    };
    let o = &report.overall;
    let study = |s: &crate::report::StudyRow| {
        Row::Entry(Entry {
            estimate: Some(s.yi),
            ci: Some((s.ci_lower, s.ci_upper)),
            cells: vec![format!("{:.2}%", s.weight)],
            ..Entry::new(s.study.clone(), Mark::Square(s.weight))
        })
    };
    let mut rows = Vec::new();
    for g in groups {
        rows.push(Row::Heading(g.name.clone()));
        let members = report.studies.iter().filter(|s| g.rows.contains(&s.row));
        let mut weight = 0.0;
        for s in members {
            rows.push(study(s));
            weight += s.weight;
        }
        let fit = &g.fit;
        rows.push(Row::Entry(Entry {
            estimate: Some(fit.estimate).filter(|v| v.is_finite()),
            ci: interval(fit.ci_lower, fit.ci_upper),
            cells: vec![format!("{weight:.2}%")],
            ..Entry::new(subgroup_label(fit), Mark::Diamond(None))
        }));
        if let Some(note) = heterogeneity_note(fit) {
            rows.push(Row::Note(note));
        }
        rows.push(Row::Gap);
    }
    // Rows with an empty group cell are in the overall fit only.
    let grouped = |row: usize| groups.iter().any(|g| g.rows.contains(&row));
    let ungrouped: Vec<_> = report.studies.iter().filter(|s| !grouped(s.row)).collect();
    if !ungrouped.is_empty() {
        rows.push(Row::Heading("Not in a subgroup".into()));
        rows.extend(ungrouped.into_iter().map(study));
        rows.push(Row::Gap);
    }

    let pi = interval(o.pi_lower, o.pi_upper);
    rows.push(Row::Entry(Entry {
        bold: true,
        estimate: Some(o.estimate),
        ci: interval(o.ci_lower, o.ci_upper),
        cells: vec!["100.00%".into()],
        ..Entry::new(model_label(report), Mark::Diamond(pi))
    }));
    if let Some(pi) = pi {
        rows.push(Row::Entry(Entry {
            grey: true,
            ci: Some(pi),
            cells: vec![String::new()],
            ..Entry::new("Prediction interval", Mark::None)
        }));
    }

    let mut notes: Vec<String> = heterogeneity_note(o)
        .into_iter()
        .chain(effect_test_note(o))
        .collect();
    if let Some(test) = &report.subgroup_test {
        let p = test
            .p
            .filter(|p| p.is_finite())
            .map(|p| format!(", {}", fmt_p(p)))
            .unwrap_or_default();
        notes.push(format!(
            "Test for subgroup differences: Q = {}, df = {}{p}",
            fmt2(test.q),
            test.df
        ));
    }
    Ok(Table {
        label_header: "Study".into(),
        columns: vec!["Weight".into()],
        rows,
        level: o.level,
        reference: Some(o.estimate),
        band: None,
        x_label: String::new(),
        notes,
    })
}
