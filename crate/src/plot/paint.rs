//! Drawing in CSS pixels on any plotters area: shapes, dashes, text and text widths.
//!
//! Plotters' backends disagree about text: the SVG backend writes `font-size = size / 1.24` while
//! the canvas backend uses `size` pixels. [`Painter`] takes sizes in CSS pixels and converts them
//! for the backend it was told it draws on, so a 13 px label is 13 px on the canvas and in the SVG.

use super::PlotError;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{Circle, PathElement, Polygon, Rectangle};
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontDesc, FontFamily, FontStyle, RGBColor, ShapeStyle};
use std::cell::RefCell;
use std::collections::HashMap;

/// Which backend a painter draws on, for the size of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Backends that take the font size in pixels (canvas, bitmap).
    Pixels,
    /// plotters' SVG backend, which divides the font size by 1.24.
    Svg,
}

/// Size and weight of a piece of text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Font {
    /// CSS pixels.
    pub size: f64,
    pub bold: bool,
}

impl Font {
    pub fn regular(size: f64) -> Font {
        Font { size, bold: false }
    }

    pub fn bold(size: f64) -> Font {
        Font { size, bold: true }
    }
}

/// A colour from the style's RGB triple.
pub(crate) fn rgb(c: [u8; 3]) -> RGBColor {
    RGBColor(c[0], c[1], c[2])
}

/// Mixes `c` with white: `t` = 0 gives `c`, 1 gives white.
pub(crate) fn tint(c: RGBColor, t: f64) -> RGBColor {
    let mix = |v: u8| (f64::from(v) + (255.0 - f64::from(v)) * t).round() as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

/// Draws in CSS pixels on a plotters area.
pub(crate) struct Painter<'a, DB: DrawingBackend> {
    area: &'a DrawingArea<DB, Shift>,
    scale: f64,
    target: Target,
    family: &'a str,
    widths: RefCell<HashMap<(String, bool, u64), f64>>,
}

type Drawn = Result<(), PlotError>;

impl<'a, DB: DrawingBackend> Painter<'a, DB> {
    pub fn new(
        area: &'a DrawingArea<DB, Shift>,
        scale: f64,
        target: Target,
        family: &'a str,
    ) -> Self {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        Painter {
            area,
            scale,
            target,
            family,
            widths: RefCell::new(HashMap::new()),
        }
    }

    /// Width and height of the area in CSS pixels.
    pub fn size(&self) -> (f64, f64) {
        let (w, h) = self.area.dim_in_pixel();
        (f64::from(w) / self.scale, f64::from(h) / self.scale)
    }

    fn px(&self, v: f64) -> i32 {
        (v * self.scale).round() as i32
    }

    fn pt(&self, (x, y): (f64, f64)) -> (i32, i32) {
        (self.px(x), self.px(y))
    }

    fn stroke(&self, color: RGBColor, width: f64) -> ShapeStyle {
        let w = (width * self.scale).round().max(1.0) as u32;
        color.stroke_width(w)
    }

    pub fn fill_background(&self, color: RGBColor) -> Drawn {
        self.area.fill(&color)?;
        Ok(())
    }

    /// A straight line.
    pub fn line(&self, a: (f64, f64), b: (f64, f64), color: RGBColor, width: f64) -> Drawn {
        self.path(&[a, b], color, width)
    }

    /// A polyline.
    pub fn path(&self, points: &[(f64, f64)], color: RGBColor, width: f64) -> Drawn {
        let pts: Vec<(i32, i32)> = points.iter().map(|&p| self.pt(p)).collect();
        self.area
            .draw(&PathElement::new(pts, self.stroke(color, width)))?;
        Ok(())
    }

    /// A dashed straight line: `dash` drawn, `gap` left out, from `a`.
    pub fn dashed(
        &self,
        a: (f64, f64),
        b: (f64, f64),
        (dash, gap): (f64, f64),
        color: RGBColor,
        width: f64,
    ) -> Drawn {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = dx.hypot(dy);
        if len <= 0.0 {
            return Ok(());
        }
        let (ux, uy) = (dx / len, dy / len);
        let mut s = 0.0;
        while s < len {
            let e = (s + dash).min(len);
            self.line(
                (a.0 + ux * s, a.1 + uy * s),
                (a.0 + ux * e, a.1 + uy * e),
                color,
                width,
            )?;
            s += dash + gap;
        }
        Ok(())
    }

    /// A filled rectangle between two corners.
    pub fn rect(&self, a: (f64, f64), b: (f64, f64), color: RGBColor) -> Drawn {
        self.area
            .draw(&Rectangle::new([self.pt(a), self.pt(b)], color.filled()))?;
        Ok(())
    }

    /// A filled polygon.
    pub fn polygon(&self, points: &[(f64, f64)], color: RGBColor) -> Drawn {
        let pts: Vec<(i32, i32)> = points.iter().map(|&p| self.pt(p)).collect();
        self.area.draw(&Polygon::new(pts, color.filled()))?;
        Ok(())
    }

    /// A filled circle.
    pub fn dot(&self, c: (f64, f64), radius: f64, color: RGBColor) -> Drawn {
        let r = (radius * self.scale).round().max(1.0) as i32;
        self.area
            .draw(&Circle::new(self.pt(c), r, color.filled()))?;
        Ok(())
    }

    /// Text whose vertical centre is at `y`; `h` says whether `x` is its left end, centre or
    /// right end. `rotated` turns it a quarter to the left (reading upwards).
    pub fn text(
        &self,
        text: &str,
        (x, y): (f64, f64),
        font: Font,
        color: RGBColor,
        h: HPos,
        rotated: bool,
    ) -> Drawn {
        if text.is_empty() {
            return Ok(());
        }
        let factor = match self.target {
            Target::Pixels => 1.0,
            Target::Svg => 1.24,
        };
        let weight = if font.bold {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        };
        let mut style = FontDesc::new(
            FontFamily::Name(self.family),
            font.size * factor * self.scale,
            weight,
        )
        .color(&color)
        .pos(Pos::new(h, VPos::Center));
        if rotated {
            style = style.transform(plotters::style::FontTransform::Rotate270);
        }
        self.area.draw_text(text, &style, self.pt((x, y)))?;
        Ok(())
    }

    /// Width of `text` in CSS pixels, remembered: in the browser each measurement lays out text.
    pub fn measure(&self, text: &str, font: Font) -> f64 {
        let key = (text.to_string(), font.bold, font.size.to_bits());
        if let Some(&w) = self.widths.borrow().get(&key) {
            return w;
        }
        let w = measure(self.family, text, font);
        self.widths.borrow_mut().insert(key, w);
        w
    }

    /// `text`, shortened with "…" at the end so that it is at most `max` CSS pixels wide.
    pub fn fit(&self, text: &str, font: Font, max: f64) -> String {
        if self.measure(text, font) <= max {
            return text.to_string();
        }
        let chars: Vec<char> = text.chars().collect();
        // The longest prefix that fits with the ellipsis, by bisection on the number of chars.
        let (mut lo, mut hi) = (0usize, chars.len());
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            let candidate: String = chars[..mid].iter().collect::<String>() + "…";
            if self.measure(&candidate, font) <= max {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        let prefix: String = chars[..lo].iter().collect();
        format!("{}…", prefix.trim_end())
    }
}

/// Width of `text` in CSS pixels from Liberation Sans' advance widths (metric-compatible with
/// Arial and Helvetica). Characters the font lacks count 1 em when wide (CJK) and 0.6 em else.
#[cfg(not(target_arch = "wasm32"))]
fn measure(_family: &str, text: &str, font: Font) -> f64 {
    metrics::width_em(text, font.bold) * font.size
}

/// Width of `text` in CSS pixels as the browser draws it: the canvas 2D context's `measureText`
/// in the very font the canvas backend draws with (`"bold 12px <family>"`), on a canvas of its
/// own. Unlike a measurement in the page's DOM (plotters' `box_size`, a `<span>` whose size is
/// read back), this lays nothing out: a forest plot of 100 rows measured that way spent most of
/// its 25 ms in forced layouts. Without a document (a worker) it falls back to `box_size`, bold
/// widened by 10 % (Arial Bold is 0–10 % wider than Arial on labels and numbers).
#[cfg(target_arch = "wasm32")]
fn measure(family: &str, text: &str, font: Font) -> f64 {
    use wasm_bindgen::JsCast;
    thread_local! {
        static CONTEXT: Option<web_sys::CanvasRenderingContext2d> = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.create_element("canvas").ok())
            .and_then(|c| c.dyn_into::<web_sys::HtmlCanvasElement>().ok())
            .and_then(|c| c.get_context("2d").ok().flatten())
            .and_then(|c| c.dyn_into().ok());
        /// The font the context was last set to: setting it parses the font again each time.
        static FONT: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    let weight = if font.bold { "bold" } else { "normal" };
    let measured = CONTEXT.with(|context| {
        let context = context.as_ref()?;
        let css = format!("{weight} {}px {family}", font.size);
        FONT.with_borrow_mut(|last| {
            if *last != css {
                context.set_font(&css);
                *last = css;
            }
        });
        context.measure_text(text).ok().map(|m| m.width())
    });
    if let Some(w) = measured {
        return w;
    }
    let desc = FontDesc::new(FontFamily::Name(family), font.size, FontStyle::Normal);
    let w = match desc.box_size(text) {
        Ok((w, _)) => f64::from(w),
        Err(_) => 0.6 * font.size * text.chars().count() as f64,
    };
    if font.bold {
        w * 1.1
    } else {
        w
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod metrics {
    use std::sync::OnceLock;
    use ttf_parser::Face;

    static REGULAR: &[u8] = include_bytes!("../../assets/LiberationSans-Regular.ttf");
    static BOLD: &[u8] = include_bytes!("../../assets/LiberationSans-Bold.ttf");

    fn face(bold: bool) -> &'static Face<'static> {
        static FACES: OnceLock<(Face<'static>, Face<'static>)> = OnceLock::new();
        let faces = FACES.get_or_init(|| {
            (
                Face::parse(REGULAR, 0).expect("the committed Liberation Sans Regular parses"),
                Face::parse(BOLD, 0).expect("the committed Liberation Sans Bold parses"),
            )
        });
        if bold {
            &faces.1
        } else {
            &faces.0
        }
    }

    /// Advance width of `text` in em.
    pub fn width_em(text: &str, bold: bool) -> f64 {
        let face = face(bold);
        let upem = f64::from(face.units_per_em());
        text.chars()
            .map(
                |c| match face.glyph_index(c).and_then(|g| face.glyph_hor_advance(g)) {
                    Some(adv) => f64::from(adv) / upem,
                    None if is_wide(c) => 1.0,
                    None => 0.6,
                },
            )
            .sum()
    }

    /// East Asian wide characters (CJK, Hangul, fullwidth forms), which take a whole em.
    fn is_wide(c: char) -> bool {
        matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1FAFF
            | 0x20000..=0x3FFFD)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_arial_metrics() {
        // Arial's digits are 0.556 em wide; "0.00" is three digits and a period (0.278 em).
        let w = measure("", "0.00", Font::regular(10.0));
        assert!((w - 10.0 * (3.0 * 0.556 + 0.278)).abs() < 0.05, "{w}");
        assert!(measure("", "Study", Font::bold(13.0)) > measure("", "Study", Font::regular(13.0)));
        assert!((measure("", "中文", Font::regular(10.0)) - 20.0).abs() < 1e-9);
    }
}
