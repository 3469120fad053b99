//! A table of pooled results, one row per combination of the values of some columns (`table`),
//! e.g. one per mediator × outcome.
//!
//! # Method
//! The studies are grouped by the cells of the named columns (as typed, trimmed); each group is
//! fitted on its own with the chosen method, CI type and level (its own τ², as a subgroup of
//! `by`). Rows are sorted by their cells in the order the columns were named (byte-wise, as
//! `by` sorts its subgroups). A study with an empty cell (or `NA`) in any of the columns is left
//! out of the table, with a warning; it stays in the other analyses.

use crate::error::Error;
use crate::input::{parse_number, NumberCell};
use crate::model::{self, Fit, Settings};
use crate::report::Overall;
use crate::studies::Studies;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One combination of cells and its fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The cells, in the order of the columns.
    pub values: Vec<String>,
    /// Indices (into the studies) of its members.
    pub members: Vec<usize>,
    pub fit: Fit,
}

/// The table: its columns (as named in the header) and its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub cells: Vec<Cell>,
    pub warnings: Vec<String>,
}

/// Groups the studies by the columns and fits each group.
///
/// # Errors
/// [`Error::UnknownColumn`] for a column the data lacks, [`Error::TooFewStudies`] when every
/// study has an empty cell in a table column; estimator failures in a group.
pub fn fit(studies: &Studies, columns: &[String], settings: &Settings) -> Result<Table, Error> {
    let mut cols = Vec::new();
    for name in columns {
        let col = studies
            .extra()
            .iter()
            .find(|c| c.name == *name)
            .or_else(|| studies.extra().iter().find(|c| c.name.eq_ignore_ascii_case(name)))
            .ok_or_else(|| Error::UnknownColumn {
                option: "table".into(),
                name: name.clone(),
                available: studies
                    .extra()
                    .iter()
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        cols.push(col);
    }
    let mut warnings = Vec::new();
    let mut groups: BTreeMap<Vec<&str>, Vec<usize>> = BTreeMap::new();
    for i in 0..studies.k() {
        let empty: Vec<&str> = cols
            .iter()
            .filter(|c| parse_number(&c.cells[i], true) == NumberCell::Empty)
            .map(|c| c.name.as_str())
            .collect();
        if empty.is_empty() {
            groups
                .entry(cols.iter().map(|c| c.cells[i].as_str()).collect())
                .or_default()
                .push(i);
        } else {
            warnings.push(format!(
                "row {} ({}) left out of the table: empty cell in {}",
                studies.rows()[i],
                studies.labels()[i],
                empty.join(" and ")
            ));
        }
    }
    if groups.is_empty() {
        return Err(Error::TooFewStudies {
            k: 0,
            needed: 1,
            what: "the table".into(),
        });
    }
    let mut cells = Vec::new();
    for (values, members) in groups {
        let fit = model::fit(&studies.subset(&members), settings)?;
        let name: Vec<String> = cols
            .iter()
            .zip(&values)
            .map(|(c, v)| format!("{} = {v}", c.name))
            .collect();
        for w in &fit.warnings {
            warnings.push(format!("table row {}: {w}", name.join(", ")));
        }
        cells.push(Cell {
            values: values.iter().map(|v| v.to_string()).collect(),
            members,
            fit,
        });
    }
    Ok(Table {
        columns: cols.iter().map(|c| c.name.clone()).collect(),
        cells,
        warnings,
    })
}

/// One row of the report's `table`: the cells by column name, the data rows (from 1) of its
/// studies, and every field of `overall` for its own fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableRow {
    pub groups: Groups,
    pub rows: Vec<usize>,
    #[serde(flatten)]
    pub fit: Overall,
}

/// A row's cells by column name, in the order the user named the columns. In JSON an object
/// whose keys keep that order (`{"mediator": "fear", "outcome": "pain"}`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Groups(pub Vec<(String, String)>);

impl Groups {
    /// The column names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    /// The cells, in order.
    pub fn values(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(_, v)| v)
    }

    /// (column, cell) pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The cell of a column.
    pub fn get(&self, column: &str) -> Option<&String> {
        self.0.iter().find(|(k, _)| k == column).map(|(_, v)| v)
    }
}

impl std::ops::Index<&str> for Groups {
    type Output = String;
    fn index(&self, column: &str) -> &String {
        self.get(column).unwrap_or_else(|| panic!("no column {column} in this table row"))
    }
}

impl Serialize for Groups {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Groups {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Groups, D::Error> {
        struct InOrder;
        impl<'de> serde::de::Visitor<'de> for InOrder {
            type Value = Groups;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of column names and cells")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Groups, A::Error> {
                let mut cells = Vec::new();
                while let Some(entry) = map.next_entry::<String, String>()? {
                    cells.push(entry);
                }
                Ok(Groups(cells))
            }
        }
        deserializer.deserialize_map(InOrder)
    }
}

/// The report's rows, in the table's order.
pub fn rows(table: &Table, studies: &Studies) -> Vec<TableRow> {
    table
        .cells
        .iter()
        .map(|c| TableRow {
            groups: Groups(table.columns.iter().cloned().zip(c.values.iter().cloned()).collect()),
            rows: c.members.iter().map(|&i| studies.rows()[i]).collect(),
            fit: Overall::from_fit(&c.fit),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{read_studies, ReadSettings};

    fn studies(csv: &str) -> Studies {
        read_studies(csv, &ReadSettings::default()).unwrap().studies
    }

    const DATA: &str = "study,yi,vi,mediator,outcome\n\
        A,0.1,0.01,fear,pain\nB,0.3,0.02,fear,pain\nC,0.2,0.01,fear,disability\n\
        D,-0.1,0.03,catastrophizing,pain\nE,0.0,0.02,fear,\nF,0.4,0.02,catastrophizing,pain\n";

    #[test]
    fn one_row_per_combination_sorted() {
        let s = studies(DATA);
        let t = fit(&s, &["mediator".into(), "Outcome".into()], &Settings::default()).unwrap();
        assert_eq!(t.columns, ["mediator", "outcome"]);
        let values: Vec<Vec<String>> = t.cells.iter().map(|c| c.values.clone()).collect();
        assert_eq!(
            values,
            [["catastrophizing", "pain"], ["fear", "disability"], ["fear", "pain"]]
        );
        assert_eq!(t.cells[2].members, [0, 1]);
        let sub = model::fit(&s.subset(&[0, 1]), &Settings::default()).unwrap();
        assert_eq!(t.cells[2].fit.pooled, sub.pooled);
        assert_eq!(t.warnings[0], "row 5 (E) left out of the table: empty cell in outcome");
        // A single-study cell is fitted too, with its warning named.
        assert!(t
            .warnings
            .iter()
            .any(|w| w.starts_with("table row mediator = fear, outcome = disability: ")));
        let r = rows(&t, &s);
        assert_eq!(r[0].groups["mediator"], "catastrophizing");
        // The cells keep the order the columns were named in, in JSON and back.
        let t = fit(&s, &["outcome".into(), "mediator".into()], &Settings::default()).unwrap();
        let swapped = rows(&t, &s);
        assert_eq!(swapped[0].groups.keys().collect::<Vec<_>>(), ["outcome", "mediator"]);
        let text = serde_json::to_string(&swapped[0].groups).unwrap();
        assert_eq!(text, r#"{"outcome":"disability","mediator":"fear"}"#);
        let back: Groups = serde_json::from_str(&text).unwrap();
        assert_eq!(back, swapped[0].groups);
        assert_eq!(r[0].rows, [4, 6]);
        let json = serde_json::to_value(&r[0]).unwrap();
        for field in [
            "groups", "k", "estimate", "ci_lower", "ci_upper", "p", "tau2", "I2", "pi_lower", "pi_upper",
        ] {
            assert!(json.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn unknown_column_and_nothing_left() {
        let s = studies(DATA);
        assert!(matches!(
            fit(&s, &["region".into()], &Settings::default()),
            Err(Error::UnknownColumn { .. })
        ));
        let s = studies("yi,vi,m\n0.1,0.01,\n0.2,0.02,NA\n");
        assert!(matches!(
            fit(&s, &["m".into()], &Settings::default()),
            Err(Error::TooFewStudies { .. })
        ));
    }
}
