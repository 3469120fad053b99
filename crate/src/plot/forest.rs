//! The forest plot: one row per study, the pooled diamond, and the numbers beside them.
//!
//! The layout follows metafor's `forest()` and RevMan: study labels at left; in the middle a
//! square at each estimate with area proportional to its weight and a line for its confidence
//! interval; at right the weight and "estimate [lower, upper]" in aligned columns; below, the
//! pooled diamond labelled with the model, the prediction interval as a dashed line through it,
//! the axis, and one line each on heterogeneity and the test of the overall effect.

use super::axis::{fitting_ticks, Ticks};
use super::paint::{rgb, tint, Font, Painter, Target};
use super::{
    check_report, finite, fmt2, fmt_p, interval, model_label, percent, PlotError, PlotStyle,
};
use crate::report::Report;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::HPos;
use plotters::style::RGBColor;

/// Row height in font sizes.
const ROW: f64 = 1.6;
/// Space above the header and below the last line, in font sizes.
const MARGIN: f64 = 0.8;
/// Space under the header row, in font sizes.
const GAP_HEADER: f64 = 0.3;
/// Space between the last study and the pooled row, in font sizes.
const GAP_POOLED: f64 = 0.6;
/// From the last row to the axis line, in font sizes.
const GAP_AXIS: f64 = 0.5;
/// Axis line to the centre of the axis title (ticks and tick labels between), in font sizes.
const AXIS_BLOCK: f64 = 2.4;
/// Space above the notes and the height of each note line, in font sizes.
const GAP_NOTES: f64 = 1.4;
const NOTE: f64 = 1.35;
/// The heaviest study's square is as large as its row allows when it weighs at least this many
/// percent; when every study weighs less (many studies), all squares stay small, as in RevMan.
const FULL_SQUARE: f64 = 10.0;
/// Tick labels and notes, relative to the body text.
const SMALL: f64 = 0.88;

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
        let mut notes = Vec::new();
        if o.q_df > 0 && o.q.is_finite() {
            let mut parts = Vec::new();
            if o.model != "common" {
                parts.push(format!("τ² = {}", fmt2(o.tau2)));
            }
            if let Some(i2) = finite(o.i2) {
                parts.push(format!("I² = {i2:.1}%"));
            }
            let mut q = format!("Q = {}, df = {}", fmt2(o.q), o.q_df);
            if let Some(p) = finite(o.q_p) {
                q.push_str(&format!(", {}", fmt_p(p)));
            }
            parts.push(q);
            notes.push(format!("Heterogeneity: {}", parts.join("; ")));
        }
        if let Some(stat) = finite(o.stat) {
            let name = match o.df {
                Some(df) => format!("t = {}, df = {df}", fmt2(stat)),
                None => format!("z = {}", fmt2(stat)),
            };
            let p = finite(o.p)
                .map(|p| format!(", {}", fmt_p(p)))
                .unwrap_or_default();
            notes.push(format!("Test for overall effect: {name}{p}"));
        }
        Rows {
            studies: report.studies.len(),
            prediction: interval(o.pi_lower, o.pi_upper).is_some(),
            notes,
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

/// One row's numbers as text: three pieces, each right-aligned in its own column so that the
/// decimal points line up: "-0.89", "[-2.01,", "0.23]".
struct Numbers {
    estimate: String,
    lower: String,
    upper: String,
}

impl Numbers {
    fn new(estimate: Option<f64>, ci: Option<(f64, f64)>) -> Numbers {
        let (lower, upper) = match ci {
            Some((l, u)) => (format!("[{},", fmt2(l)), format!("{}]", fmt2(u))),
            None => ("[NA,".into(), "NA]".into()),
        };
        Numbers {
            estimate: estimate.map(fmt2).unwrap_or_default(),
            lower,
            upper,
        }
    }
}

/// Horizontal positions in CSS pixels.
struct Columns {
    label_left: f64,
    label_width: f64,
    plot_left: f64,
    plot_right: f64,
    /// Right ends of the weight column and of the three number pieces.
    weight_right: f64,
    estimate_right: f64,
    lower_right: f64,
    upper_right: f64,
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    style: &PlotStyle,
    scale: f64,
    target: Target,
) -> Result<(), PlotError> {
    check_report(report)?;
    let p = Painter::new(area, scale, target, &style.font_family);
    let (width, height) = p.size();
    if let Some(bg) = style.background {
        p.fill_background(rgb(bg))?;
    }
    let o = &report.overall;
    let rows = Rows::of(report);

    // Vertical layout: shrink the type when the area is short; spread rows when it is tall.
    let natural = rows.units() * style.font_size;
    let f = if height < natural {
        style.font_size * height / natural
    } else {
        style.font_size
    };
    let spare = (height - rows.units() * f).max(0.0);
    let row = ROW * f + (spare / rows.table_rows() as f64).min(0.4 * f);

    let ink = rgb(style.ink);
    let grey = tint(ink, 0.35);
    let light = tint(ink, 0.6);
    let body = Font::regular(f);
    let bold = Font::bold(f);
    let small = Font::regular(SMALL * f);

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

    let cols = columns(
        &p,
        report,
        width,
        f,
        &pooled_label,
        &pooled_numbers,
        pi_numbers.as_ref(),
        &study_numbers,
        &weights,
        &estimate_header,
    );

    // Effect axis: every estimate, the null value, the pooled CI and PI; study CIs too unless a
    // few very wide ones would squeeze the rest (then they are clipped and end in an arrow).
    let mut core = vec![0.0, o.estimate];
    core.extend(report.studies.iter().map(|s| s.yi));
    core.extend(ci.iter().flat_map(|&(l, u)| [l, u]));
    core.extend(pi.iter().flat_map(|&(l, u)| [l, u]));
    let (core_lo, core_hi) = bounds(&core);
    let mut ext = vec![core_lo, core_hi];
    ext.extend(
        report
            .studies
            .iter()
            .flat_map(|s| [s.ci_lower, s.ci_upper])
            .filter(|v| v.is_finite()),
    );
    let (ext_lo, ext_hi) = bounds(&ext);
    let core_w = (core_hi - core_lo).max(f64::MIN_POSITIVE);
    let (lo, hi) = if ext_hi - ext_lo <= 3.0 * core_w {
        (ext_lo, ext_hi)
    } else {
        (ext_lo.max(core_lo - core_w), ext_hi.min(core_hi + core_w))
    };
    let ticks: Ticks = fitting_ticks(lo, hi, cols.plot_right - cols.plot_left, 1.2 * f, |s| {
        p.measure(s, small)
    });
    let x = |v: f64| {
        cols.plot_left + (v - ticks.lo) / (ticks.hi - ticks.lo) * (cols.plot_right - cols.plot_left)
    };

    // Header.
    let mut y = MARGIN * f + row / 2.0;
    let header_label = p.fit("Study", bold, cols.label_width);
    p.text(
        &header_label,
        (cols.label_left, y),
        bold,
        ink,
        HPos::Left,
        false,
    )?;
    p.text(
        "Weight",
        (cols.weight_right, y),
        bold,
        ink,
        HPos::Right,
        false,
    )?;
    p.text(
        &estimate_header,
        (cols.upper_right, y),
        bold,
        ink,
        HPos::Right,
        false,
    )?;
    let rule_y = y + row / 2.0 + GAP_HEADER * f / 2.0;
    p.line((cols.label_left, rule_y), (width - f, rule_y), light, 1.0)?;
    let top = y + row / 2.0 + GAP_HEADER * f;

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
    // Square area ∝ weight (see FULL_SQUARE).
    let max_weight = report.studies.iter().map(|s| s.weight).fold(0.0, f64::max);
    let full_square = max_weight.max(FULL_SQUARE);
    let max_side = (0.72 * row).min(1.6 * f);
    y = top + row / 2.0;
    for ((s, numbers), weight) in report.studies.iter().zip(&study_numbers).zip(&weights) {
        let label = p.fit(&s.study, body, cols.label_width);
        p.text(&label, (cols.label_left, y), body, ink, HPos::Left, false)?;
        interval_line(&p, (s.ci_lower, s.ci_upper), &ticks, &x, y, f, ink)?;
        let side = (max_side * (s.weight / full_square).sqrt()).clamp(0.25 * f, max_side);
        let cx = x(s.yi);
        p.rect(
            (cx - side / 2.0, y - side / 2.0),
            (cx + side / 2.0, y + side / 2.0),
            ink,
        )?;
        p.text(
            weight,
            (cols.weight_right, y),
            body,
            ink,
            HPos::Right,
            false,
        )?;
        numbers_text(&p, numbers, &cols, y, body, ink)?;
        y += row;
    }

    // Pooled row: prediction interval (dashed, with end caps) under the diamond.
    y = pooled_y;
    if let Some((l, u)) = pi {
        let cap = 0.22 * row;
        p.dashed((x(l), y), (x(u), y), (4.0, 3.0), ink, 1.0)?;
        p.line((x(l), y - cap), (x(l), y + cap), ink, 1.0)?;
        p.line((x(u), y - cap), (x(u), y + cap), ink, 1.0)?;
    }
    let est = x(o.estimate);
    match ci {
        Some((l, u)) => p.polygon(
            &[
                (x(l), y),
                (est, y - diamond_half),
                (x(u), y),
                (est, y + diamond_half),
            ],
            ink,
        )?,
        // No interval (e.g. HKSJ with one study): a bar at the estimate only.
        None => p.line((est, y - diamond_half), (est, y + diamond_half), ink, 2.0)?,
    }
    let label = p.fit(&pooled_label, bold, cols.label_width);
    p.text(&label, (cols.label_left, y), bold, ink, HPos::Left, false)?;
    p.text(
        "100.00%",
        (cols.weight_right, y),
        bold,
        ink,
        HPos::Right,
        false,
    )?;
    numbers_text(&p, &pooled_numbers, &cols, y, bold, ink)?;
    if let Some(numbers) = &pi_numbers {
        y += row;
        let label = p.fit("Prediction interval", body, cols.label_width);
        p.text(&label, (cols.label_left, y), body, grey, HPos::Left, false)?;
        numbers_text(&p, numbers, &cols, y, body, grey)?;
    }

    // Axis.
    let tick = 0.35 * f;
    p.line((x(ticks.lo), axis_y), (x(ticks.hi), axis_y), ink, 1.0)?;
    for (v, label) in ticks.values.iter().zip(&ticks.labels) {
        p.line((x(*v), axis_y), (x(*v), axis_y + tick), ink, 1.0)?;
        p.text(
            label,
            (x(*v), axis_y + tick + 0.75 * f),
            small,
            ink,
            HPos::Center,
            false,
        )?;
    }
    let title = p.fit(
        &style.effect_label(report),
        body,
        cols.plot_right - cols.plot_left + 2.0 * f,
    );
    let title_y = axis_y + AXIS_BLOCK * f;
    p.text(
        &title,
        ((cols.plot_left + cols.plot_right) / 2.0, title_y),
        body,
        ink,
        HPos::Center,
        false,
    )?;

    // Notes.
    let mut note_y = title_y + GAP_NOTES * f;
    for note in &rows.notes {
        let note = p.fit(note, small, width - 2.0 * f);
        p.text(
            &note,
            (cols.label_left, note_y),
            small,
            grey,
            HPos::Left,
            false,
        )?;
        note_y += NOTE * f;
    }
    Ok(())
}

/// Smallest and largest finite value.
fn bounds(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

/// Column positions: the widest label (up to a third of the width), the plot in the middle and
/// the number columns, each as wide as its widest entry or header.
#[allow(clippy::too_many_arguments)]
fn columns<DB: DrawingBackend>(
    p: &Painter<'_, DB>,
    report: &Report,
    width: f64,
    f: f64,
    pooled_label: &str,
    pooled: &Numbers,
    pi: Option<&Numbers>,
    studies: &[Numbers],
    weights: &[String],
    estimate_header: &str,
) -> Columns {
    let body = Font::regular(f);
    let bold = Font::bold(f);
    let widest = |items: &mut dyn Iterator<Item = (&str, Font)>| {
        items
            .map(|(s, font)| p.measure(s, font))
            .fold(0.0, f64::max)
    };
    let margin = f;
    let gap = 1.6 * f;
    // A word space (Arial: 0.278 em); not measured, as browsers measure a lone space as 0.
    let space = 0.28 * f;

    let label_need = widest(
        &mut report
            .studies
            .iter()
            .map(|s| (s.study.as_str(), body))
            .chain([
                ("Study", bold),
                (pooled_label, bold),
                ("Prediction interval", body),
            ]),
    );
    let weight_w = widest(
        &mut weights
            .iter()
            .map(|w| (w.as_str(), body))
            .chain([("Weight", bold), ("100.00%", bold)]),
    );
    let rows = || {
        studies
            .iter()
            .map(|n| (n, body))
            .chain([(pooled, bold)])
            .chain(pi.map(|n| (n, body)))
    };
    let est_w = widest(&mut rows().map(|(n, font)| (n.estimate.as_str(), font)));
    let lower_w = widest(&mut rows().map(|(n, font)| (n.lower.as_str(), font)));
    let upper_w = widest(&mut rows().map(|(n, font)| (n.upper.as_str(), font)));
    let numbers_w =
        (est_w + space + lower_w + space + upper_w).max(p.measure(estimate_header, bold));

    let right_w = gap + weight_w + gap + numbers_w + margin;
    let min_plot = (0.28 * width).max(8.0 * f);
    let mut label_w = label_need.min(0.34 * width);
    if width - margin - label_w - gap - right_w < min_plot {
        label_w = (width - margin - gap - right_w - min_plot).max(3.0 * f);
    }
    let plot_left = margin + label_w + gap;
    let plot_right = (width - right_w).max(plot_left + f);
    let weight_right = plot_right + gap + weight_w;
    let upper_right = weight_right + gap + numbers_w;
    let lower_right = upper_right - upper_w - space;
    let estimate_right = lower_right - lower_w - space;
    Columns {
        label_left: margin,
        label_width: label_w,
        plot_left,
        plot_right,
        weight_right,
        estimate_right,
        lower_right,
        upper_right,
    }
}

/// A study's confidence interval as a line; an end beyond the axis stops there in an arrow.
fn interval_line<DB: DrawingBackend>(
    p: &Painter<'_, DB>,
    (lower, upper): (f64, f64),
    ticks: &Ticks,
    x: &dyn Fn(f64) -> f64,
    y: f64,
    f: f64,
    ink: RGBColor,
) -> Result<(), PlotError> {
    let (l, u) = (lower.max(ticks.lo), upper.min(ticks.hi));
    if l < u {
        p.line((x(l), y), (x(u), y), ink, 1.0)?;
    }
    let (len, half) = (0.5 * f, 0.28 * f);
    if lower < ticks.lo {
        let tip = x(ticks.lo);
        p.polygon(
            &[(tip, y), (tip + len, y - half), (tip + len, y + half)],
            ink,
        )?;
    }
    if upper > ticks.hi {
        let tip = x(ticks.hi);
        p.polygon(
            &[(tip, y), (tip - len, y - half), (tip - len, y + half)],
            ink,
        )?;
    }
    Ok(())
}

/// The three number pieces of a row, right-aligned in their columns.
fn numbers_text<DB: DrawingBackend>(
    p: &Painter<'_, DB>,
    n: &Numbers,
    cols: &Columns,
    y: f64,
    font: Font,
    color: RGBColor,
) -> Result<(), PlotError> {
    p.text(
        &n.estimate,
        (cols.estimate_right, y),
        font,
        color,
        HPos::Right,
        false,
    )?;
    p.text(
        &n.lower,
        (cols.lower_right, y),
        font,
        color,
        HPos::Right,
        false,
    )?;
    p.text(
        &n.upper,
        (cols.upper_right, y),
        font,
        color,
        HPos::Right,
        false,
    )?;
    Ok(())
}
