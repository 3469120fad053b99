//! A forest-plot table of any rows: the layout shared by the subgroup forest plot and the
//! leave-one-out plot. The forest plot draws its own rows but with this module's pieces
//! (columns, header, effect axis, squares, diamonds, interval lines and number columns).
//!
//! It looks like [`forest`](super::forest): labels at left; in the middle a mark at each
//! estimate with a line for its interval; at right extra columns (weight, τ², I² …) and
//! "estimate [lower, upper]" in three right-aligned pieces so that the decimal points line up;
//! below, the axis, its title and notes. Rows may also be bold headings, diamonds for pooled
//! estimates, small notes inside the table and gaps.

use super::axis::{draw_x_axis, fitting_ticks, Ticks, SMALL};
use super::paint::{rgb, tint, Font, Painter, Target};
use super::{finite, fmt2, fmt_p, painter, percent, PlotError, PlotStyle};
use crate::report::{Overall, Report};
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::HPos;
use plotters::style::RGBColor;

/// Row height in font sizes.
pub(super) const ROW: f64 = 1.6;
/// Height of a note row inside the table, in font sizes.
const NOTE_ROW: f64 = 1.25;
/// Height of a gap row, in font sizes.
const GAP: f64 = 0.6;
/// Space above the header and below the last line, in font sizes.
pub(super) const MARGIN: f64 = 0.8;
/// Space under the header row, in font sizes.
pub(super) const GAP_HEADER: f64 = 0.3;
/// From the last row to the axis line, in font sizes.
pub(super) const GAP_AXIS: f64 = 0.5;
/// Axis line to the centre of the axis title, in font sizes.
pub(super) const AXIS_BLOCK: f64 = 2.4;
/// Space above the notes and the height of each note line, in font sizes.
pub(super) const GAP_NOTES: f64 = 1.4;
pub(super) const NOTE: f64 = 1.35;
/// The heaviest square fills its row when it weighs at least this many percent (as the forest
/// plot: with many light studies every square stays small).
const FULL_SQUARE: f64 = 10.0;

/// A forest-plot table: header, rows, axis and notes.
pub(crate) struct Table {
    /// Header of the label column ("Study").
    pub label_header: String,
    /// Headers of the extra columns between the plot and the estimates ("Weight", "I²" …);
    /// every entry has one cell per column.
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    /// Level of the intervals, for the header "Estimate [95% CI]".
    pub level: f64,
    /// A dashed vertical line at this value, from the top to the last diamond.
    pub reference: Option<f64>,
    /// A lightly shaded vertical strip between these values (e.g. the pooled CI).
    pub band: Option<(f64, f64)>,
    /// Title of the effect axis.
    pub x_label: String,
    /// Lines under the axis.
    pub notes: Vec<String>,
}

/// One row of a [`Table`].
pub(crate) enum Row {
    /// A bold heading with nothing else on its row.
    Heading(String),
    /// A label, a mark with its interval, cells and numbers.
    Entry(Entry),
    /// A small grey line of text starting at the label column.
    Note(String),
    /// A little vertical space.
    Gap,
}

/// A labelled row with an estimate.
pub(crate) struct Entry {
    pub label: String,
    pub bold: bool,
    /// Label and numbers in grey (e.g. the prediction interval row).
    pub grey: bool,
    pub mark: Mark,
    /// `None` leaves the estimate column empty.
    pub estimate: Option<f64>,
    /// `None` prints "[NA, NA]" unless the estimate is missing too.
    pub ci: Option<(f64, f64)>,
    /// One per extra column; empty strings leave it blank.
    pub cells: Vec<String>,
}

/// What an entry draws in the plot region.
pub(crate) enum Mark {
    /// Nothing.
    None,
    /// A square of area ∝ weight (percent) with the interval as a line.
    Square(f64),
    /// A dot of fixed size with the interval as a line.
    Dot,
    /// A diamond spanning the interval, and a dashed prediction interval under it.
    Diamond(Option<(f64, f64)>),
}

impl Entry {
    /// A plain entry: regular type, no cells.
    pub fn new(label: impl Into<String>, mark: Mark) -> Entry {
        Entry {
            label: label.into(),
            bold: false,
            grey: false,
            mark,
            estimate: None,
            ci: None,
            cells: Vec::new(),
        }
    }
}

impl Row {
    /// Height in font sizes, and whether it counts as a row that spreads in a tall area.
    fn units(&self) -> (f64, bool) {
        match self {
            Row::Heading(_) | Row::Entry(_) => (ROW, true),
            Row::Note(_) => (NOTE_ROW, false),
            Row::Gap => (GAP, false),
        }
    }
}

impl Table {
    /// Natural height in font sizes.
    pub fn units(&self) -> f64 {
        let tail = match self.notes.len() {
            0 => 0.5,
            n => GAP_NOTES + NOTE * (n - 1) as f64 + 0.5,
        };
        let rows: f64 = self.rows.iter().map(|r| r.units().0).sum();
        2.0 * MARGIN + ROW + GAP_HEADER + rows + GAP_AXIS + AXIS_BLOCK + tail
    }

    /// Natural size in CSS pixels with the default style of the table `build` makes of
    /// `report`: the default width, and a height that grows with the rows. When there is no
    /// table (the report lacks the analysis), the default size.
    pub fn natural_size(
        report: &Report,
        build: fn(&Report) -> Result<Table, PlotError>,
    ) -> (u32, u32) {
        let style = PlotStyle::default();
        match build(report) {
            Ok(t) => (style.width, (t.units() * style.font_size).ceil() as u32),
            Err(_) => (style.width, style.height),
        }
    }

    fn spreading_rows(&self) -> usize {
        1 + self.rows.iter().filter(|r| r.units().1).count()
    }
}

/// One row's numbers as text: three pieces, each right-aligned in its own column so that the
/// decimal points line up: "-0.89", "[-2.01,", "0.23]".
pub(super) struct Numbers {
    estimate: String,
    lower: String,
    upper: String,
}

impl Numbers {
    /// The pieces of an estimate and its interval; "[NA, NA]" for an estimate without an
    /// interval, nothing for neither.
    pub(super) fn new(estimate: Option<f64>, ci: Option<(f64, f64)>) -> Numbers {
        let (lower, upper) = match (estimate, ci) {
            (_, Some((l, u))) => (format!("[{},", fmt2(l)), format!("{}]", fmt2(u))),
            (Some(_), None) => ("[NA,".into(), "NA]".into()),
            (None, None) => (String::new(), String::new()),
        };
        Numbers {
            estimate: estimate.map(fmt2).unwrap_or_default(),
            lower,
            upper,
        }
    }

    fn of(e: &Entry) -> Numbers {
        Numbers::new(e.estimate, e.ci)
    }
}

/// Horizontal positions in CSS pixels.
pub(super) struct Columns {
    pub label_left: f64,
    pub label_width: f64,
    pub plot_left: f64,
    pub plot_right: f64,
    /// Right ends of the extra columns.
    pub cells_right: Vec<f64>,
    estimate_right: f64,
    lower_right: f64,
    upper_right: f64,
}

/// Draws the table `build` makes of `report`, with the style's effect label as the axis title,
/// on `area` at `scale` for `target`.
pub(crate) fn draw_report_table<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    style: &PlotStyle,
    (scale, target): (f64, Target),
    build: fn(&Report) -> Result<Table, PlotError>,
) -> Result<(), PlotError> {
    let mut t = build(report)?;
    t.x_label = style.effect_label(report);
    let p = painter(area, style, scale, target)?;
    draw_table(&p, &t, style)
}

/// Draws `table` on the painter's whole area with the style's font size, shrunk to fit.
fn draw_table<DB: DrawingBackend>(
    p: &Painter<'_, DB>,
    table: &Table,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    let (width, height) = p.size();
    let (f, extra) = vertical(
        height,
        table.units(),
        table.spreading_rows(),
        style.font_size,
    );
    let row_h = |r: &Row| {
        let (u, spreads) = r.units();
        u * f + if spreads { extra } else { 0.0 }
    };
    let row = ROW * f + extra;

    let ink = rgb(style.ink);
    let grey = tint(ink, 0.35);
    let light = tint(ink, 0.6);
    let bold = Font::bold(f);
    let small = Font::regular(SMALL * f);
    let font = |e: &Entry| {
        if e.bold {
            Font::bold(f)
        } else {
            Font::regular(f)
        }
    };
    let estimate_header = format!("Estimate [{} CI]", percent(table.level));
    let numbers: Vec<Option<Numbers>> = table
        .rows
        .iter()
        .map(|r| match r {
            Row::Entry(e) => Some(Numbers::of(e)),
            _ => None,
        })
        .collect();
    let cols = table_columns(p, table, &numbers, width, f, &estimate_header);

    // Effect axis: as the forest plot, every estimate, 0, and the diamonds' intervals; the
    // other intervals too unless a few very wide ones would squeeze the rest (then they are
    // clipped and end in an arrow).
    let mut core = vec![0.0];
    let mut ext = Vec::new();
    core.extend(table.reference);
    for r in &table.rows {
        if let Row::Entry(e) = r {
            core.extend(e.estimate);
            match &e.mark {
                Mark::Diamond(pi) => {
                    core.extend(e.ci.iter().flat_map(|&(l, u)| [l, u]));
                    core.extend(pi.iter().flat_map(|&(l, u)| [l, u]));
                }
                Mark::Square(_) | Mark::Dot => {
                    ext.extend(e.ci.iter().flat_map(|&(l, u)| [l, u]));
                }
                Mark::None => {}
            }
        }
    }
    if let Some((l, u)) = table.band {
        core.extend([l, u]);
    }
    let ticks = effect_ticks(p, &cols, f, &core, &ext);
    let x = cols.scale(&ticks);

    let top = draw_header(
        p,
        &cols,
        &table.label_header,
        &table.columns,
        &estimate_header,
        f,
        row,
        ink,
    )?;

    // Row centres, and the axis under the last row.
    let mut centres = Vec::with_capacity(table.rows.len());
    let mut edge = top;
    for r in &table.rows {
        let h = row_h(r);
        centres.push(edge + h / 2.0);
        edge += h;
    }
    let axis_y = edge + GAP_AXIS * f;
    let diamond_half = 0.32 * row;

    // Under everything else: the band, the null line and the reference line down to the last
    // diamond.
    if let Some((l, u)) = table.band {
        let (l, u) = (x(l.max(ticks.lo)), x(u.min(ticks.hi)));
        if l < u {
            p.rect((l, top), (u, axis_y), tint(ink, 0.94))?;
        }
    }
    p.line((x(0.0), top), (x(0.0), axis_y), light, 1.0)?;
    if let Some(v) = table
        .reference
        .filter(|v| (ticks.lo..=ticks.hi).contains(v))
    {
        let last_diamond = table
            .rows
            .iter()
            .zip(&centres)
            .filter(|(r, _)| {
                matches!(
                    r,
                    Row::Entry(Entry {
                        mark: Mark::Diamond(_),
                        ..
                    })
                )
            })
            .map(|(_, &c)| c - diamond_half)
            .next_back()
            .unwrap_or(axis_y);
        p.dashed((x(v), top), (x(v), last_diamond), (1.0, 3.0), grey, 1.0)?;
    }

    // Rows.
    let side = square_side(
        table.rows.iter().filter_map(|r| match r {
            Row::Entry(Entry {
                mark: Mark::Square(w),
                ..
            }) => Some(*w),
            _ => None,
        }),
        row,
        f,
    );
    for ((r, &y), n) in table.rows.iter().zip(&centres).zip(&numbers) {
        match r {
            Row::Heading(text) => {
                let text = p.fit(text, bold, cols.label_width);
                p.text(&text, (cols.label_left, y), bold, ink, HPos::Left, false)?;
            }
            Row::Note(text) => {
                let text = p.fit(text, small, cols.upper_right - cols.label_left);
                p.text(&text, (cols.label_left, y), small, grey, HPos::Left, false)?;
            }
            Row::Gap => {}
            Row::Entry(e) => {
                let font = font(e);
                let color = if e.grey { grey } else { ink };
                let label = p.fit(&e.label, font, cols.label_width);
                p.text(&label, (cols.label_left, y), font, color, HPos::Left, false)?;
                for (cell, &right) in e.cells.iter().zip(&cols.cells_right) {
                    p.text(cell, (right, y), font, color, HPos::Right, false)?;
                }
                if let Some(n) = n {
                    numbers_text(p, n, &cols, y, font, color)?;
                }
                draw_mark(p, e, &ticks, &x, y, f, ink, diamond_half, &side)?;
            }
        }
    }

    draw_axis(
        p,
        &cols,
        &ticks,
        axis_y,
        f,
        &table.x_label,
        &table.notes,
        ink,
    )
}

/// Vertical layout of a table `units` font sizes tall (at `font_size`) on an area `height` CSS
/// pixels tall: the type shrinks when the area is short; when it is tall, each of the
/// `spreading` rows grows by up to 0.4 font sizes. Returns the font size and that growth.
pub(super) fn vertical(height: f64, units: f64, spreading: usize, font_size: f64) -> (f64, f64) {
    let natural = units * font_size;
    let f = if height < natural {
        font_size * height / natural
    } else {
        font_size
    };
    let spare = (height - units * f).max(0.0);
    (f, (spare / spreading as f64).min(0.4 * f))
}

/// Ticks of the effect axis: over every value in `core` and, unless a few very wide ones would
/// squeeze the rest (then they are clipped and end in an arrow), over those in `wide` too.
pub(super) fn effect_ticks<DB: DrawingBackend>(
    p: &Painter<'_, DB>,
    cols: &Columns,
    f: f64,
    core: &[f64],
    wide: &[f64],
) -> Ticks {
    let (core_lo, core_hi) = bounds(core);
    let ext: Vec<f64> = wide.iter().copied().chain([core_lo, core_hi]).collect();
    let (ext_lo, ext_hi) = bounds(&ext);
    let core_w = (core_hi - core_lo).max(f64::MIN_POSITIVE);
    let (lo, hi) = if ext_hi - ext_lo <= 3.0 * core_w {
        (ext_lo, ext_hi)
    } else {
        (ext_lo.max(core_lo - core_w), ext_hi.min(core_hi + core_w))
    };
    let small = Font::regular(SMALL * f);
    fitting_ticks(lo, hi, cols.plot_right - cols.plot_left, 1.2 * f, |s| {
        p.measure(s, small)
    })
}

/// The header row (label header, extra column headers, "Estimate [95% CI]") and the rule under
/// it; returns the top of the first row.
#[allow(clippy::too_many_arguments)]
pub(super) fn draw_header<DB: DrawingBackend>(
    p: &Painter<'_, DB>,
    cols: &Columns,
    label_header: &str,
    headers: &[String],
    estimate_header: &str,
    f: f64,
    row: f64,
    ink: RGBColor,
) -> Result<f64, PlotError> {
    let (width, _) = p.size();
    let bold = Font::bold(f);
    let y = MARGIN * f + row / 2.0;
    let header = p.fit(label_header, bold, cols.label_width);
    p.text(&header, (cols.label_left, y), bold, ink, HPos::Left, false)?;
    for (h, &right) in headers.iter().zip(&cols.cells_right) {
        p.text(h, (right, y), bold, ink, HPos::Right, false)?;
    }
    p.text(
        estimate_header,
        (cols.upper_right, y),
        bold,
        ink,
        HPos::Right,
        false,
    )?;
    let rule_y = y + row / 2.0 + GAP_HEADER * f / 2.0;
    p.line(
        (cols.label_left, rule_y),
        (width - f, rule_y),
        tint(ink, 0.6),
        1.0,
    )?;
    Ok(y + row / 2.0 + GAP_HEADER * f)
}

/// The effect axis at `axis_y` with its ticks, labels and `title`, and the `notes` under it.
#[allow(clippy::too_many_arguments)]
pub(super) fn draw_axis<DB: DrawingBackend>(
    p: &Painter<'_, DB>,
    cols: &Columns,
    ticks: &Ticks,
    axis_y: f64,
    f: f64,
    title: &str,
    notes: &[String],
    ink: RGBColor,
) -> Result<(), PlotError> {
    let (width, _) = p.size();
    let x = cols.scale(ticks);
    let body = Font::regular(f);
    let small = Font::regular(SMALL * f);
    draw_x_axis(p, ticks, &x, axis_y, f, ink)?;
    let title = p.fit(title, body, cols.plot_right - cols.plot_left + 2.0 * f);
    let title_y = axis_y + AXIS_BLOCK * f;
    p.text(
        &title,
        ((cols.plot_left + cols.plot_right) / 2.0, title_y),
        body,
        ink,
        HPos::Center,
        false,
    )?;

    let grey = tint(ink, 0.35);
    let mut note_y = title_y + GAP_NOTES * f;
    for note in notes {
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

/// The side of a weight's square: area ∝ weight, the heaviest of `weights` (or one of
/// [`FULL_SQUARE`] percent) as large as a row of height `row` allows.
pub(super) fn square_side(
    weights: impl Iterator<Item = f64>,
    row: f64,
    f: f64,
) -> impl Fn(f64) -> f64 {
    let full_square = weights.fold(0.0, f64::max).max(FULL_SQUARE);
    let max_side = (0.72 * row).min(1.6 * f);
    move |w| (max_side * (w / full_square).sqrt()).clamp(0.25 * f, max_side)
}

/// A filled square of side `side` centred at `(cx, y)`.
pub(super) fn square<DB: DrawingBackend>(
    p: &Painter<'_, DB>,
    (cx, y): (f64, f64),
    side: f64,
    ink: RGBColor,
) -> Result<(), PlotError> {
    p.rect(
        (cx - side / 2.0, y - side / 2.0),
        (cx + side / 2.0, y + side / 2.0),
        ink,
    )
}

/// A pooled estimate `est` at height `y`: a diamond `half` high over its interval `ci` (a bar
/// at the estimate without one), over the prediction interval `pi` as a dashed line with end
/// caps `cap` high.
#[allow(clippy::too_many_arguments)]
pub(super) fn draw_diamond<DB: DrawingBackend>(
    p: &Painter<'_, DB>,
    x: &dyn Fn(f64) -> f64,
    y: f64,
    est: f64,
    ci: Option<(f64, f64)>,
    pi: Option<(f64, f64)>,
    (half, cap): (f64, f64),
    ink: RGBColor,
) -> Result<(), PlotError> {
    if let Some((l, u)) = pi {
        p.dashed((x(l), y), (x(u), y), (4.0, 3.0), ink, 1.0)?;
        p.line((x(l), y - cap), (x(l), y + cap), ink, 1.0)?;
        p.line((x(u), y - cap), (x(u), y + cap), ink, 1.0)?;
    }
    let cx = x(est);
    match ci {
        Some((l, u)) => p.polygon(&[(x(l), y), (cx, y - half), (x(u), y), (cx, y + half)], ink),
        // No interval (e.g. HKSJ with one study): a bar at the estimate only.
        None => p.line((cx, y - half), (cx, y + half), ink, 2.0),
    }
}

/// The mark of an entry: square or dot with its interval line, or a diamond.
#[allow(clippy::too_many_arguments)]
fn draw_mark<DB: DrawingBackend>(
    p: &Painter<'_, DB>,
    e: &Entry,
    ticks: &Ticks,
    x: &dyn Fn(f64) -> f64,
    y: f64,
    f: f64,
    ink: RGBColor,
    diamond_half: f64,
    side: &dyn Fn(f64) -> f64,
) -> Result<(), PlotError> {
    let Some(est) = e.estimate.filter(|v| v.is_finite()) else {
        return Ok(());
    };
    let on_axis = (ticks.lo..=ticks.hi).contains(&est);
    match &e.mark {
        Mark::None => {}
        Mark::Square(w) => {
            if let Some(ci) = e.ci {
                interval_line(p, ci, ticks, x, y, f, ink)?;
            }
            if on_axis {
                square(p, (x(est), y), side(*w), ink)?;
            }
        }
        Mark::Dot => {
            if let Some(ci) = e.ci {
                interval_line(p, ci, ticks, x, y, f, ink)?;
            }
            if on_axis {
                p.dot((x(est), y), 0.32 * f, ink)?;
            }
        }
        Mark::Diamond(pi) => {
            let cap = 0.22 * diamond_half / 0.32;
            draw_diamond(p, x, y, est, e.ci, *pi, (diamond_half, cap), ink)?;
        }
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

/// The columns of `table`: the widest label and heading, and each extra column as wide as its
/// widest cell or header.
fn table_columns<DB: DrawingBackend>(
    p: &Painter<'_, DB>,
    table: &Table,
    numbers: &[Option<Numbers>],
    width: f64,
    f: f64,
    estimate_header: &str,
) -> Columns {
    let body = Font::regular(f);
    let bold = Font::bold(f);
    let entries = || {
        table.rows.iter().zip(numbers).filter_map(|(r, n)| match r {
            Row::Entry(e) => Some((e, if e.bold { bold } else { body }, n.as_ref())),
            _ => None,
        })
    };
    let label_need = widest(
        p,
        entries()
            .map(|(e, font, _)| (e.label.as_str(), font))
            .chain(table.rows.iter().filter_map(|r| match r {
                Row::Heading(h) => Some((h.as_str(), bold)),
                _ => None,
            }))
            .chain([(table.label_header.as_str(), bold)]),
    );
    let cell_ws: Vec<f64> = table
        .columns
        .iter()
        .enumerate()
        .map(|(j, h)| {
            widest(
                p,
                entries()
                    .filter_map(|(e, font, _)| e.cells.get(j).map(|c| (c.as_str(), font)))
                    .chain([(h.as_str(), bold)]),
            )
        })
        .collect();
    let numbers: Vec<(&Numbers, Font)> = entries()
        .filter_map(|(_, font, n)| n.map(|n| (n, font)))
        .collect();
    columns(p, width, f, label_need, &cell_ws, &numbers, estimate_header)
}

/// Width of the widest of `items` in CSS pixels (0 for none).
pub(super) fn widest<'s, DB: DrawingBackend>(
    p: &Painter<'_, DB>,
    items: impl IntoIterator<Item = (&'s str, Font)>,
) -> f64 {
    items
        .into_iter()
        .map(|(s, font)| p.measure(s, font))
        .fold(0.0, f64::max)
}

/// Column positions: the label column `label_need` wide (up to a third of the width), the plot
/// in the middle, then the extra columns `cell_ws` wide and the three number pieces of
/// `numbers`, each as wide as its widest entry (together at least as wide as the header).
pub(super) fn columns<DB: DrawingBackend>(
    p: &Painter<'_, DB>,
    width: f64,
    f: f64,
    label_need: f64,
    cell_ws: &[f64],
    numbers: &[(&Numbers, Font)],
    estimate_header: &str,
) -> Columns {
    let bold = Font::bold(f);
    let margin = f;
    let gap = 1.6 * f;
    // A word space (Arial: 0.278 em); not measured, as browsers measure a lone space as 0.
    let space = 0.28 * f;
    let piece =
        |pick: fn(&Numbers) -> &str| widest(p, numbers.iter().map(|&(n, font)| (pick(n), font)));
    let est_w = piece(|n| &n.estimate);
    let lower_w = piece(|n| &n.lower);
    let upper_w = piece(|n| &n.upper);
    let numbers_w =
        (est_w + space + lower_w + space + upper_w).max(p.measure(estimate_header, bold));

    let cells_w: f64 = cell_ws.iter().map(|w| gap + w).sum();
    let right_w = cells_w + gap + numbers_w + margin;
    let min_plot = (0.28 * width).max(8.0 * f);
    let mut label_w = label_need.min(0.34 * width);
    if width - margin - label_w - gap - right_w < min_plot {
        label_w = (width - margin - gap - right_w - min_plot).max(3.0 * f);
    }
    let plot_left = margin + label_w + gap;
    let plot_right = (width - right_w).max(plot_left + f);
    let mut right = plot_right;
    let cells_right = cell_ws
        .iter()
        .map(|w| {
            right += gap + w;
            right
        })
        .collect();
    let upper_right = right + gap + numbers_w;
    let lower_right = upper_right - upper_w - space;
    let estimate_right = lower_right - lower_w - space;
    Columns {
        label_left: margin,
        label_width: label_w,
        plot_left,
        plot_right,
        cells_right,
        estimate_right,
        lower_right,
        upper_right,
    }
}

impl Columns {
    /// The horizontal position of a value on the effect axis with `ticks`.
    pub(super) fn scale<'c>(&'c self, ticks: &'c Ticks) -> impl Fn(f64) -> f64 + 'c {
        move |v: f64| {
            self.plot_left
                + (v - ticks.lo) / (ticks.hi - ticks.lo) * (self.plot_right - self.plot_left)
        }
    }
}

/// An interval as a line; an end beyond the axis stops there in an arrow.
pub(super) fn interval_line<DB: DrawingBackend>(
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
pub(super) fn numbers_text<DB: DrawingBackend>(
    p: &Painter<'_, DB>,
    n: &Numbers,
    cols: &Columns,
    y: f64,
    font: Font,
    color: RGBColor,
) -> Result<(), PlotError> {
    for (text, right) in [
        (&n.estimate, cols.estimate_right),
        (&n.lower, cols.lower_right),
        (&n.upper, cols.upper_right),
    ] {
        p.text(text, (right, y), font, color, HPos::Right, false)?;
    }
    Ok(())
}

/// "Heterogeneity: τ² = 0.31; I² = 92.2%; Q = 152.23, df = 12, p < 0.001" for a fit, as the
/// forest plot writes it; `None` without a Q test (one study).
pub(crate) fn heterogeneity_note(o: &Overall) -> Option<String> {
    if o.q_df == 0 || !o.q.is_finite() {
        return None;
    }
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
    Some(format!("Heterogeneity: {}", parts.join("; ")))
}

/// "Test for overall effect: z = -3.97, p < 0.001"; `None` without a statistic.
pub(crate) fn effect_test_note(o: &Overall) -> Option<String> {
    let stat = finite(o.stat)?;
    let name = match o.df {
        Some(df) => format!("t = {}, df = {df}", fmt2(stat)),
        None => format!("z = {}", fmt2(stat)),
    };
    let p = finite(o.p)
        .map(|p| format!(", {}", fmt_p(p)))
        .unwrap_or_default();
    Some(format!("Test for overall effect: {name}{p}"))
}
