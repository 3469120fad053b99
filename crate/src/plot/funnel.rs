//! The funnel plot: each study's effect against its standard error, as metafor's `funnel()`.
//!
//! The standard error runs downwards from 0 at the top, so precise studies sit high. The pooled
//! estimate is a vertical line, and the pseudo confidence region `estimate ± z·se` (z for the
//! report's level, 1.96 at 95 %) is a shaded triangle with its apex at se = 0. Without
//! publication bias or heterogeneity, about that share of the studies falls inside it.

use super::axis::{draw_x_axis, draw_y_axis, fitting_ticks, ticks, Ticks, SMALL};
use super::paint::{rgb, tint, Font, Target};
use super::{check_report, painter, PlotError, PlotStyle};
use crate::dist::qnorm_upper;
use crate::report::Report;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::HPos;

/// Draws the funnel plot of `report` on `area`.
///
/// The area may use any plotters backend whose text size is in pixels, such as plotters-canvas'
/// `CanvasBackend` (for SVG use [`funnel_svg`]). Its size in device pixels divided by
/// `style.scale` is the layout size in CSS pixels.
///
/// # Errors
/// [`PlotError`] when the report holds a non-finite estimate or standard error, or the backend
/// fails.
pub fn draw_funnel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    draw(area, report, style, style.scale, Target::Pixels)
}

/// The funnel plot of `report` as an SVG document of `style.width × style.height` pixels.
///
/// # Errors
/// [`PlotError`] as for [`draw_funnel`], or for a zero width or height.
pub fn funnel_svg(report: &Report, style: &PlotStyle) -> Result<String, PlotError> {
    super::svg(style, |area| draw(area, report, style, 1.0, Target::Svg))
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
    // Small areas get smaller type, down to a third of the height in 16 lines.
    let f = style
        .font_size
        .min(height / 16.0)
        .min(width / 24.0)
        .max(1.0);
    let body = Font::regular(f);
    let small = Font::regular(SMALL * f);
    let ink = rgb(style.ink);
    let grey = tint(ink, 0.35);
    let o = &report.overall;
    let estimate = o.estimate;
    let z = qnorm_upper((1.0 - o.level) / 2.0);
    let z = if z.is_finite() && z > 0.0 { z } else { 1.96 };

    // Vertical: standard error from 0 (top) to a round number at or above the largest.
    let tick = 0.35 * f;
    let (top, bottom) = (1.3 * f, height - (tick + 1.7 * f + 1.3 * f + 0.8 * f));
    let se_max = report.studies.iter().map(|s| s.se).fold(0.0, f64::max);
    let y_ticks: Ticks = if se_max > 0.0 {
        fitting_ticks(0.0, se_max, bottom - top, 0.8 * f, |_| SMALL * f)
    } else {
        ticks(0.0, 1.0, 4)
    };
    let y = |se: f64| top + (se - y_ticks.lo) / (y_ticks.hi - y_ticks.lo) * (bottom - top);

    // Horizontal: room at left for the rotated title and the tick labels.
    let label_w = y_ticks
        .labels
        .iter()
        .map(|l| p.measure(l, small))
        .fold(0.0, f64::max);
    let left = f + 1.2 * f + 0.6 * f + label_w + tick + 0.5 * f;
    let right = width - 1.2 * f;
    let spread = z * y_ticks.hi;
    let mut xs = vec![estimate - spread, estimate + spread];
    xs.extend(report.studies.iter().map(|s| s.yi));
    let (lo, hi) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let x_ticks = fitting_ticks(lo, hi, right - left, 1.2 * f, |s| p.measure(s, small));
    let x = |v: f64| left + (v - x_ticks.lo) / (x_ticks.hi - x_ticks.lo) * (right - left);

    // The pseudo confidence region and the pooled estimate.
    let apex = (x(estimate), y(0.0));
    let base_l = (x(estimate - spread), y(y_ticks.hi));
    let base_r = (x(estimate + spread), y(y_ticks.hi));
    p.polygon(&[apex, base_l, base_r], tint(ink, 0.93))?;
    p.dashed(apex, base_l, (4.0, 3.0), grey, 1.0)?;
    p.dashed(apex, base_r, (4.0, 3.0), grey, 1.0)?;
    p.line(
        (x(estimate), y(0.0)),
        (x(estimate), y(y_ticks.hi)),
        ink,
        1.0,
    )?;

    // Studies.
    let r = (0.3 * f).max(1.5);
    for s in &report.studies {
        p.dot((x(s.yi), y(s.se)), r, ink)?;
    }

    // Axes, set off from the plotting region a little as R draws them.
    let off = 0.5 * f;
    let axis_y = bottom + off;
    draw_x_axis(&p, &x_ticks, &x, axis_y, f, ink)?;
    let title = p.fit(&style.effect_label(report), body, right - left);
    p.text(
        &title,
        ((left + right) / 2.0, axis_y + tick + 2.2 * f),
        body,
        ink,
        HPos::Center,
        false,
    )?;

    draw_y_axis(&p, &y_ticks, &y, left - off, f, ink)?;
    let y_title = p.fit("Standard error", body, bottom - top);
    p.text(
        &y_title,
        (f + 0.6 * f, (top + bottom) / 2.0),
        body,
        ink,
        HPos::Center,
        true,
    )?;
    Ok(())
}
