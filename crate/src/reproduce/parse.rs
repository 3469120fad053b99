//! A pooled result as papers print it, read into numbers with the decimals they were printed with.
//!
//! # What is read
//! The estimate and its confidence limits — `-0.07 (-0.11, -0.04)`, `−0.07 [−0.11; −0.04]`,
//! `-0.07 (95% CI -0.11 to -0.04)`, `0.93 (0.87–1.01)` — and, when the text has them, labelled
//! heterogeneity numbers and a prediction interval:
//!
//! | label | read as |
//! |---|---|
//! | `I² =`, `I^2`, `I2`, `I-squared` | I² in percent (`92%` or `92`) |
//! | `τ² =`, `tau^2`, `tau2`, `tau²`, `T²`, `tau-squared` | τ² |
//! | `τ =`, `tau =` | τ |
//! | `PI`, `prediction interval`, `predictive interval` | the prediction interval's two limits |
//! | `p`, `Q`, `Q(12)`, `χ²`, `chi2`, `z`, `t`, `df`, `k`, `n`, `H²` | read past and ignored |
//!
//! Labels are matched ignoring case, as whole words; between a label and its number only
//! `=`, `:`, `<`, `>`, `≈`, brackets and a bracketed group before the sign (`Q(12) = …`,
//! `PI (95%): …`) may stand. A level written as `95% CI` or `90% PI` is read too. Numbers are
//! read by [`printed_numbers`]: minus signs `-`, U+2212 or a dash; limits separated by `,`, `;`,
//! "to" or a dash right after a digit; a decimal comma when the text has no point and separates
//! its limits with `;` or "to".
//!
//! # Errors
//! [`Error::BadResult`] naming the text and what is wrong: no or too many numbers, reversed
//! limits, an estimate outside its limits, a label without its number, an I² outside 0–100 or a
//! negative τ².

use crate::error::Error;
use crate::mediation::rounding::{printed_numbers, PrintedNumber};
use serde::{Deserialize, Serialize};

/// One printed number: its value and how many decimals it was printed with (negative for a
/// number printed in tens or more, e.g. `1.2e3` has −2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Printed {
    pub value: f64,
    pub decimals: i32,
}

impl Printed {
    fn from(n: &PrintedNumber) -> Printed {
        Printed {
            value: n.value,
            // Clamped: "1e-400" has no meaningful last digit, and the step must stay a number.
            decimals: (-(2.0 * n.half_unit).log10()).round().clamp(-300.0, 300.0) as i32,
        }
    }

    /// The rounding step of the number as printed: one unit in its last digit (`-0.71` → 0.01).
    pub fn step(&self) -> f64 {
        10f64.powi(-self.decimals)
    }
}

/// The reported numbers a setting must reproduce, named as in the report's JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Quantity {
    #[serde(rename = "estimate")]
    Estimate,
    #[serde(rename = "ci_lower")]
    CiLower,
    #[serde(rename = "ci_upper")]
    CiUpper,
    #[serde(rename = "tau2")]
    Tau2,
    #[serde(rename = "tau")]
    Tau,
    #[serde(rename = "I2")]
    I2,
    #[serde(rename = "pi_lower")]
    PiLower,
    #[serde(rename = "pi_upper")]
    PiUpper,
}

impl Quantity {
    /// The JSON name (`estimate`, `ci_lower`, …, `I2`, `pi_upper`).
    pub fn code(self) -> &'static str {
        match self {
            Quantity::Estimate => "estimate",
            Quantity::CiLower => "ci_lower",
            Quantity::CiUpper => "ci_upper",
            Quantity::Tau2 => "tau2",
            Quantity::Tau => "tau",
            Quantity::I2 => "I2",
            Quantity::PiLower => "pi_lower",
            Quantity::PiUpper => "pi_upper",
        }
    }
}

/// A published pooled result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Published {
    /// The text as given.
    pub text: String,
    pub estimate: Printed,
    pub ci_lower: Printed,
    pub ci_upper: Printed,
    pub tau2: Option<Printed>,
    pub tau: Option<Printed>,
    /// I² in percent.
    #[serde(rename = "I2")]
    pub i2: Option<Printed>,
    pub pi_lower: Option<Printed>,
    pub pi_upper: Option<Printed>,
    /// The CI's level when the text states it ("90% CI" → 0.9).
    pub level: Option<f64>,
    /// The prediction interval's level when the text states it.
    pub pi_level: Option<f64>,
}

impl Published {
    /// Every reported number with its name, in a fixed order.
    pub fn numbers(&self) -> Vec<(Quantity, Printed)> {
        let mut out = vec![
            (Quantity::Estimate, self.estimate),
            (Quantity::CiLower, self.ci_lower),
            (Quantity::CiUpper, self.ci_upper),
        ];
        let optional = [
            (Quantity::Tau2, self.tau2),
            (Quantity::Tau, self.tau),
            (Quantity::I2, self.i2),
            (Quantity::PiLower, self.pi_lower),
            (Quantity::PiUpper, self.pi_upper),
        ];
        out.extend(optional.into_iter().filter_map(|(q, p)| p.map(|p| (q, p))));
        out
    }

    /// Whether the estimate, its limits and any prediction limits are all positive, so that they
    /// may be ratios printed on the exponentiated scale.
    pub fn all_positive(&self) -> bool {
        [Some(self.estimate), Some(self.ci_lower), Some(self.ci_upper), self.pi_lower, self.pi_upper]
            .into_iter()
            .flatten()
            .all(|p| p.value > 0.0)
    }

    /// Reads a published result (see the module docs for what is accepted).
    ///
    /// # Errors
    /// [`Error::BadResult`] naming the text and the problem.
    ///
    /// ```
    /// use metapool::reproduce::Published;
    /// let p = Published::parse("\u{2212}0.71 (95% CI \u{2212}1.06 to \u{2212}0.36), I\u{b2} = 92%").unwrap();
    /// assert_eq!((p.estimate.value, p.ci_lower.value, p.ci_upper.value), (-0.71, -1.06, -0.36));
    /// assert_eq!(p.estimate.decimals, 2);
    /// assert_eq!(p.i2.unwrap().value, 92.0);
    /// assert_eq!(p.level, Some(0.95));
    /// ```
    pub fn parse(text: &str) -> Result<Published, Error> {
        let bad = |problem: String| Error::BadResult {
            option: "reproduce".into(),
            text: text.into(),
            problem,
        };
        let chars: Vec<char> = text.chars().collect();
        let lower: Vec<char> = chars.iter().map(|c| c.to_lowercase().next().unwrap_or(*c)).collect();
        let numbers = printed_numbers(text)
            .ok_or_else(|| bad("a sign stands before something that is not a number".into()))?;
        if let Some(n) = numbers.iter().find(|n| !n.value.is_finite() || (n.value != 0.0 && n.value.abs() < 1e-300)) {
            return Err(bad(format!("the number {} is too large or too small to use", chars[n.span.clone()].iter().collect::<String>())));
        }
        if numbers.iter().all(|n| n.percent) {
            return Err(bad("it has no numbers besides levels".into()));
        }
        let labels = find_labels(&lower);
        let mut used = vec![false; numbers.len()];
        // Numbers inside a label ("I2", "tau^2", "chi2") belong to the label.
        for l in &labels {
            for (j, n) in numbers.iter().enumerate() {
                if n.span.start < l.span.end && n.span.end > l.span.start {
                    used[j] = true;
                }
            }
        }
        let mut found = Found::default();
        for l in &labels {
            let taken = take_values(&lower, &numbers, &used, l).map_err(&bad)?;
            for &j in taken.numbers.iter().chain(&taken.skipped) {
                used[j] = true;
            }
            if let Some(level) = taken.level {
                found.pi_level = found.pi_level.or(Some(level));
            }
            let value = |k: usize| Printed::from(&numbers[taken.numbers[k]]);
            match l.kind {
                Kind::I2 => found.i2 = Some(value(0)),
                Kind::Tau2 => found.tau2 = Some(value(0)),
                Kind::Tau => found.tau = Some(value(0)),
                Kind::Pi => found.pi = Some((value(0), value(1))),
                Kind::Ignored => {}
            }
        }
        // Levels: "95% CI", "90% PI"; the main numbers are what is left.
        let mut main = Vec::new();
        for (j, n) in numbers.iter().enumerate() {
            if used[j] {
                continue;
            }
            if !n.percent {
                main.push(n);
                continue;
            }
            let after = skip_spaces(&lower, n.span.end + 1);
            let level = (n.value > 0.0 && n.value < 100.0).then_some(n.value / 100.0);
            if starts_with(&lower, after, "pi") || starts_with(&lower, after, "predict") {
                found.pi_level = found.pi_level.or(level);
            } else if starts_with(&lower, after, "ci") || starts_with(&lower, after, "conf") {
                found.level = found.level.or(level);
            }
        }
        let [e, l, u] = main[..] else {
            let listed: Vec<String> = main.iter().map(|n| format_number(n.value)).collect();
            return Err(bad(match main.len() {
                0 => "it has no estimate and confidence limits".into(),
                n if n < 3 => format!(
                    "it has {} ({}) where an estimate and two confidence limits are needed",
                    if n == 1 { "one number" } else { "two numbers" },
                    listed.join(", ")
                ),
                n => format!(
                    "it has {n} unlabelled numbers ({}) where an estimate and two confidence limits are needed; label the others (I\u{b2} =, \u{3c4}\u{b2} =, PI)",
                    listed.join(", ")
                ),
            }));
        };
        let (e, l, u) = (Printed::from(e), Printed::from(l), Printed::from(u));
        if l.value > u.value {
            return Err(bad(format!(
                "the lower limit {} is above the upper limit {}",
                format_number(l.value),
                format_number(u.value)
            )));
        }
        if e.value < l.value || e.value > u.value {
            return Err(bad(format!(
                "the estimate {} lies outside its limits {} to {}",
                format_number(e.value),
                format_number(l.value),
                format_number(u.value)
            )));
        }
        if let Some((pl, pu)) = found.pi {
            if pl.value > pu.value {
                return Err(bad(format!(
                    "the prediction interval's lower limit {} is above its upper limit {}",
                    format_number(pl.value),
                    format_number(pu.value)
                )));
            }
        }
        if let Some(i2) = found.i2 {
            if !(0.0..=100.0).contains(&i2.value) {
                return Err(bad(format!("I\u{b2} = {}% is not a percentage from 0 to 100", format_number(i2.value))));
            }
        }
        for (name, t) in [("\u{3c4}\u{b2}", found.tau2), ("\u{3c4}", found.tau)] {
            if let Some(t) = t {
                if t.value < 0.0 {
                    return Err(bad(format!("{name} = {} is negative", format_number(t.value))));
                }
            }
        }
        Ok(Published {
            text: text.to_string(),
            estimate: e,
            ci_lower: l,
            ci_upper: u,
            tau2: found.tau2,
            tau: found.tau,
            i2: found.i2,
            pi_lower: found.pi.map(|p| p.0),
            pi_upper: found.pi.map(|p| p.1),
            level: found.level,
            pi_level: found.pi_level,
        })
    }
}

/// A number for a message, as Rust prints it (shortest form that reads back the same).
fn format_number(x: f64) -> String {
    format!("{x}")
}

#[derive(Default)]
struct Found {
    tau2: Option<Printed>,
    tau: Option<Printed>,
    i2: Option<Printed>,
    pi: Option<(Printed, Printed)>,
    level: Option<f64>,
    pi_level: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    I2,
    Tau2,
    Tau,
    Pi,
    /// Read past: p-values, Q, test statistics, counts.
    Ignored,
}

impl Kind {
    /// The label as messages show it.
    fn name(self) -> &'static str {
        match self {
            Kind::I2 => "I\u{b2}",
            Kind::Tau2 => "\u{3c4}\u{b2}",
            Kind::Tau => "\u{3c4}",
            Kind::Pi => "the prediction interval",
            Kind::Ignored => "a label",
        }
    }
}

/// Labels in lower case; at each position the longest that fits is taken.
const LABELS: &[(&str, Kind)] = &[
    ("prediction interval", Kind::Pi),
    ("predictive interval", Kind::Pi),
    ("pred. int.", Kind::Pi),
    ("pi", Kind::Pi),
    ("i-squared", Kind::I2),
    ("i squared", Kind::I2),
    ("i\u{b2}", Kind::I2),
    ("i^2", Kind::I2),
    ("i2", Kind::I2),
    ("tau-squared", Kind::Tau2),
    ("tau squared", Kind::Tau2),
    ("tau\u{b2}", Kind::Tau2),
    ("tau^2", Kind::Tau2),
    ("tau2", Kind::Tau2),
    ("\u{3c4}\u{b2}", Kind::Tau2),
    ("\u{3c4}^2", Kind::Tau2),
    ("\u{3c4}2", Kind::Tau2),
    ("t\u{b2}", Kind::Tau2),
    ("t^2", Kind::Tau2),
    ("tau", Kind::Tau),
    ("\u{3c4}", Kind::Tau),
    ("p-value", Kind::Ignored),
    ("p value", Kind::Ignored),
    ("p", Kind::Ignored),
    ("q", Kind::Ignored),
    ("chi-squared", Kind::Ignored),
    ("chi\u{b2}", Kind::Ignored),
    ("chi^2", Kind::Ignored),
    ("chi2", Kind::Ignored),
    ("\u{3c7}\u{b2}", Kind::Ignored),
    ("\u{3c7}^2", Kind::Ignored),
    ("\u{3c7}2", Kind::Ignored),
    ("h\u{b2}", Kind::Ignored),
    ("h^2", Kind::Ignored),
    ("h2", Kind::Ignored),
    ("df", Kind::Ignored),
    ("z", Kind::Ignored),
    ("t", Kind::Ignored),
    ("k", Kind::Ignored),
    ("n", Kind::Ignored),
];

#[derive(Debug, Clone)]
struct Label {
    kind: Kind,
    span: std::ops::Range<usize>,
}

fn starts_with(chars: &[char], at: usize, pattern: &str) -> bool {
    (at..).zip(pattern.chars()).all(|(i, p)| chars.get(i) == Some(&p))
}

fn skip_spaces(chars: &[char], mut i: usize) -> usize {
    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    i
}

/// Every label standing as a whole word (no letter or digit right before or after it).
fn find_labels(lower: &[char]) -> Vec<Label> {
    let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric());
    let mut labels = Vec::new();
    let mut i = 0;
    while i < lower.len() {
        if i > 0 && word(lower.get(i - 1)) {
            i += 1;
            continue;
        }
        let best = LABELS
            .iter()
            .filter(|(p, _)| starts_with(lower, i, p))
            .map(|(p, kind)| (p.chars().count(), *kind))
            .filter(|(n, _)| !word(lower.get(i + n)))
            .max_by_key(|(n, _)| *n);
        match best {
            Some((n, kind)) => {
                labels.push(Label { kind, span: i..i + n });
                i += n;
            }
            None => i += 1,
        }
    }
    labels
}

/// The numbers a label takes, and a level written in a group after it (`PI (95%): …`).
struct Taken {
    numbers: Vec<usize>,
    /// Numbers read past: a bracketed group between the label and its value (`(12)`, `(95%)`).
    skipped: Vec<usize>,
    level: Option<f64>,
}

/// Reads the number(s) after a label: one for I², τ², τ and ignored labels, two for a
/// prediction interval. An ignored label without a number takes none.
fn take_values(lower: &[char], numbers: &[PrintedNumber], used: &[bool], label: &Label) -> Result<Taken, String> {
    let starting_at = |pos: usize| numbers.iter().position(|n| n.span.start == pos);
    let mut pos = skip_spaces(lower, label.span.end);
    let mut level = None;
    let mut skipped = Vec::new();
    // A bracketed group before the value: "Q(12) = …", "PI (95%): …".
    if lower.get(pos) == Some(&'(') {
        if let Some(close) = (pos..lower.len().min(pos + 24)).find(|&j| lower[j] == ')') {
            let after = skip_spaces(lower, close + 1);
            if matches!(lower.get(after), Some('=' | ':' | '<' | '>' | '\u{2264}' | '\u{2265}')) {
                skipped = (0..numbers.len()).filter(|&j| numbers[j].span.start > pos && numbers[j].span.end <= close).collect();
                level = skipped.iter().map(|&j| &numbers[j]).find(|n| n.percent).map(|n| n.value / 100.0);
                pos = after;
            }
        }
    }
    let wanted = if label.kind == Kind::Pi { 2 } else { 1 };
    let mut taken = Vec::new();
    let missing = || match label.kind {
        Kind::Pi => "the prediction interval needs two limits after its label (PI \u{2212}0.5 to 0.2)".to_string(),
        k => format!("{} needs a number after it ({} = \u{2026})", k.name(), k.name()),
    };
    while taken.len() < wanted {
        match starting_at(pos) {
            Some(j) if !used[j] => {
                let n = &numbers[j];
                if n.percent && label.kind == Kind::Pi && taken.is_empty() {
                    // "PI 95% −1.9 to 0.4": the level.
                    level = level.or(Some(n.value / 100.0));
                    pos = skip_spaces(lower, n.span.end + 1);
                    continue;
                }
                taken.push(j);
                pos = n.span.end + usize::from(n.percent);
                continue;
            }
            Some(_) if label.kind == Kind::Ignored => break,
            Some(_) => return Err(missing()),
            None => {}
        }
        let separators: &[char] = if taken.is_empty() {
            &['=', ':', '<', '>', '\u{2264}', '\u{2265}', '\u{2248}', '~', '(', '[', ' ', '\t']
        } else {
            &[',', ';', '\u{2013}', '\u{2014}', '-', ' ', '\t', '\u{2212}']
        };
        match lower.get(pos) {
            Some(c) if c.is_whitespace() || separators.contains(c) => pos += 1,
            _ if !taken.is_empty() && starts_with(lower, pos, "to") => pos += 2,
            _ if !taken.is_empty() && starts_with(lower, pos, "and") => pos += 3,
            // A word that only looks like a label ("n studies"): nothing to read.
            _ if label.kind == Kind::Ignored => break,
            _ => return Err(missing()),
        }
    }
    Ok(Taken { numbers: taken, skipped, level })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> (f64, f64, f64) {
        let p = Published::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        (p.estimate.value, p.ci_lower.value, p.ci_upper.value)
    }

    #[test]
    fn labels_are_whole_words() {
        let l = find_labels(&"p = 0.01, pooled tau2 = 0.3 to".chars().collect::<Vec<_>>());
        let kinds: Vec<Kind> = l.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, [Kind::Ignored, Kind::Tau2]);
    }

    #[test]
    fn decimals_of_printed_numbers() {
        let p = Published::parse("0.930 (0.87, 1.0)").unwrap();
        assert_eq!([p.estimate.decimals, p.ci_lower.decimals, p.ci_upper.decimals], [3, 2, 1]);
        assert!((p.ci_upper.step() - 0.1).abs() < 1e-15);
    }

    #[test]
    fn the_old_forms_still_read() {
        assert_eq!(values("IE = -.07, 95% CI [-.11, -.04]"), (-0.07, -0.11, -0.04));
        assert_eq!(values("-0,07 (-0,11; -0,04)"), (-0.07, -0.11, -0.04));
    }
}
