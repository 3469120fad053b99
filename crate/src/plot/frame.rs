//! The frame of the scatter-type plots (bubble, contour-enhanced funnel, Baujat): a plotting
//! region, two axes set off from it as R draws them, their titles, and room for a legend at the
//! right and notes under the x axis. Same proportions as the funnel plot.

pub(crate) use super::axis::SMALL;
use super::axis::{draw_x_axis, draw_y_axis, fitting_ticks, Ticks};
use super::paint::{Font, Painter};
use super::PlotError;
use plotters::element::Circle;
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::HPos;
use plotters::style::{Color, RGBAColor, RGBColor};

/// Height of a note line under the x axis title, in font sizes.
const NOTE: f64 = 1.35;

/// What a frame shows.
pub(crate) struct Spec<'s> {
    /// Data ranges; the axes run from round ticks at or beyond them.
    pub x: (f64, f64),
    pub y: (f64, f64),
    /// The y axis grows downwards (the funnel's standard error, 0 at the top).
    pub y_down: bool,
    pub x_title: &'s str,
    pub y_title: &'s str,
    /// Width kept free at the right of the plotting region (for a legend), CSS pixels.
    pub legend_width: f64,
    /// Lines of notes under the x axis title.
    pub notes: &'s [String],
}

/// The plotting region and the axes' ticks, in CSS pixels.
pub(crate) struct Frame {
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub x_ticks: Ticks,
    pub y_ticks: Ticks,
    y_down: bool,
    /// Font size.
    pub f: f64,
}

impl Frame {
    /// Lays out a frame on the painter's area with type of at most `font_size` (smaller on small
    /// areas, as the funnel plot).
    pub fn new<DB: DrawingBackend>(p: &Painter<'_, DB>, font_size: f64, spec: &Spec<'_>) -> Frame {
        let (width, height) = p.size();
        let f = Frame::font_size(p, font_size);
        let small = Font::regular(SMALL * f);
        let tick = 0.35 * f;
        let notes = if spec.notes.is_empty() {
            0.0
        } else {
            0.3 * f + NOTE * f * spec.notes.len() as f64
        };
        let top = 1.3 * f;
        let bottom = (height - (tick + 3.8 * f) - notes).max(top + f);
        let y_ticks = fitting_ticks(spec.y.0, spec.y.1, bottom - top, 0.8 * f, |_| SMALL * f);
        let label_w = y_ticks
            .labels
            .iter()
            .map(|l| p.measure(l, small))
            .fold(0.0, f64::max);
        let left = f + 1.2 * f + 0.6 * f + label_w + tick + 0.5 * f;
        let right = (width - 1.2 * f - spec.legend_width).max(left + f);
        let x_ticks = fitting_ticks(spec.x.0, spec.x.1, right - left, 1.2 * f, |s| {
            p.measure(s, small)
        });
        Frame {
            left,
            right,
            top,
            bottom,
            x_ticks,
            y_ticks,
            y_down: spec.y_down,
            f,
        }
    }

    /// The font size a frame on the painter's area uses: `font_size`, smaller on small areas
    /// (down to a sixteenth of the height).
    pub fn font_size<DB: DrawingBackend>(p: &Painter<'_, DB>, font_size: f64) -> f64 {
        let (width, height) = p.size();
        font_size.min(height / 16.0).min(width / 24.0).max(1.0)
    }

    /// Horizontal position of a value.
    pub fn x(&self, v: f64) -> f64 {
        let t = &self.x_ticks;
        self.left + (v - t.lo) / (t.hi - t.lo) * (self.right - self.left)
    }

    /// Vertical position of a value.
    pub fn y(&self, v: f64) -> f64 {
        let t = &self.y_ticks;
        let s = (v - t.lo) / (t.hi - t.lo) * (self.bottom - self.top);
        if self.y_down {
            self.top + s
        } else {
            self.bottom - s
        }
    }

    /// Both axes with ticks, tick labels and titles, and the notes under the x title.
    pub fn draw_axes<DB: DrawingBackend>(
        &self,
        p: &Painter<'_, DB>,
        spec: &Spec<'_>,
        ink: RGBColor,
        note_color: RGBColor,
    ) -> Result<(), PlotError> {
        let f = self.f;
        let (body, small) = (Font::regular(f), Font::regular(SMALL * f));
        let tick = 0.35 * f;
        let off = 0.5 * f;
        let axis_y = self.bottom + off;
        draw_x_axis(p, &self.x_ticks, &|v| self.x(v), axis_y, f, ink)?;
        let title = p.fit(spec.x_title, body, self.right - self.left);
        let title_y = axis_y + tick + 2.2 * f;
        p.text(
            &title,
            ((self.left + self.right) / 2.0, title_y),
            body,
            ink,
            HPos::Center,
            false,
        )?;

        draw_y_axis(p, &self.y_ticks, &|v| self.y(v), self.left - off, f, ink)?;
        let y_title = p.fit(spec.y_title, body, self.bottom - self.top);
        p.text(
            &y_title,
            (1.6 * f, (self.top + self.bottom) / 2.0),
            body,
            ink,
            HPos::Center,
            true,
        )?;

        let (width, _) = p.size();
        let mut y = title_y + 0.3 * f + NOTE * f;
        for note in spec.notes {
            let note = p.fit(note, small, width - 2.0 * f);
            p.text(&note, (f, y), small, note_color, HPos::Left, false)?;
            y += NOTE * f;
        }
        Ok(())
    }
}

/// Circles the painter does not draw: outlined, and filled with a see-through colour. Sizes in
/// CSS pixels, multiplied by the scale.
pub(crate) struct Circles<'a, DB: DrawingBackend> {
    area: &'a plotters::drawing::DrawingArea<DB, plotters::coord::Shift>,
    scale: f64,
}

impl<'a, DB: DrawingBackend> Circles<'a, DB> {
    pub fn new(
        area: &'a plotters::drawing::DrawingArea<DB, plotters::coord::Shift>,
        scale: f64,
    ) -> Self {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        Circles { area, scale }
    }

    fn centre(&self, (x, y): (f64, f64)) -> (i32, i32) {
        (
            (x * self.scale).round() as i32,
            (y * self.scale).round() as i32,
        )
    }

    fn radius(&self, r: f64) -> i32 {
        (r * self.scale).round().max(1.0) as i32
    }

    /// An open circle: its outline only.
    pub fn ring(
        &self,
        c: (f64, f64),
        r: f64,
        color: RGBColor,
        width: f64,
    ) -> Result<(), PlotError> {
        let w = (width * self.scale).round().max(1.0) as u32;
        self.area.draw(&Circle::new(
            self.centre(c),
            self.radius(r),
            color.stroke_width(w),
        ))?;
        Ok(())
    }

    /// A disc filled with `fill` (which may be see-through).
    pub fn disc(&self, c: (f64, f64), r: f64, fill: RGBAColor) -> Result<(), PlotError> {
        self.area
            .draw(&Circle::new(self.centre(c), self.radius(r), fill.filled()))?;
        Ok(())
    }
}
