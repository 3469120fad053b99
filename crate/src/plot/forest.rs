//! The forest plot: one row per study, the pooled diamond, and the numbers beside them.
//!
//! The layout follows metafor's `forest()` and RevMan: study labels at left; in the middle a
//! square at each estimate with area proportional to its weight and a line for its confidence
//! interval; at right the weight and "estimate [lower, upper]" in aligned columns; below, the
//! pooled diamond labelled with the model, the prediction interval as a dashed line through it,
//! the axis, and one line each on heterogeneity and the test of the overall effect.

use super::paint::{rgb, tint, Font, Target};
use super::table::{
    columns, draw_axis, draw_diamond, draw_header, effect_test_note, effect_ticks,
    heterogeneity_note, interval_line, numbers_text, square, square_side, vertical, widest,
    Numbers, AXIS_BLOCK, GAP_AXIS, GAP_HEADER, GAP_NOTES, MARGIN, NOTE, ROW,
};
use super::{check_report, interval, model_label, painter, percent, PlotError, PlotStyle};
use crate::report::Report;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::HPos;

/// Space between the last study and the pooled row, in font sizes.
const GAP_POOLED: f64 = 0.6;

/// The natural size in CSS pixels of a forest plot of `report` with the default [`PlotStyle`]:
/// the default width and a height that grows with the number of studies (one row each).
pub fn forest_size(report: &Report) -> (u32, u32) {
    let style = PlotStyle::default();
    let height = Rows::of(report).units() * style.font_size;
    (style.width, height.ceil() as u32)
}

/// Draws the forest plot of `report` on `area`.
///
/// The area may use any plotters backend whose text size is in pixels, such as plotters-canvas'
/// `CanvasBackend` (for SVG use [`forest_svg`], which corrects for the SVG backend's smaller
/// text). Its size in device pixels is divided by `style.scale` to give the layout size in CSS
/// pixels. When the area is shorter than [`forest_size`] asks for, everything is scaled down to
/// fit; when it is taller, rows are spread up to a little and the rest is left blank at the foot.
///
/// # Errors
/// [`PlotError`] when the report holds a non-finite estimate or standard error, or the backend
/// fails.
pub fn draw_forest<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    draw(area, report, style, style.scale, Target::Pixels)
}

/// The forest plot of `report` as an SVG document of `style.width × style.height` pixels.
///
/// Text is written as `<text>` elements with the characters `<`, `>`, `&` and quotes escaped, so
/// labels from the data are shown as they are.
///
/// # Errors
/// [`PlotError`] as for [`draw_forest`], or for a zero width or height.
pub fn forest_svg(report: &Report, style: &PlotStyle) -> Result<String, PlotError> {
    super::svg(style, |area| draw(area, report, style, 1.0, Target::Svg))
}

/// The rows of the table, counted for the vertical layout.
struct Rows {
    studies: usize,
    prediction: bool,
    notes: Vec<String>,
}

impl Rows {
    fn of(report: &Report) -> Rows {
        let o = &report.overall;
        Rows {
            studies: report.studies.len(),
            prediction: interval(o.pi_lower, o.pi_upper).is_some(),
            notes: heterogeneity_note(o)
                .into_iter()
                .chain(effect_test_note(o))
                .collect(),
        }
    }

    /// Number of table rows: header, studies, pooled, prediction interval.
    fn table_rows(&self) -> usize {
        1 + self.studies + 1 + usize::from(self.prediction)
    }

    /// Natural height in font sizes.
    fn units(&self) -> f64 {
        // From the centre of the axis title to the foot of the last line.
        let tail = match self.notes.len() {
            0 => 0.5,
            n => GAP_NOTES + NOTE * (n - 1) as f64 + 0.5,
        };
        2.0 * MARGIN
            + ROW * self.table_rows() as f64
            + GAP_HEADER
            + GAP_POOLED
            + GAP_AXIS
            + AXIS_BLOCK
            + tail
    }
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    style: &PlotStyle,
    scale: f64,
    target: Target,
) -> Result<(), PlotError> {
    check_report(report)?;
    let p = painter(area, style, scale, target)?;
    let (width, height) = p.size();
    let o = &report.overall;
    let rows = Rows::of(report);

    let (f, extra) = vertical(height, rows.units(), rows.table_rows(), style.font_size);
    let row = ROW * f + extra;

    let ink = rgb(style.ink);
    let grey = tint(ink, 0.35);
    let light = tint(ink, 0.6);
    let body = Font::regular(f);
    let bold = Font::bold(f);

    let ci = interval(o.ci_lower, o.ci_upper);
    let pi = interval(o.pi_lower, o.pi_upper);
    let pooled_label = model_label(report);
    let pooled_numbers = Numbers::new(Some(o.estimate), ci);
    let pi_numbers = pi.map(|pi| Numbers::new(None, Some(pi)));
    let study_numbers: Vec<Numbers> = report
        .studies
        .iter()
        .map(|s| Numbers::new(Some(s.yi), Some((s.ci_lower, s.ci_upper))))
        .collect();
    let weights: Vec<String> = report
        .studies
        .iter()
        .map(|s| format!("{:.2}%", s.weight))
        .collect();
    let estimate_header = format!("Estimate [{} CI]", percent(o.level));

    // Columns: the widest label (up to a third of the width), the plot, the weights and the
    // numbers.
    let label_need = widest(
        &p,
        report
            .studies
            .iter()
            .map(|s| (s.study.as_str(), body))
            .chain([
                ("Study", bold),
                (pooled_label.as_str(), bold),
                ("Prediction interval", body),
            ]),
    );
    let weight_w = widest(
        &p,
        weights
            .iter()
            .map(|w| (w.as_str(), body))
            .chain([("Weight", bold), ("100.00%", bold)]),
    );
    let numbers: Vec<(&Numbers, Font)> = study_numbers
        .iter()
        .map(|n| (n, body))
        .chain([(&pooled_numbers, bold)])
        .chain(pi_numbers.as_ref().map(|n| (n, body)))
        .collect();
    let cols = columns(
        &p,
        width,
        f,
        label_need,
        &[weight_w],
        &numbers,
        &estimate_header,
    );
    let weight_right = cols.cells_right[0];

    // Effect axis: every estimate, the null value, the pooled CI and PI; study CIs too unless a
    // few very wide ones would squeeze the rest (then they are clipped and end in an arrow).
    let mut core = vec![0.0, o.estimate];
    core.extend(report.studies.iter().map(|s| s.yi));
    core.extend(ci.iter().flat_map(|&(l, u)| [l, u]));
    core.extend(pi.iter().flat_map(|&(l, u)| [l, u]));
    let wide: Vec<f64> = report
        .studies
        .iter()
        .flat_map(|s| [s.ci_lower, s.ci_upper])
        .collect();
    let ticks = effect_ticks(&p, &cols, f, &core, &wide);
    let x = cols.scale(&ticks);

    let top = draw_header(
        &p,
        &cols,
        "Study",
        &["Weight".to_string()],
        &estimate_header,
        f,
        row,
        ink,
    )?;

    // Reference lines, under everything else: the null value and the pooled estimate.
    let pooled_y = top + row * (rows.studies as f64 + 0.5) + GAP_POOLED * f;
    let axis_y = pooled_y + row * (0.5 + f64::from(u8::from(rows.prediction))) + GAP_AXIS * f;
    let diamond_half = 0.32 * row;
    p.line((x(0.0), top), (x(0.0), axis_y), light, 1.0)?;
    p.dashed(
        (x(o.estimate), top),
        (x(o.estimate), pooled_y - diamond_half),
        (1.0, 3.0),
        grey,
        1.0,
    )?;

    // Studies.
    let side = square_side(report.studies.iter().map(|s| s.weight), row, f);
    let mut y = top + row / 2.0;
    for ((s, numbers), weight) in report.studies.iter().zip(&study_numbers).zip(&weights) {
        let label = p.fit(&s.study, body, cols.label_width);
        p.text(&label, (cols.label_left, y), body, ink, HPos::Left, false)?;
        interval_line(&p, (s.ci_lower, s.ci_upper), &ticks, &x, y, f, ink)?;
        square(&p, (x(s.yi), y), side(s.weight), ink)?;
        p.text(weight, (weight_right, y), body, ink, HPos::Right, false)?;
        numbers_text(&p, numbers, &cols, y, body, ink)?;
        y += row;
    }

    // Pooled row: prediction interval (dashed, with end caps) under the diamond.
    y = pooled_y;
    let cap = 0.22 * row;
    draw_diamond(&p, &x, y, o.estimate, ci, pi, (diamond_half, cap), ink)?;
    let label = p.fit(&pooled_label, bold, cols.label_width);
    p.text(&label, (cols.label_left, y), bold, ink, HPos::Left, false)?;
    p.text("100.00%", (weight_right, y), bold, ink, HPos::Right, false)?;
    numbers_text(&p, &pooled_numbers, &cols, y, bold, ink)?;
    if let Some(numbers) = &pi_numbers {
        y += row;
        let label = p.fit("Prediction interval", body, cols.label_width);
        p.text(&label, (cols.label_left, y), body, grey, HPos::Left, false)?;
        numbers_text(&p, numbers, &cols, y, body, grey)?;
    }

    draw_axis(
        &p,
        &cols,
        &ticks,
        axis_y,
        f,
        &style.effect_label(report),
        &rows.notes,
        ink,
    )
}
