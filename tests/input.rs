//! Reading studies from text, through the public entry point `metapool::input::read_studies`.

use metapool::input::{detect_role, read_studies, ColumnInfo, Input, ReadSettings, Role};
use metapool::studies::ExtraColumn;
use metapool::Error;
use std::collections::BTreeMap;

fn read(text: &str) -> Result<Input, Error> {
    read_studies(text, &ReadSettings::default())
}

fn ok(text: &str) -> Input {
    read(text).unwrap_or_else(|e| panic!("expected studies, got error: {e}"))
}

fn err(text: &str) -> Error {
    match read(text) {
        Ok(input) => panic!("expected an error, got {input:?}"),
        Err(e) => e,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-14 * b.abs().max(1e-300)
}

fn assert_close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(close(*g, *w), "{got:?} vs {want:?}");
    }
}

const Z95: f64 = 1.959963984540054;
const Z90: f64 = 1.6448536269514722;

// ---- reading ----

#[test]
fn plain_csv() {
    let input = ok("study,yi,vi\nSmith 2001,0.5,0.04\nJones 2003,-0.1,0.09\n");
    assert_eq!(input.studies.labels(), ["Smith 2001", "Jones 2003"]);
    assert_eq!(input.studies.yi(), [0.5, -0.1]);
    assert_eq!(input.studies.vi(), [0.04, 0.09]);
    assert_eq!(input.studies.rows(), [1, 2]);
    assert!(input.warnings.is_empty());
    assert_eq!(
        input.columns,
        [
            ColumnInfo {
                name: "study".into(),
                role: Role::Study
            },
            ColumnInfo {
                name: "yi".into(),
                role: Role::Yi
            },
            ColumnInfo {
                name: "vi".into(),
                role: Role::Vi
            },
        ]
    );
}

#[test]
fn bom_and_crlf() {
    let input = ok("\u{feff}study,yi,vi\r\nA,0.5,0.04\r\nB,0.1,0.09\r\n");
    assert_eq!(input.columns[0].name, "study");
    assert_eq!(input.columns[0].role, Role::Study);
    assert_eq!(input.studies.labels(), ["A", "B"]);
    assert_eq!(input.studies.vi(), [0.04, 0.09]);
}

#[test]
fn semicolons_with_decimal_commas() {
    let input = ok("study;yi;vi\nA;1,5;0,04\nB;\u{2212}0,25;0.09\n");
    assert_eq!(input.studies.yi(), [1.5, -0.25]);
    assert_eq!(input.studies.vi(), [0.04, 0.09]);
}

#[test]
fn tab_separated_paste_from_a_spreadsheet() {
    // Trailing tabs, non-breaking spaces, decimal commas, CRLF, an empty trailing column.
    let text = "Author\tYear\tEffect size\tSE\t\r\nSmith\t2001\t0,52\t0,1\u{a0}\t\r\nJones\t2003\t\u{2212}0,1\t0,2\t\r\n\t\t\t\t\r\n";
    let input = ok(text);
    assert_eq!(input.studies.labels(), ["Smith", "Jones"]);
    assert_eq!(input.studies.yi(), [0.52, -0.1]);
    assert_close(input.studies.vi(), &[0.01, 0.04]);
    let roles: Vec<Role> = input.columns.iter().map(|c| c.role).collect();
    assert_eq!(roles, [Role::Study, Role::Other, Role::Yi, Role::Sei]);
    assert_eq!(
        input.studies.extra(),
        [ExtraColumn {
            name: "Year".into(),
            cells: vec!["2001".into(), "2003".into()]
        }]
    );
}

#[test]
fn quoted_labels_containing_the_delimiter() {
    let input =
        ok("study,yi,vi\n\"Smith, Jones (2001)\",0.5,0.04\n\"He said \"\"no\"\"\",0.1,0.02\n");
    assert_eq!(
        input.studies.labels(),
        ["Smith, Jones (2001)", "He said \"no\""]
    );
    let input = ok("study;yi;vi\n\"Müller; Roth\";0,5;0,04\n");
    assert_eq!(input.studies.labels(), ["Müller; Roth"]);
    let input = ok("study\tyi\tvi\n\"A\tB\"\t0,5\t0,04\n");
    assert_eq!(input.studies.labels(), ["A\tB"]);
}

#[test]
fn unicode_minus_signs() {
    let input = ok("yi,vi\n\u{2212}0.5,0.04\n\u{2013}0.4,0.04\n\u{fe63}0.3,0.04\n\u{ff0d}0.2,0.04\n+0.1,1e-2\n");
    assert_eq!(input.studies.yi(), [-0.5, -0.4, -0.3, -0.2, 0.1]);
    assert_eq!(input.studies.vi()[4], 0.01);
}

#[test]
fn delimiter_is_judged_from_the_header() {
    // More semicolons than commas: semicolon; commas in the data are then decimal marks.
    assert_eq!(ok("study;yi;vi\nA;0,5;0,1\n").studies.yi(), [0.5]);
    // A comma file: "0,5" quoted is not a number.
    assert_eq!(
        err("study,yi,vi\nA,\"0,5\",0.1\n"),
        Error::NotANumber {
            row: 1,
            column: "yi".into(),
            value: "0,5".into()
        }
    );
    // Both a comma and a point in a decimal-comma file: not a number.
    assert_eq!(
        err("study;yi;vi\nA;1.000,5;0,1\n"),
        Error::NotANumber {
            row: 1,
            column: "yi".into(),
            value: "1.000,5".into()
        }
    );
}

#[test]
fn blank_lines_do_not_count_as_rows() {
    assert_eq!(
        err("\n\nstudy,yi,vi\n\nA,0.5,0.04\n,,\n   \nB,0.1,x\n"),
        Error::NotANumber {
            row: 2,
            column: "vi".into(),
            value: "x".into()
        }
    );
    let input = ok("study,yi,vi\n\nA,0.5,0.04\n\n\nB,0.1,0.02\n");
    assert_eq!(input.studies.rows(), [1, 2]);
}

#[test]
fn short_rows_and_empty_extra_cells() {
    let input = ok("study,yi,vi,region\nA,0.5,0.04\nB,0.1,0.02,north,,,\n");
    assert_eq!(input.studies.extra()[0].cells, ["", "north"]);
}

#[test]
fn too_many_cells() {
    let e = err("study,yi,vi\nA,0.5,0.04\nB,0.1,0.02,oops\n");
    assert_eq!(
        e,
        Error::TooManyCells {
            row: 2,
            found: 4,
            expected: 3
        }
    );
    assert_eq!(
        e.to_string(),
        "row 2: has 4 cells but the header has 3 columns"
    );
}

#[test]
fn empty_input() {
    for text in ["", "   ", "\n\r\n  \n", "\u{feff}"] {
        assert_eq!(err(text), Error::EmptyInput, "{text:?}");
    }
    assert_eq!(
        err("").to_string(),
        "the input is empty: give a header row and one row per study"
    );
}

#[test]
fn header_only() {
    assert_eq!(err("study,yi,vi\n"), Error::HeaderOnly);
    assert_eq!(err("study,yi,vi\n\n,,\n"), Error::HeaderOnly);
}

#[test]
fn unclosed_quote() {
    let e = err("study,yi,vi\nA,0.5,0.04\n\"B,0.1,0.02\nC,0.2,0.03\n");
    assert_eq!(e.row(), Some(2));
    assert!(matches!(e, Error::Unreadable { .. }));
    assert_eq!(
        e.to_string(),
        "row 2: cannot read the row (a cell opens with a quote mark (\") that is never closed)"
    );
}

#[test]
fn header_names_are_trimmed() {
    let input = ok("  study \t yi\t vi \nA\t1\t2\n");
    let names: Vec<&str> = input.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["study", "yi", "vi"]);
}

#[test]
fn duplicate_header_names() {
    let e = err("study,yi,vi,Region,region\nA,1,1,x,y\n");
    assert_eq!(
        e,
        Error::DuplicateColumn {
            column: "region".into(),
            other: "region".into()
        }
    );
    assert_eq!(e.to_string(), "column 'region' appears twice in the header");
}

// ---- column roles ----

#[test]
fn aliases_in_a_header() {
    let input = ok("Trial,ES,Std. Err.,CI lower,CI upper,Year\nA,0.5,0.1,0.3,0.7,2001\n");
    let roles: Vec<Role> = input.columns.iter().map(|c| c.role).collect();
    assert_eq!(
        roles,
        [
            Role::Study,
            Role::Yi,
            Role::Sei,
            Role::Lower,
            Role::Upper,
            Role::Other
        ]
    );
    // sei is preferred to the limits.
    assert_close(input.studies.vi(), &[0.01]);
}

#[test]
fn two_columns_with_the_same_role() {
    let e = err("study,yi,vi,var\nA,1,1,1\n");
    assert_eq!(
        e,
        Error::DuplicateColumn {
            column: "var".into(),
            other: "vi".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "columns 'vi' and 'var' give the same thing: keep one of them"
    );
}

#[test]
fn role_overrides() {
    let mut roles = BTreeMap::new();
    roles.insert("logOR".to_string(), Role::Yi);
    roles.insert("v_log".to_string(), Role::Vi);
    roles.insert("name".to_string(), Role::Other);
    roles.insert("Trial".to_string(), Role::Study);
    let settings = ReadSettings {
        ci_level_in: 0.95,
        roles,
        ..ReadSettings::default()
    };
    let input = read_studies("name,Trial,logOR,v_log\nx,A,0.5,0.04\n", &settings).unwrap();
    assert_eq!(input.studies.labels(), ["A"]);
    assert_eq!(input.studies.yi(), [0.5]);
    assert_eq!(
        input.studies.extra(),
        [ExtraColumn {
            name: "name".into(),
            cells: vec!["x".into()]
        }]
    );
    assert!(input.warnings.is_empty(), "{:?}", input.warnings);
}

#[test]
fn missing_columns() {
    assert_eq!(
        err("study,yi\nA,1\n").to_string(),
        "column yi has no precision: add vi, sei, or lower and upper"
    );
    assert_eq!(
        err("study,yi,lower\nA,1,0\n").to_string(),
        "column yi has no precision: there is a lower limit (lower) but no upper limit; add the upper limit, or give vi or sei"
    );
    assert_eq!(
        err("study,a,sa,b\nA,1,1,1\n").to_string(),
        "no effect column: give yi with vi, sei, or lower and upper; or the mediation paths a, sa, b and sb (found the path columns a, sa and b but not sb)"
    );
    assert_eq!(
        err("study,outcome,variance\nA,1,1\n").to_string(),
        "no effect column: give yi with vi, sei, or lower and upper; or the mediation paths a, sa, b and sb (found variance, but no column for the effect)"
    );
    assert!(matches!(err("x,z\n1,2\n"), Error::MissingColumns { .. }));
}

// ---- numbers ----

#[test]
fn scientific_notation_and_plus_sign() {
    let input = ok("yi,vi\n1e-3,1E+0\n+2,2.5e-1\n");
    assert_eq!(input.studies.yi(), [0.001, 2.0]);
    assert_eq!(input.studies.vi(), [1.0, 0.25]);
}

#[test]
fn not_a_number() {
    let e = err("study,yi,vi\nA,0.5,0.04\nB,0.5O,0.04\n");
    assert_eq!(
        e,
        Error::NotANumber {
            row: 2,
            column: "yi".into(),
            value: "0.5O".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "row 2, column yi: expected a number, found '0.5O'"
    );
}

#[test]
fn column_and_value_as_typed_and_trimmed() {
    assert_eq!(
        err(" Study , Effect Size , Var \nA,  abc  ,1\n"),
        Error::NotANumber {
            row: 1,
            column: "Effect Size".into(),
            value: "abc".into()
        }
    );
}

#[test]
fn not_finite() {
    for cell in ["NaN", "inf", "-Infinity", "\u{2212}Inf"] {
        let e = err(&format!("yi,vi\n0.5,{cell}\n"));
        assert_eq!(
            e,
            Error::NotFinite {
                row: 1,
                column: "vi".into(),
                value: cell.into()
            }
        );
    }
    assert_eq!(
        err("yi,vi\nNaN,1\n").to_string(),
        "row 1, column yi: expected a finite number, found 'NaN'"
    );
}

#[test]
fn unused_cells_must_be_numbers_too() {
    assert_eq!(
        err("yi,vi,sei\n0.5,0.04,0.2.\n"),
        Error::NotANumber {
            row: 1,
            column: "sei".into(),
            value: "0.2.".into()
        }
    );
}

#[test]
fn not_positive() {
    let text = "study,yi,sei\nA,1,0.1\nB,1,0.1\nC,1,0.1\nD,1,0.1\nE,1,0.1\nF,1,0.1\nG,0.3,-0.2\n";
    let e = err(text);
    assert_eq!(
        e,
        Error::NotPositive {
            row: 7,
            column: "sei".into(),
            value: "-0.2".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "row 7, column sei: expected a positive number, found '-0.2'"
    );
    assert_eq!(
        err("yi,vi\n0.5,0\n"),
        Error::NotPositive {
            row: 1,
            column: "vi".into(),
            value: "0".into()
        }
    );
}

// ---- effects ----

#[test]
fn sei_gives_its_square() {
    assert_close(ok("yi,sei\n0.5,0.3\n").studies.vi(), &[0.09]);
}

#[test]
fn confidence_limits_at_95_percent() {
    let input = ok("yi,lower,upper\n0.2,-0.1,0.5\n");
    let se = 0.6 / (2.0 * Z95);
    assert_close(input.studies.vi(), &[se * se]);
    assert!(input.warnings.is_empty());
}

#[test]
fn confidence_limits_at_90_percent() {
    let settings = ReadSettings {
        ci_level_in: 0.90,
        ..ReadSettings::default()
    };
    let input = read_studies("yi,lower,upper\n0.2,-0.1,0.5\n", &settings).unwrap();
    let se = 0.6 / (2.0 * Z90);
    assert_close(input.studies.vi(), &[se * se]);
    // And it differs from the 95% answer: the level is used.
    let se95 = 0.6 / (2.0 * Z95);
    assert!((input.studies.vi()[0] - se95 * se95).abs() > 1e-3);
}

#[test]
fn bad_ci_level_with_limits() {
    let settings = ReadSettings {
        ci_level_in: 95.0,
        ..ReadSettings::default()
    };
    assert!(matches!(
        read_studies("yi,lower,upper\n0.2,-0.1,0.5\n", &settings),
        Err(Error::BadLevel { .. })
    ));
}

#[test]
fn asymmetric_limits_warn() {
    let input = ok("study,yi,lower,upper\nSmith 2001,0.3,0,0.9\nJones,0.5,0.1,0.9\n");
    assert_eq!(
        input.warnings,
        ["row 1 (Smith 2001): the confidence limits are asymmetric around the estimate (0.3 below, 0.6 above); \
          the standard error is taken from their full width. If the effects are ratios (odds, risk or hazard \
          ratios), enter the logarithms of the estimate and of both limits"]
    );
    let se = 0.9 / (2.0 * Z95);
    assert_close(&input.studies.vi()[..1], &[se * se]);
}

#[test]
fn limits_reversed() {
    let e = err("yi,lower,upper\n0.2,0.5,-0.1\n");
    assert_eq!(
        e,
        Error::LimitsReversed {
            row: 1,
            lower: "0.5".into(),
            upper: "-0.1".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "row 1: the lower limit '0.5' is not below the upper limit '-0.1'"
    );
}

#[test]
fn estimate_outside_ci() {
    let e = err("yi;lower;upper\n1,5;0,1;0,9\n");
    assert_eq!(
        e,
        Error::EstimateOutsideCi {
            row: 1,
            value: "1,5".into(),
            lower: "0,1".into(),
            upper: "0,9".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "row 1: the estimate '1,5' lies outside its own confidence limits '0,1' to '0,9'"
    );
}

#[test]
fn mediation_paths() {
    let input = ok("study,a,sa,b,sb\nX,0.5,0.1,0.4,0.2\n");
    assert_close(input.studies.yi(), &[0.2]);
    assert_close(input.studies.vi(), &[0.25 * 0.04 + 0.16 * 0.01]);
    assert_close(input.studies.vi(), &[0.0116]);
}

#[test]
fn mixed_sources_per_row() {
    let text = "study,yi,vi,sei,lower,upper,a,sa,b,sb\n\
                A,0.5,0.04,,,,,,,\n\
                B,0.5,,0.3,,,,,,\n\
                C,0.5,,,0,1,,,,\n\
                D,,,,,,0.5,0.1,0.4,0.2\n";
    let input = ok(text);
    let se = 1.0 / (2.0 * Z95);
    assert_close(input.studies.yi(), &[0.5, 0.5, 0.5, 0.2]);
    assert_close(input.studies.vi(), &[0.04, 0.09, se * se, 0.0116]);
}

#[test]
fn zero_paths_give_a_bad_variance() {
    let e = err("a,sa,b,sb\n0.5,0.1,0.4,0.2\n0,0.1,0,0.2\n");
    assert_eq!(e, Error::BadVariance { row: 2, value: 0.0 });
}

#[test]
fn overflowing_variance() {
    assert_eq!(
        err("yi,sei\n1,1e200\n"),
        Error::BadVariance {
            row: 1,
            value: f64::INFINITY
        }
    );
}

// ---- skipped rows, labels, extra columns ----

#[test]
fn rows_with_empty_cells_are_skipped_with_warnings() {
    let text = "study,yi,vi,region\nA,0.5,0.04,north\nB,0.1,NA,south\n,,0.02,east\nSmith 2001,0.3,,west\nE,0.2,0.01,north\n";
    let input = ok(text);
    assert_eq!(input.studies.labels(), ["A", "E"]);
    assert_eq!(input.studies.rows(), [1, 5]);
    assert_eq!(input.studies.extra()[0].cells, ["north", "north"]);
    assert_eq!(
        input.warnings,
        [
            "row 2 (B) skipped: empty cell in vi",
            "row 3 skipped: empty cell in yi",
            "row 4 (Smith 2001) skipped: empty cell in vi"
        ]
    );
}

#[test]
fn every_row_skipped() {
    let e = err("study,yi,vi\nA,0.5,\nB,,0.1\n");
    assert_eq!(e, Error::NoStudies);
    assert_eq!(
        e.to_string(),
        "no study has all the cells it needs: every row was skipped for empty cells"
    );
}

#[test]
fn default_labels() {
    let input = ok("yi,vi\n0.5,0.04\n\n0.1,0.02\n");
    assert_eq!(input.studies.labels(), ["Study 1", "Study 2"]);
    let input = ok("study,yi,vi\nA,0.5,0.04\n ,0.1,0.02\n");
    assert_eq!(input.studies.labels(), ["A", "Study 2"]);
}

#[test]
fn extra_columns_in_header_order() {
    let input = ok("region,study,yi,dose,vi\n north ,A,0.5,10,0.04\nsouth,B,0.1,,0.02\n");
    assert_eq!(
        input.studies.extra(),
        [
            ExtraColumn {
                name: "region".into(),
                cells: vec!["north".into(), "south".into()]
            },
            ExtraColumn {
                name: "dose".into(),
                cells: vec!["10".into(), "".into()]
            },
        ]
    );
    let roles: Vec<Role> = input.columns.iter().map(|c| c.role).collect();
    assert_eq!(
        roles,
        [Role::Other, Role::Study, Role::Yi, Role::Other, Role::Vi]
    );
}

#[test]
fn effect_columns_named_by_their_measure_are_recognised() {
    for name in ["logRR", "log OR", "ln_HR", "SMD", "Hedges g", "IE"] {
        assert_eq!(detect_role(name), Role::Yi, "{name}");
    }
}
