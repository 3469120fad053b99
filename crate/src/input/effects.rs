//! One row's effect and sampling variance, from whichever columns the row fills in.

use super::columns::{join_and, Layout};
use super::number::{parse_number, NumberCell};
use super::table::Row;
use crate::error::Error;
use super::ReadSettings;
use crate::mediation::per_study::Paths;
use crate::studies::Source;
use statrs::distribution::{ContinuousCDF, Normal};

/// The largest path `a` or `b` in size, and the range of their standard errors `sa`, `sb`
/// (1/`PATH_LIMIT` to `PATH_LIMIT`): so that a·b, a·s_b and b·s_a, and their squares, stay
/// within the effects and variances [`crate::Studies`] accepts.
pub const PATH_LIMIT: f64 = 1e50;

/// What became of a data row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// The row gives a study: its effect, its sampling variance, and perhaps a warning.
    Used {
        yi: f64,
        vi: f64,
        warning: Option<String>,
        /// Which cells gave the effect and variance.
        source: Source,
    },
    /// The row has no complete source; the reason names the empty cells.
    Skipped(String),
}

/// The standard normal quantile `z` such that `(lower, upper) = yi ± z·SE` at confidence `level`.
///
/// # Errors
/// [`Error::BadLevel`] unless `0 < level < 1`.
pub(crate) fn ci_z(level: f64) -> Result<f64, Error> {
    if !(level > 0.0 && level < 1.0) {
        return Err(Error::BadLevel {
            option: "the confidence level of the input limits".into(),
            value: level.to_string(),
        });
    }
    let normal = Normal::new(0.0, 1.0).expect("the standard normal distribution exists");
    Ok(normal.inverse_cdf((1.0 + level) / 2.0))
}

/// The row's effect and variance from the first complete source, in this order:
///
/// 1. `yi` and `vi`;
/// 2. `yi` and `sei`, with `vi = sei²`;
/// 3. `yi`, `lower` and `upper`, with the SE by `settings.ci_se_rule` (by default `SE = (upper − lower) / (2z)`)
///    and `vi = SE²` (`z` from [`ci_z`]);
/// 4. the mediation paths `a`, `sa`, `b`, `sb` (and `cov_ab`, 0 when empty), with `yi = a·b` and
///    the variance chosen by `settings.ie_se`: first-order delta (Sobel) `a²·sb² + b²·sa² + 2ab·cov_ab`,
///    or second-order (Aroian) with `sa²·sb² + cov_ab²` added
///    ([`crate::mediation::per_study`]).
///
/// A source is complete when all its cells in the row are non-empty. Every non-empty cell of an
/// effect or precision column must be a number, used or not. `who` names the row in warnings
/// ("row 3 (Smith 2001)"); `z` is given when the header has confidence-limit columns.
///
/// # Errors
/// [`Error::NotANumber`], [`Error::NotFinite`], [`Error::NotPositive`] (for `vi`, `sei`, `sa`,
/// `sb`), [`Error::LimitsReversed`], [`Error::EstimateOutsideCi`], [`Error::BadVariance`], and
/// [`Error::Numerical`] when `a·b` overflows.
pub(crate) fn row_effect(
    row: &Row,
    headers: &[String],
    layout: &Layout,
    decimal_comma: bool,
    z: Option<f64>,
    settings: &ReadSettings,
    who: &str,
) -> Result<Outcome, Error> {
    let n = row.number;
    let mut values: Vec<Option<f64>> = vec![None; headers.len()];
    for j in layout.numeric() {
        values[j] = parse_number(&row.cells[j], decimal_comma).into_result(
            n,
            &headers[j],
            &row.cells[j],
        )?;
    }
    // Paths and their standard errors within range, used or not (the pooled paths read them).
    let paths = [(layout.a, false), (layout.b, false), (layout.sa, true), (layout.sb, true)];
    for (j, se) in paths.into_iter().filter_map(|(j, se)| Some((j?, se))) {
        let Some(x) = values[j] else { continue };
        let outside = if se { x > 0.0 && !(1.0 / PATH_LIMIT..=PATH_LIMIT).contains(&x) } else { x.abs() > PATH_LIMIT };
        if outside {
            return Err(Error::OutOfRange {
                row: n,
                column: headers[j].clone(),
                value: row.cells[j].clone(),
                range: if se { "standard errors from 1e-50 to 1e50".into() } else { "paths up to 1e50 in size".into() },
            });
        }
    }
    let value = |column: Option<usize>| column.and_then(|j| values[j]);
    let positive = |j: usize, x: f64| {
        if x > 0.0 {
            Ok(x)
        } else {
            Err(Error::NotPositive {
                row: n,
                column: headers[j].clone(),
                value: row.cells[j].clone(),
            })
        }
    };
    let usable = |vi: f64| {
        if vi.is_finite() && vi > 0.0 {
            Ok(vi)
        } else {
            Err(Error::BadVariance { row: n, value: vi })
        }
    };

    if let (Some(yi), Some(vi)) = (value(layout.yi), value(layout.vi)) {
        let vi = positive(layout.vi.unwrap_or_default(), vi)?;
        return Ok(Outcome::Used {
            yi,
            vi,
            warning: None,
            source: Source::Variance,
        });
    }
    if let (Some(yi), Some(sei)) = (value(layout.yi), value(layout.sei)) {
        let sei = positive(layout.sei.unwrap_or_default(), sei)?;
        return Ok(Outcome::Used {
            yi,
            vi: usable(sei * sei)?,
            warning: None,
            source: Source::StdError,
        });
    }
    if let (Some([jy, jl, ju]), Some(z)) = (layout.limits(), z) {
        if let (Some(yi), Some(lower), Some(upper)) = (values[jy], values[jl], values[ju]) {
            if lower >= upper {
                return Err(Error::LimitsReversed {
                    row: n,
                    lower: row.cells[jl].clone(),
                    upper: row.cells[ju].clone(),
                });
            }
            if yi < lower || yi > upper {
                return Err(Error::EstimateOutsideCi {
                    row: n,
                    value: row.cells[jy].clone(),
                    lower: row.cells[jl].clone(),
                    upper: row.cells[ju].clone(),
                });
            }
            let rule = settings.ci_se_rule;
            let se = rule.se(yi, lower, upper, z);
            let (below, above) = (yi - lower, upper - yi);
            let warning = ((above - below).abs() > 0.1 * (upper - lower) / 2.0).then(|| {
                format!(
                    "{who}: the confidence limits are asymmetric around the estimate ({} below, {} above); \
                     the standard error is taken from {}. If the effects are ratios \
                     (odds, risk or hazard ratios), enter the logarithms of the estimate and of both limits",
                    significant(below),
                    significant(above),
                    rule.describe()
                )
            });
            return Ok(Outcome::Used {
                yi,
                vi: usable(se * se)?,
                warning,
                source: Source::Limits,
            });
        }
    }
    if let Some([ja, jsa, jb, jsb]) = layout.paths() {
        if let (Some(a), Some(sa), Some(b), Some(sb)) =
            (values[ja], values[jsa], values[jb], values[jsb])
        {
            let sa = positive(jsa, sa)?;
            let sb = positive(jsb, sb)?;
            let cov_ab = match layout.cov_ab {
                Some(j) => match values[j] {
                    Some(c) if c.abs() >= sa * sb => {
                        return Err(Error::BadCovariance {
                            row: n,
                            column: headers[j].clone(),
                            value: row.cells[j].clone(),
                            limit: sa * sb,
                        })
                    }
                    c => c.unwrap_or(0.0),
                },
                None => 0.0,
            };
            let paths = Paths { a, sa, b, sb, cov_ab };
            let yi = paths.effect();
            if !yi.is_finite() {
                return Err(Error::Numerical {
                    what: format!("the effect a·b of row {n}"),
                });
            }
            let vi = paths.variance(settings.ie_se);
            return Ok(Outcome::Used {
                yi,
                vi: usable(vi)?,
                warning: None,
                source: Source::Paths,
            });
        }
    }
    Ok(Outcome::Skipped(skip_reason(row, headers, layout)))
}

/// "empty cell in vi" or "empty cells in yi and sei": the empty cells among the columns of the
/// sources the header offers, in header order.
fn skip_reason(row: &Row, headers: &[String], layout: &Layout) -> String {
    let mut columns: Vec<usize> = Vec::new();
    if let Some(yi) = layout.yi {
        let precision = [layout.vi, layout.sei].into_iter().flatten();
        let cis = layout
            .limits()
            .map(|[_, l, u]| [l, u])
            .into_iter()
            .flatten();
        let precision: Vec<usize> = precision.chain(cis).collect();
        if !precision.is_empty() {
            columns.push(yi);
            columns.extend(precision);
        }
    }
    if let Some(paths) = layout.paths() {
        columns.extend(paths);
    }
    columns.sort_unstable();
    columns.dedup();
    let empty: Vec<&str> = columns
        .into_iter()
        .filter(|&j| parse_number(&row.cells[j], false) == NumberCell::Empty)
        .map(|j| headers[j].as_str())
        .collect();
    let cells = if empty.len() == 1 { "cell" } else { "cells" };
    format!("empty {cells} in {}", join_and(&empty))
}

/// A number with about four significant digits, for messages (`0.3`, `0.0001235`, `12.35`).
fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return x.to_string();
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (3 - magnitude).clamp(0, 15) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::columns::assign_roles;
    use std::collections::BTreeMap;

    const Z95: f64 = 1.959963984540054;

    /// Runs one row under a header: cells separated by `,`, or by `;` with `decimal_comma`.
    fn run(header: &str, cells: &str) -> Result<Outcome, Error> {
        run_with(header, cells, false, 0.95)
    }

    fn run_with(
        header: &str,
        cells: &str,
        decimal_comma: bool,
        level: f64,
    ) -> Result<Outcome, Error> {
        let sep = if decimal_comma { ';' } else { ',' };
        let headers: Vec<String> = header.split(sep).map(str::to_string).collect();
        let mut cells: Vec<String> = cells.split(sep).map(str::to_string).collect();
        cells.resize(headers.len(), String::new());
        let (_, layout) = assign_roles(&headers, &BTreeMap::new(), &mut Vec::new()).unwrap();
        let z = layout.limits().map(|_| ci_z(level).unwrap());
        let row = Row { number: 7, cells };
        row_effect(
            &row,
            &headers,
            &layout,
            decimal_comma,
            z,
            &ReadSettings::default(),
            "row 7 (Smith 2001)",
        )
    }

    fn used(outcome: Result<Outcome, Error>) -> (f64, f64, Option<String>) {
        match outcome {
            Ok(Outcome::Used { yi, vi, warning, .. }) => (yi, vi, warning),
            other => panic!("expected a used row, got {other:?}"),
        }
    }

    fn skipped(outcome: Result<Outcome, Error>) -> String {
        match outcome {
            Ok(Outcome::Skipped(reason)) => reason,
            other => panic!("expected a skipped row, got {other:?}"),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-15 * b.abs().max(1.0)
    }

    #[test]
    fn z_quantiles() {
        assert!(close(ci_z(0.95).unwrap(), Z95));
        assert!(close(ci_z(0.90).unwrap(), 1.6448536269514722));
        assert!(close(ci_z(0.99).unwrap(), 2.5758293035489004));
        for bad in [0.0, 1.0, 95.0, -0.5, f64::NAN] {
            assert!(matches!(ci_z(bad), Err(Error::BadLevel { .. })), "{bad}");
        }
    }

    #[test]
    fn yi_and_vi() {
        assert_eq!(used(run("yi,vi", "0.5,0.04")), (0.5, 0.04, None));
    }

    #[test]
    fn yi_and_sei() {
        let (yi, vi, _) = used(run("yi,sei", "-0.5,0.2"));
        assert_eq!(yi, -0.5);
        assert!(close(vi, 0.04));
    }

    #[test]
    fn vi_preferred_to_sei_and_sei_to_limits() {
        assert_eq!(
            used(run("yi,vi,sei,lower,upper", "0.5,0.04,0.3,0,1")).1,
            0.04
        );
        assert!(close(
            used(run("yi,vi,sei,lower,upper", "0.5,,0.3,0,1")).1,
            0.09
        ));
        let (_, vi, _) = used(run("yi,vi,sei,lower,upper", "0.5,,,0,1"));
        assert!(close(vi, (1.0 / (2.0 * Z95)).powi(2)));
    }

    #[test]
    fn limits_at_95_percent() {
        let (yi, vi, warning) = used(run("yi,lower,upper", "0.2,-0.1,0.5"));
        assert_eq!(yi, 0.2);
        let se = 0.6 / (2.0 * Z95);
        assert!(close(vi, se * se), "{vi}");
        assert_eq!(warning, None);
    }

    #[test]
    fn limits_at_90_percent() {
        let (_, vi, _) = used(run_with("yi,lower,upper", "0.2,-0.1,0.5", false, 0.90));
        let se = 0.6 / (2.0 * 1.6448536269514722);
        assert!(close(vi, se * se), "{vi}");
    }

    #[test]
    fn asymmetric_limits_warn() {
        let (_, _, warning) = used(run("yi,lower,upper", "0.3,0,0.9"));
        assert_eq!(
            warning.as_deref(),
            Some(
                "row 7 (Smith 2001): the confidence limits are asymmetric around the estimate (0.3 below, 0.6 above); \
                 the standard error is taken from their full width. If the effects are ratios (odds, risk or hazard \
                 ratios), enter the logarithms of the estimate and of both limits"
            )
        );
        // 10% of the half-width is the threshold: 0.52 vs 0.48 differ by 0.04 < 0.05.
        assert_eq!(used(run("yi,lower,upper", "0.52,0,1")).2, None);
        assert!(used(run("yi,lower,upper", "0.56,0,1")).2.is_some());
    }

    #[test]
    fn estimate_on_a_limit_is_allowed() {
        assert!(used(run("yi,lower,upper", "0,0,1")).2.is_some());
    }

    #[test]
    fn reversed_and_equal_limits() {
        let err = run("yi,lower,upper", "0.2,0.5,-0.1").unwrap_err();
        assert_eq!(
            err,
            Error::LimitsReversed {
                row: 7,
                lower: "0.5".into(),
                upper: "-0.1".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "row 7: the lower limit '0.5' is not below the upper limit '-0.1'"
        );
        assert!(matches!(
            run("yi,lower,upper", "0.2,0.2,0.2"),
            Err(Error::LimitsReversed { .. })
        ));
    }

    #[test]
    fn estimate_outside_limits() {
        let err = run("yi,lower,upper", "1.5,0.1,0.9").unwrap_err();
        assert_eq!(
            err,
            Error::EstimateOutsideCi {
                row: 7,
                value: "1.5".into(),
                lower: "0.1".into(),
                upper: "0.9".into()
            }
        );
    }

    #[test]
    fn mediation_paths() {
        let (yi, vi, _) = used(run("a,sa,b,sb", "0.5,0.1,0.4,0.2"));
        assert!(close(yi, 0.2));
        assert!(close(vi, 0.25 * 0.04 + 0.16 * 0.01), "{vi}");
        assert!(close(vi, 0.0116));
    }

    #[test]
    fn yi_sources_preferred_to_paths() {
        assert_eq!(used(run("yi,vi,a,sa,b,sb", "1,2,0.5,0.1,0.4,0.2")).0, 1.0);
        assert!(close(
            used(run("yi,vi,a,sa,b,sb", ",,0.5,0.1,0.4,0.2")).0,
            0.2
        ));
    }

    #[test]
    fn zero_paths_give_bad_variance() {
        assert_eq!(
            run("a,sa,b,sb", "0,0.1,0,0.2"),
            Err(Error::BadVariance { row: 7, value: 0.0 })
        );
    }

    #[test]
    fn overflow() {
        assert_eq!(
            run("yi,sei", "1,1e200"),
            Err(Error::BadVariance {
                row: 7,
                value: f64::INFINITY
            })
        );
        assert_eq!(
            run("yi,sei", "1,1e-200"),
            Err(Error::BadVariance { row: 7, value: 0.0 })
        );
        // Paths beyond 1e50 (or SEs outside 1e-50 to 1e50) are refused before a·b is formed.
        assert_eq!(
            run("a,sa,b,sb", "1e200,1,1e200,1"),
            Err(Error::OutOfRange {
                row: 7,
                column: "a".into(),
                value: "1e200".into(),
                range: "paths up to 1e50 in size".into()
            })
        );
        assert!(matches!(run("a,sa,b,sb", "0.1,1,0.2,1e-51"), Err(Error::OutOfRange { .. })));
        assert!(run("a,sa,b,sb", "1e50,1e-50,-1e50,1e50").is_ok());
        assert!(matches!(
            run("yi,lower,upper", "0,-1e308,1e308"),
            Err(Error::BadVariance { .. })
        ));
    }

    #[test]
    fn not_positive() {
        let err = run("yi,sei", "0.5,-0.2").unwrap_err();
        assert_eq!(
            err.to_string(),
            "row 7, column sei: expected a positive number, found '-0.2'"
        );
        assert_eq!(
            run("yi,var", "0.5,0"),
            Err(Error::NotPositive {
                row: 7,
                column: "var".into(),
                value: "0".into()
            })
        );
        assert_eq!(
            run("a,sa,b,sb", "0.5,0.1,0.4,-0.2"),
            Err(Error::NotPositive {
                row: 7,
                column: "sb".into(),
                value: "-0.2".into()
            })
        );
        assert_eq!(
            run("a,SE(a),b,sb", "0.5,0,0.4,0.2"),
            Err(Error::NotPositive {
                row: 7,
                column: "SE(a)".into(),
                value: "0".into()
            })
        );
    }

    #[test]
    fn unused_cells_must_still_be_numbers() {
        assert_eq!(
            run("yi,vi,sei", "0.5,0.04,0.2x"),
            Err(Error::NotANumber {
                row: 7,
                column: "sei".into(),
                value: "0.2x".into()
            })
        );
        assert_eq!(
            run("yi,vi,a,sa,b,sb", "0.5,0.04,,,NaN,"),
            Err(Error::NotFinite {
                row: 7,
                column: "b".into(),
                value: "NaN".into()
            })
        );
        let err = run("yi,vi", "abc,0.1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "row 7, column yi: expected a number, found 'abc'"
        );
    }

    #[test]
    fn unicode_minus_and_decimal_comma() {
        assert_eq!(
            used(run_with("yi;vi", "\u{2212}0,5;0,04", true, 0.95)),
            (-0.5, 0.04, None)
        );
    }

    #[test]
    fn skipped_rows_name_their_empty_cells() {
        assert_eq!(skipped(run("yi,vi", "0.5,")), "empty cell in vi");
        assert_eq!(skipped(run("yi,vi", "NA,NA")), "empty cells in yi and vi");
        assert_eq!(
            skipped(run("yi,vi,sei", "0.5,,")),
            "empty cells in vi and sei"
        );
        assert_eq!(
            skipped(run("yi,lower,upper", "0.5,0.1,")),
            "empty cell in upper"
        );
        assert_eq!(
            skipped(run("yi,vi,a,sa,b,sb", ",0.1,0.5,,0.4,0.2")),
            "empty cells in yi and sa"
        );
        // A lone lower column is no source, so its empty cell is not the reason.
        assert_eq!(skipped(run("yi,vi,lower", "0.5,,")), "empty cell in vi");
    }

    #[test]
    fn significant_digits() {
        assert_eq!(significant(0.3), "0.3");
        assert_eq!(significant(0.29999999999999993), "0.3");
        assert_eq!(significant(0.000123456), "0.0001235");
        assert_eq!(significant(12.3456), "12.35");
        assert_eq!(significant(123456.7), "123457");
        assert_eq!(significant(-0.5), "-0.5");
        assert_eq!(significant(0.0), "0");
    }
}
