//! Forest and funnel plots drawn from a [`Report`] over any plotters backend.
//!
//! The model is fitted once; these functions only draw its [`Report`]. They take any plotters
//! [`DrawingArea`], so the same code paints an HTML canvas in the page (the wasm layer wraps the
//! canvas in plotters-canvas' `CanvasBackend`) and writes SVG on the host ([`forest_svg`],
//! [`funnel_svg`]) for downloads and tests.
//!
//! Sizes in [`PlotStyle`] are CSS pixels; `scale` (the device pixel ratio) multiplies them so a
//! canvas of `width × scale` device pixels stays crisp. Text is measured by the browser on wasm32
//! and from the metrics of Liberation Sans (committed under `crate/assets/`, metric-compatible
//! with Arial and Helvetica) on the host, so the layout does not depend on the fonts installed.
//!
//! ```
//! let doc = metapool::Document {
//!     data: "study,yi,vi\nA,0.1,0.01\nB,0.5,0.02\nC,0.9,0.03\n".into(),
//!     ..Default::default()
//! };
//! let report = metapool::analyze(&doc).unwrap();
//! let (width, height) = metapool::plot::forest_size(&report);
//! let style = metapool::plot::PlotStyle { width, height, ..Default::default() };
//! let svg = metapool::plot::forest_svg(&report, &style).unwrap();
//! assert!(svg.starts_with("<svg"));
//! ```
//!
//! [`DrawingArea`]: plotters::drawing::DrawingArea

mod axis;
mod baujat;
mod bubble;
mod forest;
mod frame;
mod funnel;
mod funnel_contours;
mod gosh;
mod kind;
mod leave1out;
mod paint;
mod subgroup_forest;
mod summary_forest;
mod table;

pub use baujat::{baujat_points, baujat_svg, draw_baujat, BaujatPoint};
pub use bubble::{bubble_svg, draw_bubble};
pub use forest::{draw_forest, forest_size, forest_svg};
pub use funnel::{draw_funnel, funnel_svg};
pub use funnel_contours::{draw_funnel_contours, funnel_contours_svg};
pub use gosh::{draw_gosh, gosh_density, gosh_svg, ReportGosh};
pub use kind::{draw, size, PlotKind};
pub use leave1out::{draw_leave1out, leave1out_size, leave1out_svg};
pub use subgroup_forest::{draw_subgroup_forest, subgroup_forest_size, subgroup_forest_svg};
pub use summary_forest::{draw_summary_forest, summary_forest_size, summary_forest_svg};

use crate::input::Role;
use crate::report::Report;
use paint::{rgb, Painter, Target};
use plotters::backend::SVGBackend;
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind, IntoDrawingArea};
use plotters::prelude::DrawingBackend;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How a plot looks: its size, pixel density, type and colours.
///
/// Every length is in CSS pixels. `Default` gives a plot that fits a page column; use
/// [`forest_size`] for the height a forest plot needs for its number of studies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlotStyle {
    /// Width of the picture written by [`forest_svg`] and [`funnel_svg`]. The `draw_*` functions
    /// use the size of the area they are given instead.
    pub width: u32,
    /// Height of the picture written by [`forest_svg`] and [`funnel_svg`].
    pub height: u32,
    /// Device pixels per CSS pixel (the browser's `devicePixelRatio`) for a crisp canvas: the
    /// area given to `draw_*` is then `width × scale` by `height × scale` device pixels. The SVG
    /// functions ignore it (SVG is drawn at scale 1 and scales itself).
    pub scale: f64,
    /// CSS font family list, e.g. `"Arial, Helvetica, sans-serif"`.
    pub font_family: String,
    /// Size of the body text in CSS pixels; tick labels and notes are a little smaller.
    pub font_size: f64,
    /// Title of the effect axis. `None`: "Effect (yi)", with the name of the effect column.
    pub x_label: Option<String>,
    /// Colour of text, squares, lines and diamond as RGB.
    pub ink: [u8; 3],
    /// Background colour as RGB; `None` leaves the background transparent.
    pub background: Option<[u8; 3]>,
}

impl Default for PlotStyle {
    fn default() -> Self {
        PlotStyle {
            width: 760,
            height: 480,
            scale: 1.0,
            font_family: "Arial, Helvetica, Liberation Sans, sans-serif".into(),
            font_size: 13.0,
            x_label: None,
            ink: [0x1a, 0x1a, 0x1a],
            background: Some([0xff, 0xff, 0xff]),
        }
    }
}

impl PlotStyle {
    /// The effect axis title: the given one, or "Effect (name of the effect column)".
    fn effect_label(&self, report: &Report) -> String {
        if let Some(label) = &self.x_label {
            return label.clone();
        }
        match report.columns.iter().find(|c| c.role == Role::Yi) {
            Some(column) if !column.name.trim().is_empty() => {
                format!("Effect ({})", column.name.trim())
            }
            _ => "Effect".into(),
        }
    }
}

/// A plot that could not be drawn; the message says why in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlotError {
    message: String,
}

impl PlotError {
    fn new(message: impl Into<String>) -> PlotError {
        PlotError {
            message: message.into(),
        }
    }

    /// The message, as `Display` writes it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PlotError {}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for PlotError {
    fn from(e: DrawingAreaErrorKind<E>) -> PlotError {
        PlotError::new(format!("the plot could not be drawn: {e}"))
    }
}

/// Runs `draw` on an SVG backend of `style.width × style.height` pixels; returns the document.
fn svg(
    style: &PlotStyle,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), PlotError>,
) -> Result<String, PlotError> {
    if style.width == 0 || style.height == 0 {
        return Err(PlotError::new(format!(
            "a plot of {} × {} pixels has nothing to draw on; give a positive width and height",
            style.width, style.height
        )));
    }
    let mut buf = String::new();
    {
        let area =
            SVGBackend::with_string(&mut buf, (style.width, style.height)).into_drawing_area();
        draw(&area)?;
        area.present()?;
    }
    Ok(buf)
}

/// A painter on `area` at `scale` for `target` in the style's font family, with the style's
/// background painted.
fn painter<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    style: &'a PlotStyle,
    scale: f64,
    target: Target,
) -> Result<Painter<'a, DB>, PlotError> {
    let p = Painter::new(area, scale, target, &style.font_family);
    if let Some(bg) = style.background {
        p.fill_background(rgb(bg))?;
    }
    Ok(p)
}

/// A number with two decimals, never "-0.00".
fn fmt2(x: f64) -> String {
    let s = format!("{x:.2}");
    if s == "-0.00" {
        "0.00".into()
    } else {
        s
    }
}

/// "95%" for a level of 0.95, "99.5%" for 0.995.
fn percent(level: f64) -> String {
    let p = format!("{:.2}", level * 100.0);
    let p = p.trim_end_matches('0').trim_end_matches('.');
    format!("{p}%")
}

/// A p-value as a note shows it: "p < 0.001" or "p = 0.042".
fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {p:.3}")
    }
}

/// The model's name for the pooled row: "RE model (REML)", "FE model".
fn model_label(report: &Report) -> String {
    let o = &report.overall;
    let hksj = if o.ci == "hksj" { ", HKSJ" } else { "" };
    if o.model == "common" {
        format!("FE model{}", if hksj.is_empty() { "" } else { " (HKSJ)" })
    } else {
        format!("RE model ({}{hksj})", o.method)
    }
}

/// A finite value or nothing: plots treat NaN and infinities as missing.
fn finite(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite())
}

/// Both ends of an interval, when both are finite.
fn interval(lower: Option<f64>, upper: Option<f64>) -> Option<(f64, f64)> {
    Some((finite(lower)?, finite(upper)?))
}

/// Checks that the numbers every plot needs are finite.
fn check_report(report: &Report) -> Result<(), PlotError> {
    if !report.overall.estimate.is_finite() {
        return Err(PlotError::new(
            "the pooled estimate is not a finite number; nothing to plot",
        ));
    }
    if let Some(s) = report
        .studies
        .iter()
        .find(|s| !(s.yi.is_finite() && s.se.is_finite() && s.weight.is_finite()))
    {
        return Err(PlotError::new(format!(
            "study \"{}\" (row {}) has an effect or standard error that is not a finite number",
            s.study, s.row
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_the_plots_print_them() {
        assert_eq!(fmt2(-0.004), "0.00");
        assert_eq!(fmt2(-0.7145), "-0.71");
        assert_eq!(fmt2(12.0), "12.00");
        assert_eq!(percent(0.95), "95%");
        assert_eq!(percent(0.995), "99.5%");
        assert_eq!(percent(0.9), "90%");
        assert_eq!(fmt_p(0.0004), "p < 0.001");
        assert_eq!(fmt_p(0.04212), "p = 0.042");
    }
}
