//! Reading one cell as a number, the way people type numbers into spreadsheets.

use crate::error::Error;

/// What a cell holds when read as a number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NumberCell {
    /// Nothing: an empty cell, or a missing-value marker (`NA`, `N/A`, `.`).
    Empty,
    /// A finite number.
    Number(f64),
    /// `NaN`, an infinity, or a number too large for a double.
    NotFinite,
    /// Text that is not a number.
    NotANumber,
}

impl NumberCell {
    /// The cell as an optional number, or the error that names `row`, `column` and the cell as
    /// typed (`cell` is trimmed here).
    ///
    /// # Errors
    /// [`Error::NotFinite`] or [`Error::NotANumber`].
    pub fn into_result(self, row: usize, column: &str, cell: &str) -> Result<Option<f64>, Error> {
        match self {
            NumberCell::Empty => Ok(None),
            NumberCell::Number(x) => Ok(Some(x)),
            NumberCell::NotFinite => Err(Error::NotFinite {
                row,
                column: column.to_string(),
                value: trim_cell(cell).to_string(),
            }),
            NumberCell::NotANumber => Err(Error::NotANumber {
                row,
                column: column.to_string(),
                value: trim_cell(cell).to_string(),
            }),
        }
    }
}

/// Trims whitespace, including non-breaking and other Unicode spaces, and stray byte-order marks.
pub(crate) fn trim_cell(cell: &str) -> &str {
    cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

/// Minus signs that spreadsheets, word processors and typographers use in place of `-`.
const MINUS_SIGNS: [char; 4] = [
    '\u{2212}', // MINUS SIGN
    '\u{2013}', // EN DASH
    '\u{fe63}', // SMALL HYPHEN-MINUS
    '\u{ff0d}', // FULLWIDTH HYPHEN-MINUS
];

/// Reads one cell as a number.
///
/// * Surrounding whitespace (also non-breaking spaces) is ignored.
/// * An empty cell, `NA`, `N/A` (any case) and `.` are [`NumberCell::Empty`]: a missing value.
/// * The Unicode minus sign U+2212, the en dash U+2013, U+FE63 and U+FF0D count as `-`; a
///   leading `+` is allowed; scientific notation (`1e-3`, `1E+2`) is read.
/// * With `decimal_comma` (semicolon- or tab-separated input) a single `,` is the decimal mark
///   (`0,5` is 0.5) and `0.5` still works; a cell holding both `,` and `.` is not a number,
///   since one of them would have to be a thousands separator. Without it, any `,` makes the
///   cell not a number.
/// * `NaN`, `inf` and `Infinity` (any case, with or without a sign), and numbers beyond the
///   range of a double, are [`NumberCell::NotFinite`].
///
/// ```
/// use metapool::input::{parse_number, NumberCell};
/// assert_eq!(parse_number(" \u{2212}0,25 ", true), NumberCell::Number(-0.25));
/// assert_eq!(parse_number("NA", false), NumberCell::Empty);
/// assert_eq!(parse_number("-Inf", false), NumberCell::NotFinite);
/// assert_eq!(parse_number("0,25", false), NumberCell::NotANumber);
/// ```
pub fn parse_number(cell: &str, decimal_comma: bool) -> NumberCell {
    let cell = trim_cell(cell);
    if is_missing(cell) {
        return NumberCell::Empty;
    }
    let mut text: String = cell
        .chars()
        .map(|c| if MINUS_SIGNS.contains(&c) { '-' } else { c })
        .collect();
    if is_non_finite_word(&text) {
        return NumberCell::NotFinite;
    }
    let commas = text.matches(',').count();
    if commas > 0 {
        if !decimal_comma || commas > 1 || text.contains('.') {
            return NumberCell::NotANumber;
        }
        text = text.replace(',', ".");
    }
    // `f64::from_str` also takes words such as "infinity"; only digits, signs, the decimal point
    // and exponent marks may reach it.
    if !text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'))
    {
        return NumberCell::NotANumber;
    }
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() => NumberCell::Number(x),
        Ok(_) => NumberCell::NotFinite,
        Err(_) => NumberCell::NotANumber,
    }
}

/// Whether a trimmed cell is one of the missing-value markers.
fn is_missing(cell: &str) -> bool {
    cell.is_empty()
        || cell == "."
        || cell.eq_ignore_ascii_case("na")
        || cell.eq_ignore_ascii_case("n/a")
}

/// `NaN`, `inf`, `infinity` in any case, with an optional sign.
fn is_non_finite_word(text: &str) -> bool {
    let word = text
        .strip_prefix(['+', '-'])
        .unwrap_or(text)
        .to_ascii_lowercase();
    matches!(word.as_str(), "nan" | "inf" | "infinity")
}

#[cfg(test)]
mod tests {
    use super::*;
    use NumberCell::*;

    #[test]
    fn plain_numbers() {
        assert_eq!(parse_number("0.5", false), Number(0.5));
        assert_eq!(parse_number("-1.25", false), Number(-1.25));
        assert_eq!(parse_number("+2", false), Number(2.0));
        assert_eq!(parse_number(".5", false), Number(0.5));
        assert_eq!(parse_number("3", false), Number(3.0));
    }

    #[test]
    fn scientific_notation() {
        assert_eq!(parse_number("1e-3", false), Number(0.001));
        assert_eq!(parse_number("1E+2", false), Number(100.0));
        assert_eq!(parse_number("2,5e-1", true), Number(0.25));
        assert_eq!(parse_number("1e\u{2212}2", false), Number(0.01));
    }

    #[test]
    fn whitespace_including_non_breaking_is_trimmed() {
        assert_eq!(parse_number("  0.5\t", false), Number(0.5));
        assert_eq!(parse_number("\u{a0}0.5\u{a0}", false), Number(0.5));
        assert_eq!(parse_number("\u{202f}-1\u{2007}", false), Number(-1.0));
        assert_eq!(parse_number("\u{a0}", false), Empty);
    }

    #[test]
    fn missing_markers_are_empty() {
        for cell in ["", "   ", "NA", "na", "Na", "N/A", "n/a", ".", " NA "] {
            assert_eq!(parse_number(cell, false), Empty, "{cell:?}");
            assert_eq!(parse_number(cell, true), Empty, "{cell:?}");
        }
    }

    #[test]
    fn unicode_minus_signs() {
        for minus in ['\u{2212}', '\u{2013}', '\u{fe63}', '\u{ff0d}'] {
            assert_eq!(
                parse_number(&format!("{minus}0.3"), false),
                Number(-0.3),
                "{minus:?}"
            );
        }
    }

    #[test]
    fn decimal_comma_only_when_asked() {
        assert_eq!(parse_number("0,5", true), Number(0.5));
        assert_eq!(parse_number("0.5", true), Number(0.5));
        assert_eq!(parse_number("-1,5", true), Number(-1.5));
        assert_eq!(parse_number("0,5", false), NotANumber);
        assert_eq!(parse_number("1.000,5", true), NotANumber);
        assert_eq!(parse_number("1,000.5", true), NotANumber);
        assert_eq!(parse_number("1,000,5", true), NotANumber);
        assert_eq!(parse_number(",", true), NotANumber);
    }

    #[test]
    fn non_finite_words() {
        for cell in [
            "NaN",
            "nan",
            "inf",
            "-inf",
            "+Inf",
            "Infinity",
            "-INFINITY",
            "\u{2212}Inf",
            "1e999",
        ] {
            assert_eq!(parse_number(cell, false), NotFinite, "{cell:?}");
        }
    }

    #[test]
    fn text_is_not_a_number() {
        for cell in [
            "abc", "0.5a", "1 000", "--1", "1..2", "e", "-", "+", "0x10", "1_000", "infinite", "½",
        ] {
            assert_eq!(parse_number(cell, false), NotANumber, "{cell:?}");
        }
    }

    #[test]
    fn errors_name_row_column_and_cell_as_typed() {
        assert_eq!(
            parse_number(" abc ", false).into_result(3, "vi", " abc "),
            Err(Error::NotANumber {
                row: 3,
                column: "vi".into(),
                value: "abc".into()
            })
        );
        assert_eq!(
            parse_number("-Inf", false).into_result(2, "yi", "-Inf"),
            Err(Error::NotFinite {
                row: 2,
                column: "yi".into(),
                value: "-Inf".into()
            })
        );
        assert_eq!(
            parse_number("NA", false).into_result(1, "yi", "NA"),
            Ok(None)
        );
        assert_eq!(
            parse_number("\u{2212}1", false).into_result(1, "yi", "\u{2212}1"),
            Ok(Some(-1.0))
        );
    }
}
