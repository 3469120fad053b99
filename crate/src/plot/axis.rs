//! Axis ranges and tick marks at round numbers (1, 2, 2.5 or 5 times a power of ten), and the
//! axis lines with their ticks and tick labels as every plot draws them.

use super::paint::{Font, Painter};
use super::PlotError;
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::HPos;
use plotters::style::RGBColor;

/// Tick labels and notes, relative to the body text.
pub(crate) const SMALL: f64 = 0.88;

/// Tick positions on an axis and their labels.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ticks {
    /// First and last tick: the axis runs from `lo` to `hi`.
    pub lo: f64,
    pub hi: f64,
    pub values: Vec<f64>,
    pub labels: Vec<String>,
}

/// Ticks at a round step of about `(hi - lo) / target`, widened outwards to whole steps.
///
/// An empty or reversed range is widened around its value first.
pub(crate) fn ticks(lo: f64, hi: f64, target: usize) -> Ticks {
    let (lo, hi) = if hi - lo > f64::EPSILON * hi.abs().max(lo.abs()).max(1e-300) {
        (lo, hi)
    } else {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        (lo - pad, hi + pad)
    };
    let raw = (hi - lo) / target.max(1) as f64;
    let exp = raw.log10().floor();
    let mag = 10f64.powf(exp);
    let (mult, step) = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| (m, m * mag))
        .find(|&(_, s)| s >= raw * (1.0 - 1e-9))
        .expect("10 × mag ≥ raw because mag > raw / 10");
    // Decimals: as many as the step needs (2.5 needs one more than its power of ten).
    let mut decimals = (-exp).max(0.0) as usize;
    if mult == 2.5 {
        decimals += 1;
    }
    if mult == 10.0 && decimals > 0 {
        decimals -= 1;
    }
    // A bound within a hair of a tick (rounding error) counts as on it.
    let first = (lo / step + 1e-9).floor() as i64;
    let last = (hi / step - 1e-9).ceil() as i64;
    let values: Vec<f64> = (first..=last).map(|i| i as f64 * step).collect();
    let labels = values
        .iter()
        .map(|v| {
            let s = format!("{v:.decimals$}");
            if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() {
                s[1..].to_string()
            } else {
                s
            }
        })
        .collect();
    Ticks {
        lo: first as f64 * step,
        hi: last as f64 * step,
        values,
        labels,
    }
}

/// The finest ticks for `lo..hi` whose labels, `width` measures them, fit along `length` pixels
/// with `gap` pixels between neighbours.
pub(crate) fn fitting_ticks(
    lo: f64,
    hi: f64,
    length: f64,
    gap: f64,
    width: impl Fn(&str) -> f64,
) -> Ticks {
    let mut best = None;
    for target in (2..=8).rev() {
        let t = ticks(lo, hi, target);
        let widest = t.labels.iter().map(|l| width(l)).fold(0.0, f64::max);
        let per_tick = length / (t.values.len().max(2) - 1) as f64;
        if widest + gap <= per_tick {
            return t;
        }
        best = Some(t);
    }
    best.expect("the loop runs at least once")
}

/// A horizontal axis at height `axis_y` for type of size `f`: its line from the first tick to
/// the last, the ticks below it and their labels under them.
pub(crate) fn draw_x_axis<DB: DrawingBackend>(
    p: &Painter<'_, DB>,
    ticks: &Ticks,
    x: &dyn Fn(f64) -> f64,
    axis_y: f64,
    f: f64,
    ink: RGBColor,
) -> Result<(), PlotError> {
    let (small, tick) = (Font::regular(SMALL * f), 0.35 * f);
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
    Ok(())
}

/// A vertical axis at `axis_x` for type of size `f`: its line from the first tick to the last,
/// the ticks left of it and their labels, right-aligned, left of them.
pub(crate) fn draw_y_axis<DB: DrawingBackend>(
    p: &Painter<'_, DB>,
    ticks: &Ticks,
    y: &dyn Fn(f64) -> f64,
    axis_x: f64,
    f: f64,
    ink: RGBColor,
) -> Result<(), PlotError> {
    let (small, tick) = (Font::regular(SMALL * f), 0.35 * f);
    p.line((axis_x, y(ticks.lo)), (axis_x, y(ticks.hi)), ink, 1.0)?;
    for (v, label) in ticks.values.iter().zip(&ticks.labels) {
        p.line((axis_x - tick, y(*v)), (axis_x, y(*v)), ink, 1.0)?;
        p.text(
            label,
            (axis_x - tick - 0.3 * f, y(*v)),
            small,
            ink,
            HPos::Right,
            false,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_steps_cover_the_range() {
        let t = ticks(-1.87, 0.46, 5);
        assert_eq!(t.labels, ["-2.0", "-1.5", "-1.0", "-0.5", "0.0", "0.5"]);
        assert_eq!((t.lo, t.hi), (-2.0, 0.5));
        let t = ticks(0.0, 0.62, 5);
        assert_eq!(t.labels, ["0.0", "0.2", "0.4", "0.6", "0.8"]);
        let t = ticks(0.0, 0.9, 4);
        assert_eq!(t.labels, ["0.00", "0.25", "0.50", "0.75", "1.00"]);
        let t = ticks(0.0, 0.8, 8);
        assert_eq!(
            t.labels,
            ["0.0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8"]
        );
        let t = ticks(-0.3 * 3.0, 0.1 * 3.0, 4);
        assert_eq!(
            (t.labels[0].as_str(), t.labels.last().unwrap().as_str()),
            ("-1.0", "0.5")
        );
        let t = ticks(-3.0, 12.0, 4);
        assert_eq!(t.labels, ["-5", "0", "5", "10", "15"]);
        let t = ticks(0.3, 0.3, 5);
        assert!(t.lo < 0.3 && t.hi > 0.3);
        let t = ticks(0.0, 0.0, 5);
        assert!(t.lo < 0.0 && t.hi > 0.0 && t.labels.contains(&"0.0".to_string()));
    }

    #[test]
    fn fewer_ticks_when_labels_are_wide() {
        let t = fitting_ticks(0.0, 100.0, 100.0, 5.0, |s| 10.0 * s.len() as f64);
        assert!(t.values.len() <= 4, "{:?}", t.labels);
    }
}
