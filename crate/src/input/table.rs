//! Reading the text into a header and data rows of trimmed cells (CSV or TSV).

use super::number::trim_cell;
use crate::error::Error;

/// A data row: its number (from 1, blank lines not counted) and one trimmed cell per header
/// column (missing cells are empty).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) number: usize,
    pub(crate) cells: Vec<String>,
}

/// The text as a header (trimmed names) and data rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    pub(crate) headers: Vec<String>,
    pub(crate) rows: Vec<Row>,
    /// Whether `,` is the decimal mark: the cells are separated by semicolons or tabs.
    pub(crate) decimal_comma: bool,
}

/// Whether a line holds nothing but whitespace, quotes and separators.
fn is_blank_line(line: &str) -> bool {
    line.chars()
        .all(|c| c.is_whitespace() || matches!(c, ',' | ';' | '"' | '\u{feff}'))
}

/// The separator of the text, judged from its header line (the first line that is not blank):
/// a tab if the line has one outside quotes, else `;` if it has more semicolons than commas
/// outside quotes, else `,`.
pub(crate) fn detect_delimiter(text: &str) -> u8 {
    let Some(header) = text.lines().find(|line| !is_blank_line(line)) else {
        return b',';
    };
    let (mut in_quotes, mut tabs, mut semicolons, mut commas) = (false, 0, 0, 0);
    for c in header.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            '\t' if !in_quotes => tabs += 1,
            ';' if !in_quotes => semicolons += 1,
            ',' if !in_quotes => commas += 1,
            _ => {}
        }
    }
    if tabs > 0 {
        b'\t'
    } else if semicolons > commas {
        b';'
    } else {
        b','
    }
}

/// Whether the text ends inside a quoted cell, following the csv reader's rules: a quote opens a
/// quoted cell only as the first character of a cell, `""` inside it is a quote, and a lone `"`
/// closes it.
fn ends_inside_quotes(text: &str, delimiter: u8) -> bool {
    #[derive(Clone, Copy)]
    enum State {
        StartCell,
        InCell,
        InQuotes,
        QuoteInQuotes,
    }
    let mut state = State::StartCell;
    for &byte in text.as_bytes() {
        let ends_cell = byte == delimiter || byte == b'\n' || byte == b'\r';
        state = match (state, byte) {
            (State::StartCell, b'"') => State::InQuotes,
            (State::InQuotes, b'"') => State::QuoteInQuotes,
            (State::InQuotes, _) => State::InQuotes,
            (State::QuoteInQuotes, b'"') => State::InQuotes,
            (_, _) if ends_cell => State::StartCell,
            _ => State::InCell,
        };
    }
    matches!(state, State::InQuotes)
}

/// Reads CSV or TSV text with a header row.
///
/// A UTF-8 byte-order mark is dropped; lines may end in CRLF or LF; blank lines, and lines whose
/// cells are all empty, are ignored; cells may be quoted (`"Smith, 2001"`). The separator comes
/// from [`detect_delimiter`]. Header names and cells are trimmed. Empty header cells at the end of
/// the header are dropped. A row with fewer cells than the header gets empty ones; a row with more
/// is an error unless the extra cells are all empty.
///
/// # Errors
/// [`Error::EmptyInput`], [`Error::HeaderOnly`], [`Error::TooManyCells`], and
/// [`Error::Unreadable`] (for example a quote that is never closed).
pub(crate) fn read_table(text: &str) -> Result<Table, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.lines().all(is_blank_line) {
        return Err(Error::EmptyInput);
    }
    let delimiter = detect_delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut headers: Option<Vec<String>> = None;
    let mut rows: Vec<Row> = Vec::new();
    for record in reader.records() {
        let number = rows.len() + 1;
        let record = record.map_err(|e| Error::Unreadable {
            row: number,
            message: e.to_string(),
        })?;
        let cells: Vec<String> = record.iter().map(|c| trim_cell(c).to_string()).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        let Some(header) = &headers else {
            let mut names = cells;
            while names.last().is_some_and(String::is_empty) {
                names.pop();
            }
            headers = Some(names);
            continue;
        };
        let expected = header.len();
        let mut cells = cells;
        if cells.len() > expected {
            let found = cells
                .iter()
                .rposition(|c| !c.is_empty())
                .map_or(0, |j| j + 1);
            if found > expected {
                return Err(Error::TooManyCells {
                    row: number,
                    found,
                    expected,
                });
            }
        }
        cells.resize(expected, String::new());
        rows.push(Row { number, cells });
    }
    if ends_inside_quotes(text, delimiter) {
        let (row, place) = match rows.last() {
            Some(last) => (last.number, "a cell"),
            None => (1, "a header cell"),
        };
        return Err(Error::Unreadable {
            row,
            message: format!("{place} opens with a quote mark (\") that is never closed"),
        });
    }
    let Some(headers) = headers else {
        return Err(Error::EmptyInput);
    };
    if rows.is_empty() {
        return Err(Error::HeaderOnly);
    }
    Ok(Table {
        headers,
        rows,
        decimal_comma: delimiter != b',',
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(table: &Table) -> Vec<Vec<&str>> {
        table
            .rows
            .iter()
            .map(|r| r.cells.iter().map(String::as_str).collect())
            .collect()
    }

    fn numbers(table: &Table) -> Vec<usize> {
        table.rows.iter().map(|r| r.number).collect()
    }

    #[test]
    fn delimiter_detection() {
        assert_eq!(detect_delimiter("study,yi,vi\n"), b',');
        assert_eq!(detect_delimiter("study;yi;vi\n1,5;2"), b';');
        assert_eq!(detect_delimiter("study\tyi\tvi"), b'\t');
        assert_eq!(detect_delimiter("study\tyi,x;y"), b'\t');
        assert_eq!(detect_delimiter("a;b,c;d,e"), b',');
        assert_eq!(detect_delimiter("\n\n  \nstudy;yi;vi"), b';');
        assert_eq!(detect_delimiter("\"x;y;z\",yi"), b',');
        assert_eq!(detect_delimiter("\"x\ty\",yi"), b',');
        assert_eq!(detect_delimiter("study"), b',');
    }

    #[test]
    fn comma_separated_with_quotes() {
        let t =
            read_table("study,yi,vi\n\"Smith, 2001\",0.5,0.1\n\"O\"\"Brien\",0.2,0.3\n").unwrap();
        assert_eq!(t.headers, ["study", "yi", "vi"]);
        assert_eq!(
            cells(&t),
            [["Smith, 2001", "0.5", "0.1"], ["O\"Brien", "0.2", "0.3"]]
        );
        assert!(!t.decimal_comma);
    }

    #[test]
    fn quoted_cell_may_span_lines() {
        let t = read_table("study,yi,vi\n\"Smith\n2001\",0.5,0.1\nJones,1,2\n").unwrap();
        assert_eq!(
            cells(&t),
            [["Smith\n2001", "0.5", "0.1"], ["Jones", "1", "2"]]
        );
        assert_eq!(numbers(&t), [1, 2]);
    }

    #[test]
    fn bom_crlf_and_trimming() {
        let t = read_table("\u{feff} study , yi ,vi\r\n A ,1,2\r\nB, 3 ,4\r\n").unwrap();
        assert_eq!(t.headers, ["study", "yi", "vi"]);
        assert_eq!(cells(&t), [["A", "1", "2"], ["B", "3", "4"]]);
    }

    #[test]
    fn blank_lines_are_not_rows() {
        let t = read_table("\n\nstudy,yi,vi\n\nA,1,2\n   \n,,\n , ,\nB,3,4\n\n").unwrap();
        assert_eq!(cells(&t), [["A", "1", "2"], ["B", "3", "4"]]);
        assert_eq!(numbers(&t), [1, 2]);
    }

    #[test]
    fn semicolons_and_tabs_mean_decimal_comma() {
        let t = read_table("study;yi;vi\nA;1,5;0,04\n").unwrap();
        assert_eq!(cells(&t), [["A", "1,5", "0,04"]]);
        assert!(t.decimal_comma);
        let t = read_table("study\tyi\tvi\nA\t1,5\t0,04\n").unwrap();
        assert_eq!(cells(&t), [["A", "1,5", "0,04"]]);
        assert!(t.decimal_comma);
    }

    #[test]
    fn short_rows_are_padded_and_empty_extras_ignored() {
        let t = read_table("study,yi,vi,region\nA,1,2\nB,3,4,north,,\t,\n").unwrap();
        assert_eq!(cells(&t), [["A", "1", "2", ""], ["B", "3", "4", "north"]]);
    }

    #[test]
    fn trailing_empty_header_cells_are_dropped() {
        let t = read_table("study\tyi\tvi\t\t\nA\t1\t2\t\t\n").unwrap();
        assert_eq!(t.headers, ["study", "yi", "vi"]);
        assert_eq!(cells(&t), [["A", "1", "2"]]);
    }

    #[test]
    fn too_many_cells() {
        let err = read_table("study,yi,vi\nA,1,2\nB,3,4,5,\n").unwrap_err();
        assert_eq!(
            err,
            Error::TooManyCells {
                row: 2,
                found: 4,
                expected: 3
            }
        );
        assert_eq!(
            err.to_string(),
            "row 2: has 4 cells but the header has 3 columns"
        );
    }

    #[test]
    fn empty_input() {
        for text in ["", "\u{feff}", "\n\n", "  \r\n\t\n", ",,\n;;"] {
            assert_eq!(read_table(text), Err(Error::EmptyInput), "{text:?}");
        }
    }

    #[test]
    fn header_only() {
        assert_eq!(read_table("study,yi,vi"), Err(Error::HeaderOnly));
        assert_eq!(
            read_table("study,yi,vi\r\n\r\n,,\r\n"),
            Err(Error::HeaderOnly)
        );
    }

    #[test]
    fn unclosed_quote_is_unreadable() {
        let err = read_table("study,yi,vi\nA,1,2\n\"B,3,4\nC,5,6\n").unwrap_err();
        assert_eq!(
            err,
            Error::Unreadable {
                row: 2,
                message: "a cell opens with a quote mark (\") that is never closed".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "row 2: cannot read the row (a cell opens with a quote mark (\") that is never closed)"
        );
        let err = read_table("\"study,yi,vi\nA,1,2\n").unwrap_err();
        assert_eq!(err.row(), Some(1));
    }

    #[test]
    fn quote_scanner_follows_csv_rules() {
        assert!(!ends_inside_quotes("a,\"b\"\n", b','));
        assert!(
            !ends_inside_quotes("a,b\"c\n", b','),
            "a quote inside a cell is literal"
        );
        assert!(!ends_inside_quotes("a,\"b\"\"c\"\n", b','));
        assert!(
            !ends_inside_quotes("a,\"b\"c\"\n", b','),
            "after the closing quote the cell goes on unquoted"
        );
        assert!(ends_inside_quotes("a,\"b\n", b','));
        assert!(ends_inside_quotes("a;\"b\"\"\n", b';'));
        assert!(!ends_inside_quotes("a\t\"b\"\t", b'\t'));
    }
}
