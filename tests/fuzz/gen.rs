//! Fuzz cases from a seed: arbitrary bytes and strings, junk tables, and valid tables of every
//! kind the reader understands with mutated cells, each with an arbitrary set of options.
//!
//! Everything is drawn from [`Rng`], a SplitMix64 stream, so a (run seed, case number) pair
//! gives the same document on every machine.

use metapool::input::Role;
use metapool::{Columns, Document, Options};
use std::collections::BTreeMap;

/// SplitMix64 (Steele, Lea & Flood 2014): small, fast, and good enough to pick test cases.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The generator of case `case` of a run seeded with `seed`.
    pub fn for_case(seed: u64, case: u64) -> Self {
        let mut r = Rng(seed ^ case.wrapping_mul(0xA24B_AED4_963E_E407));
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A whole number in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// A number spread evenly on the log scale between lo and hi (both > 0).
    pub fn log_range(&mut self, lo: f64, hi: f64) -> f64 {
        (self.range(lo.ln(), hi.ln())).exp()
    }

    /// A standard normal draw (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---- options ----

const METHODS: &[&str] = &["FE", "DL", "REML", "ML", "PM", "HS", "SJ", "HE", "EB", "ee", "CE", " reml ", "dl"];
const BAD_WORDS: &[&str] = &["", "bogus", "RE", "é", "\u{0}", "REML;DROP", "z z", "NaN"];
const LEVELS: &[f64] = &[
    0.95, 0.9, 0.99, 0.5, 0.8, 1e-9, 0.999_999_999, 1e-300, 0.0, 1.0, -0.5, 1.5, 95.0, f64::NAN,
    f64::INFINITY, f64::MIN_POSITIVE, 1.0 - f64::EPSILON,
];

fn maybe<T>(rng: &mut Rng, p: f64, f: impl FnOnce(&mut Rng) -> T) -> Option<T> {
    if rng.chance(p) {
        Some(f(rng))
    } else {
        None
    }
}

fn word(rng: &mut Rng, good: &[&str]) -> String {
    if rng.chance(0.97) {
        rng.pick(good).to_string()
    } else {
        rng.pick(BAD_WORDS).to_string()
    }
}

fn level(rng: &mut Rng) -> f64 {
    if rng.chance(0.7) {
        *rng.pick(&LEVELS[..5])
    } else if rng.chance(0.5) {
        *rng.pick(LEVELS)
    } else {
        rng.unit()
    }
}

/// A column name for an option: usually one of `columns`, sometimes one that is not there.
fn column_name(rng: &mut Rng, columns: &[String]) -> String {
    if !columns.is_empty() && rng.chance(0.85) {
        let c = rng.pick(columns).clone();
        match rng.below(10) {
            0 => c.to_uppercase(),
            1 => format!(" {c} "),
            _ => c,
        }
    } else {
        rng.pick(&["nothere", "yi", "vi", "study", "", ",", "ä", "\"q\""]).to_string()
    }
}

fn columns_option(rng: &mut Rng, columns: &[String]) -> Columns {
    let n = 1 + rng.below(3);
    let names: Vec<String> = (0..n).map(|_| column_name(rng, columns)).collect();
    if rng.chance(0.5) {
        Columns::Text(names.join(","))
    } else {
        Columns::List(names)
    }
}

const REPORTED: &[&str] = &[
    "\u{2212}0.07 (\u{2212}0.11, \u{2212}0.04)",
    "0.3 [0.1; 0.5]",
    "0.21 (95% CI 0.10 to 0.32)",
    "-0,07 (-0,11; -0,04)",
    "1e300 (1e299, 1e301)",
    "0 (0, 0)",
    "0.5 (0.9, 0.1)",
    "abc",
    "",
    "1 2",
    "-.5 (-.6, -.4) extra 7",
    "9999999999999999999999 (1, 2)",
];

/// Arbitrary options; `columns` are the data's non-effect columns (for by, mods, …). Options
/// added later take their defaults until the generator learns them.
#[allow(clippy::needless_update)]
pub fn options(rng: &mut Rng, columns: &[String], headers: &[String]) -> Options {
    let roles = maybe(rng, 0.08, |rng| {
        let all = [
            Role::Study, Role::Yi, Role::Vi, Role::Sei, Role::Lower, Role::Upper, Role::A,
            Role::Sa, Role::B, Role::Sb, Role::CovAb, Role::Other,
        ];
        let mut m = BTreeMap::new();
        for _ in 0..1 + rng.below(3) {
            let name = if !headers.is_empty() && rng.chance(0.8) {
                rng.pick(headers).clone()
            } else {
                "ghost".to_string()
            };
            m.insert(name, *rng.pick(&all));
        }
        m
    });
    Options {
        method: maybe(rng, 0.9, |rng| word(rng, METHODS)),
        ci: maybe(rng, 0.6, |rng| word(rng, &["z", "hksj", "knha", "wald"])),
        level: maybe(rng, 0.4, level),
        ci_level_in: maybe(rng, 0.2, level),
        roles,
        by: maybe(rng, 0.25, |rng| column_name(rng, columns)),
        mods: maybe(rng, 0.25, |rng| columns_option(rng, columns)),
        leave1out: maybe(rng, 0.4, |rng| rng.chance(0.7)),
        cumulative: maybe(rng, 0.3, |rng| rng.chance(0.7)),
        cumulative_by: maybe(rng, 0.15, |rng| column_name(rng, columns)),
        bias: maybe(rng, 0.4, |rng| rng.chance(0.7)),
        mediation: maybe(rng, 0.3, |rng| word(rng, &["ie", "paths", "PATHS"])),
        ci_se_rule: maybe(rng, 0.3, |rng| word(rng, &["width", "wider", "zero_side"])),
        rounding: maybe(rng, 0.15, |rng| rng.chance(0.7)),
        reported: maybe(rng, 0.08, |rng| rng.pick(REPORTED).to_string()),
        table: maybe(rng, 0.15, |rng| columns_option(rng, columns)),
        ie_se: maybe(rng, 0.3, |rng| word(rng, &["sobel", "aroian"])),
        // The default (10^5 draws per study given by paths) costs milliseconds per study: keep it
        // rare, and draw small valid or invalid counts otherwise.
        mc_draws: match rng.below(100) {
            0..=2 => None,
            3..=6 => Some(*rng.pick(&[999, 1, 10_000_001, usize::MAX])),
            _ => Some(*rng.pick(&[0, 1000, 2000])),
        },
        seed: maybe(rng, 0.5, Rng::next_u64),
        ..Options::default()
    }
}

// ---- valid tables ----

/// A table before it is written as text.
#[derive(Debug, Clone)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The kind of source each row of a valid table gives.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Vi,
    Sei,
    Limits,
    /// Indirect effects with skewed (bootstrap-like) limits.
    IeLimits,
    Paths,
    /// Every source column present; each row fills one source.
    Mixed,
}

fn header(rng: &mut Rng, names: &[&str]) -> String {
    let name = rng.pick(names).to_string();
    match rng.below(8) {
        0 => name.to_uppercase(),
        1 => format!(" {name} "),
        _ => name,
    }
}

/// A number as people type it.
fn number(rng: &mut Rng, x: f64) -> String {
    let s = match rng.below(10) {
        0 => format!("{x:e}"),
        1 => format!("{x:.2}"),
        2 => format!("{x:.3}"),
        3 => format!("{x:.6}"),
        _ => format!("{x}"),
    };
    match rng.below(20) {
        0 => s.replacen('-', "\u{2212}", 1),
        1 if x >= 0.0 => format!("+{s}"),
        _ => s,
    }
}

/// A valid table: k studies of one kind, with label, grouping and moderator columns and the
/// columns of other designs (2×2 counts, means and SDs) that the reader keeps as extra columns.
pub fn valid_table(rng: &mut Rng) -> Table {
    let kind = *rng.pick(&[Kind::Vi, Kind::Vi, Kind::Sei, Kind::Limits, Kind::IeLimits, Kind::Paths, Kind::Mixed]);
    let k = match rng.below(20) {
        0 => 1,
        1 => 2,
        2 => 3,
        3 => 40 + rng.below(80),
        _ => 4 + rng.below(20),
    };
    let mu = rng.normal() * 0.5;
    let tau = if rng.chance(0.3) { 0.0 } else { rng.log_range(0.01, 1.0) };
    let se_range = *rng.pick(&[(0.03, 1.0), (0.1, 0.2), (1e-3, 10.0), (0.2, 0.2000001)]);
    let level_z = 1.959963984540054;

    let mut headers = Vec::new();
    if rng.chance(0.8) {
        headers.push(header(rng, &["study", "author", "Study ID", "trial", "label"]));
    }
    let effect_cols: Vec<String> = match kind {
        Kind::Vi => vec![header(rng, &["yi", "logOR", "effect", "SMD"]), header(rng, &["vi", "var", "variance"])],
        Kind::Sei => vec![header(rng, &["yi", "es", "Hedges g", "lnRR"]), header(rng, &["sei", "se", "std.err"])],
        Kind::Limits => vec![
            header(rng, &["yi", "estimate", "logHR"]),
            header(rng, &["lower", "CI lower", "ci.lb", "lcl"]),
            header(rng, &["upper", "CI upper", "ci.ub", "ucl"]),
        ],
        Kind::IeLimits => vec![
            header(rng, &["IE", "indirect effect", "yi"]),
            header(rng, &["lower", "LL", "lb"]),
            header(rng, &["upper", "UL", "ub"]),
        ],
        Kind::Paths => {
            let mut v = vec![
                header(rng, &["a", "a path"]),
                header(rng, &["sa", "SE(a)", "se_a"]),
                header(rng, &["b", "b path"]),
                header(rng, &["sb", "SE(b)", "se_b"]),
            ];
            if rng.chance(0.5) {
                v.push(header(rng, &["cov_ab", "cov"]));
            }
            v
        }
        Kind::Mixed => ["yi", "vi", "sei", "lower", "upper", "a", "sa", "b", "sb", "cov_ab"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    let first_effect = headers.len();
    headers.extend(effect_cols.iter().cloned());

    // Extra columns: a grouping, a numeric and a text moderator, a year, counts, means and SDs.
    let levels = 1 + rng.below(4);
    let extras: Vec<&str> = ["group", "dose", "alloc", "year", "ai", "bi", "ci", "di", "m1i", "sd1i", "n1i"]
        .into_iter()
        .filter(|_| rng.chance(0.45))
        .collect();
    headers.extend(extras.iter().map(|s| s.to_string()));

    let mut rows = Vec::new();
    for i in 0..k {
        let theta = mu + tau * rng.normal();
        let se = rng.log_range(se_range.0, se_range.1);
        let yi = theta + se * rng.normal();
        let mut row = Vec::new();
        if first_effect == 1 {
            row.push(match rng.below(12) {
                0 => String::new(),
                1 => "Ünïcødé \u{1F600} study".into(),
                2 => "Smith, \"2001\"".into(),
                3 => "=HYPERLINK(\"x\")".into(),
                4 => "<b>bold</b>".into(),
                _ => format!("Study {}", i + 1),
            });
        }
        let source = match kind {
            Kind::Mixed => *rng.pick(&[Kind::Vi, Kind::Sei, Kind::Limits, Kind::Paths]),
            k => k,
        };
        let mut cells: BTreeMap<&str, String> = BTreeMap::new();
        match source {
            Kind::Vi => {
                cells.insert("yi", number(rng, yi));
                cells.insert("vi", number(rng, se * se));
            }
            Kind::Sei => {
                cells.insert("yi", number(rng, yi));
                cells.insert("sei", number(rng, se));
            }
            Kind::Limits | Kind::IeLimits => {
                let skew = if source == Kind::IeLimits { rng.range(0.5, 1.5) } else { 1.0 };
                let half = level_z * se;
                cells.insert("yi", number(rng, yi));
                cells.insert("lower", number(rng, yi - half * skew));
                cells.insert("upper", number(rng, yi + half / skew));
            }
            Kind::Paths | Kind::Mixed => {
                let (a, b) = (0.3 + 0.3 * rng.normal(), 0.2 + 0.2 * rng.normal());
                let (sa, sb) = (rng.log_range(0.02, 0.3), rng.log_range(0.02, 0.3));
                cells.insert("a", number(rng, a));
                cells.insert("sa", number(rng, sa));
                cells.insert("b", number(rng, b));
                cells.insert("sb", number(rng, sb));
                if rng.chance(0.5) {
                    let cov = rng.range(-0.9, 0.9) * sa * sb;
                    cells.insert("cov_ab", number(rng, cov));
                }
            }
        }
        match kind {
            Kind::Mixed => {
                for name in ["yi", "vi", "sei", "lower", "upper", "a", "sa", "b", "sb", "cov_ab"] {
                    row.push(cells.get(name).cloned().unwrap_or_default());
                }
            }
            Kind::Paths => {
                let order = ["a", "sa", "b", "sb", "cov_ab"];
                for name in &order[..effect_cols.len()] {
                    row.push(cells.get(name).cloned().unwrap_or_default());
                }
            }
            _ => {
                let order: &[&str] = match kind {
                    Kind::Vi => &["yi", "vi"],
                    Kind::Sei => &["yi", "sei"],
                    _ => &["yi", "lower", "upper"],
                };
                for name in order {
                    row.push(cells.get(name).cloned().unwrap_or_default());
                }
            }
        }
        for &extra in &extras {
            row.push(match extra {
                "group" => format!("g{}", rng.below(levels)),
                "dose" => {
                    let x = rng.range(0.0, 50.0);
                    number(rng, x)
                }
                "alloc" => rng.pick(&["random", "alternate", "systematic"]).to_string(),
                "year" => (1950 + rng.below(70)).to_string(),
                "m1i" => {
                    let x = rng.range(-5.0, 5.0);
                    number(rng, x)
                }
                "sd1i" => {
                    let x = rng.log_range(0.1, 10.0);
                    number(rng, x)
                }
                _ => rng.below(200).to_string(),
            });
        }
        rows.push(row);
    }
    Table { headers, rows }
}

// ---- mutations ----

/// Cell values that have broken or might break a reader or a fit.
const ODD_CELLS: &[&str] = &[
    "", " ", "NA", "N/A", ".", "NaN", "nan", "inf", "-inf", "Infinity", "1e308", "-1e308", "1e309",
    "1e-308", "1e-320", "5e-324", "1e200", "-1e200", "1e-200", "1e150", "1e-150", "0", "-0", "+0",
    "-1", "-1e-300", "abc", "\u{2014}", "é", "１２", "\"", "\"\"", "\"x", "1,5", "1.5.5", "+", "-",
    "\u{2212}", "e5", "1e", "0x10", "١٢", "\u{FEFF}1", "1\u{A0}", "\u{1F600}", "\u{0}", "\t", ",",
    ";", "\r", "\n", "1;2", "999999999999999999999999999", "0.000000000000000000001", "-0.5",
    "100", "1e100", "1e-100",
];

fn mutate_cell(rng: &mut Rng, cell: &str) -> String {
    let x: Option<f64> = cell.trim().parse().ok();
    match (rng.below(8), x) {
        (0, Some(x)) => format!("{}", -x),
        (1, Some(x)) => format!("{:e}", x * 10f64.powi(rng.below(600) as i32 - 300)),
        (2, Some(x)) => format!("{}", x + rng.normal() * 1e-12),
        (3, _) => format!("{cell}{}", rng.pick(ODD_CELLS)),
        _ => rng.pick(ODD_CELLS).to_string(),
    }
}

/// Applies 0 to 4 random mutations to a valid table.
pub fn mutate(rng: &mut Rng, t: &mut Table) {
    if rng.chance(0.3) {
        return;
    }
    for _ in 0..1 + rng.below(4) {
        let width = t.headers.len().max(1);
        let nrows = t.rows.len();
        match rng.below(16) {
            0..=4 if nrows > 0 => {
                let (i, j) = (rng.below(nrows), rng.below(width));
                if let Some(cell) = t.rows[i].get_mut(j) {
                    *cell = mutate_cell(rng, cell);
                }
            }
            5 if nrows > 0 => {
                // The same mutation down a whole column.
                let j = rng.below(width);
                let new = mutate_cell(rng, "0.1");
                for row in &mut t.rows {
                    if let Some(cell) = row.get_mut(j) {
                        *cell = new.clone();
                    }
                }
            }
            6 if nrows > 0 => {
                let i = rng.below(nrows);
                if rng.chance(0.5) {
                    t.rows[i].push(rng.pick(ODD_CELLS).to_string());
                } else {
                    let n = rng.below(t.rows[i].len() + 1);
                    t.rows[i].truncate(n);
                }
            }
            7 => {
                let j = rng.below(width);
                if j < t.headers.len() {
                    t.headers[j] = rng
                        .pick(&["yi", "vi", "sei", "study", "", "a", "ci lower", "\u{1F600}", "YI", "se", "id"])
                        .to_string();
                }
            }
            8 if t.headers.len() > 1 => {
                let j = rng.below(t.headers.len());
                t.headers.remove(j);
                for row in &mut t.rows {
                    if j < row.len() {
                        row.remove(j);
                    }
                }
            }
            9 => {
                t.headers.push(rng.pick(&["extra", "notes", "yi", "b", "cov"]).to_string());
                for row in &mut t.rows {
                    row.push(rng.pick(ODD_CELLS).to_string());
                }
            }
            10 if nrows > 0 => {
                // Every row a copy of the first: identical effects and variances.
                let first = t.rows[0].clone();
                for row in &mut t.rows {
                    *row = first.clone();
                }
            }
            11 if nrows > 0 => {
                // One study far more precise than the rest, or far less.
                let i = rng.below(nrows);
                let factor = *rng.pick(&[1e-12, 1e-100, 1e12, 1e100]);
                for cell in &mut t.rows[i] {
                    if let Ok(x) = cell.trim().parse::<f64>() {
                        if x > 0.0 && x < 20.0 && rng.chance(0.7) {
                            *cell = format!("{:e}", x * factor);
                        }
                    }
                }
            }
            12 if nrows > 0 => {
                let i = rng.below(nrows);
                for _ in 0..rng.below(50) {
                    t.rows.push(t.rows[i].clone());
                }
            }
            13 => t.rows.clear(),
            14 if nrows > 1 => {
                let (i, j) = (rng.below(nrows), rng.below(width));
                let i2 = rng.below(nrows);
                if j < t.rows[i].len() && j < t.rows[i2].len() {
                    let tmp = t.rows[i][j].clone();
                    t.rows[i][j] = t.rows[i2][j].clone();
                    t.rows[i2][j] = tmp;
                }
            }
            _ => {
                // A whole column scaled by a power of ten.
                let j = rng.below(width);
                let factor = 10f64.powi(rng.below(41) as i32 * 15 - 300);
                for row in &mut t.rows {
                    if let Some(cell) = row.get_mut(j) {
                        if let Ok(x) = cell.trim().parse::<f64>() {
                            *cell = format!("{:e}", x * factor);
                        }
                    }
                }
            }
        }
    }
}

/// Writes a table as CSV/TSV text, with the variations people's files have.
pub fn write(rng: &mut Rng, t: &Table) -> String {
    let delimiter = *rng.pick(&[',', ',', ',', ';', '\t']);
    let decimal_comma = delimiter != ',' && rng.chance(0.5);
    let newline = if rng.chance(0.2) { "\r\n" } else { "\n" };
    let quote_all = rng.chance(0.1);
    let cell = |c: &str, numeric: bool| -> String {
        let c = if decimal_comma && numeric { c.replacen('.', ",", 1) } else { c.to_string() };
        if quote_all || c.contains(delimiter) || c.contains('"') || c.contains('\n') || c.contains('\r') {
            format!("\"{}\"", c.replace('"', "\"\""))
        } else {
            c
        }
    };
    let mut out = String::new();
    if rng.chance(0.05) {
        out.push('\u{feff}');
    }
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .map(|c| cell(c, c.trim().parse::<f64>().is_ok()))
            .collect::<Vec<_>>()
            .join(&delimiter.to_string())
    };
    out.push_str(&line(&t.headers));
    out.push_str(newline);
    for row in &t.rows {
        if rng.chance(0.02) {
            out.push_str(newline);
        }
        out.push_str(&line(row));
        out.push_str(newline);
    }
    if rng.chance(0.1) {
        out.pop();
    }
    out
}

// ---- arbitrary text ----

/// Arbitrary bytes, biased towards what a CSV reader cares about, read as (lossy) UTF-8.
pub fn bytes(rng: &mut Rng) -> String {
    let n = rng.below(400);
    let alphabet = b"0123456789.,;\t\n\r\"-+eE yivsabcNAna\xef\xbb\xbf\xe2\x88\x92\xff\x00";
    let bytes: Vec<u8> = (0..n)
        .map(|_| if rng.chance(0.8) { *rng.pick(alphabet) } else { rng.next_u64() as u8 })
        .collect();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if rng.chance(0.5) {
        // With a header the reader recognises, the bytes reach the number reader and the fits.
        format!("{}\n{text}", rng.pick(&["yi,vi", "study;yi;sei", "yi\tlower\tupper", "a,sa,b,sb"]))
    } else {
        text
    }
}

/// An arbitrary Unicode string.
pub fn unicode(rng: &mut Rng) -> String {
    let n = rng.below(200);
    (0..n)
        .map(|_| match rng.below(6) {
            0 => char::from_u32(rng.next_u64() as u32 % 0x11_0000).unwrap_or('\u{FFFD}'),
            1 => *rng.pick(&['\u{feff}', '\u{2212}', '\u{200f}', '\u{301}', '\u{a0}', '\u{2028}', '\u{0}', '\u{1F600}']),
            _ => *rng.pick(&['0', '1', '5', '.', ',', ';', '\t', '\n', '"', '-', 'e', 'y', 'i', 'v', ' ']),
        })
        .collect()
}

/// A header of recognised names over rows of odd cells.
pub fn junk_table(rng: &mut Rng) -> Table {
    let names = ["yi", "vi", "sei", "lower", "upper", "a", "sa", "b", "sb", "cov_ab", "study", "group", "x"];
    let width = 1 + rng.below(8);
    let headers: Vec<String> = (0..width).map(|_| rng.pick(&names).to_string()).collect();
    let rows = (0..rng.below(12))
        .map(|_| {
            (0..rng.below(width + 2))
                .map(|_| {
                    if rng.chance(0.5) {
                        let x = rng.normal() * 10f64.powi(rng.below(9) as i32 - 4);
                        number(rng, x)
                    } else {
                        rng.pick(ODD_CELLS).to_string()
                    }
                })
                .collect()
        })
        .collect();
    Table { headers, rows }
}

/// Mutates the text of a seed document (from the corpus or the bundled examples) cell by cell.
pub fn mutate_text(rng: &mut Rng, text: &str) -> String {
    let delimiter = if text.lines().next().is_some_and(|l| l.contains('\t')) {
        '\t'
    } else if text.lines().next().is_some_and(|l| l.matches(';').count() > l.matches(',').count()) {
        ';'
    } else {
        ','
    };
    let mut lines: Vec<Vec<String>> =
        text.lines().map(|l| l.split(delimiter).map(str::to_string).collect()).collect();
    for _ in 0..1 + rng.below(4) {
        if lines.is_empty() {
            break;
        }
        let i = rng.below(lines.len());
        match rng.below(6) {
            0 => {
                let copy = lines[i].clone();
                lines.insert(i, copy);
            }
            1 if lines.len() > 1 => {
                lines.remove(i);
            }
            _ => {
                if !lines[i].is_empty() {
                    let j = rng.below(lines[i].len());
                    lines[i][j] = mutate_cell(rng, &lines[i][j]);
                }
            }
        }
    }
    let d = delimiter.to_string();
    lines.iter().map(|l| l.join(&d)).collect::<Vec<_>>().join("\n") + "\n"
}

/// One fuzz case. `seeds` are documents to mutate (the corpus and the bundled examples).
pub fn document(rng: &mut Rng, seeds: &[Document]) -> Document {
    let (data, table) = match rng.below(20) {
        0 | 1 => (bytes(rng), None),
        2 => (unicode(rng), None),
        3 | 4 => {
            let t = junk_table(rng);
            (write(rng, &t), Some(t))
        }
        5..=7 if !seeds.is_empty() => {
            let seed = rng.pick(seeds).clone();
            let data = mutate_text(rng, &seed.data);
            if rng.chance(0.5) {
                return Document { data, options: seed.options };
            }
            (data, None)
        }
        _ => {
            let mut t = valid_table(rng);
            mutate(rng, &mut t);
            (write(rng, &t), Some(t))
        }
    };
    let headers: Vec<String> = match &table {
        Some(t) => t.headers.iter().map(|h| h.trim().to_string()).collect(),
        None => data.lines().next().unwrap_or_default().split([',', ';', '\t']).map(|h| h.trim().to_string()).collect(),
    };
    let others: Vec<String> = headers
        .iter()
        .filter(|h| metapool::input::detect_role(h) == Role::Other)
        .cloned()
        .collect();
    Document { data, options: options(rng, &others, &headers) }
}
