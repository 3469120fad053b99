//! Column roles: which header name means what, and the checks on the set of columns.

use super::{ColumnInfo, Role};
use crate::error::Error;
use std::collections::BTreeMap;

/// Header names recognised for each role, already normalised (see [`normalize`]).
const ALIASES: &[(Role, &[&str])] = &[
    (
        Role::Study,
        &[
            "study", "studies", "author", "authors", "label", "name", "trial", "slab", "id",
            "studyid",
        ],
    ),
    (
        Role::Yi,
        &[
            "yi",
            "y",
            "effect",
            "es",
            "estimate",
            "est",
            "te",
            "effectsize",
            "logrr",
            "lnrr",
            "logor",
            "lnor",
            "loghr",
            "lnhr",
            "smd",
            "md",
            "hedgesg",
            "cohensd",
            "ie",
            "indirecteffect",
        ],
    ),
    (Role::Vi, &["vi", "v", "var", "variance"]),
    (
        Role::Sei,
        &["sei", "se", "stderr", "standarderror", "sete", "sem"],
    ),
    (
        Role::Lower,
        &[
            "lower",
            "lo",
            "low",
            "cilower",
            "cilb",
            "lci",
            "lcl",
            "ll",
            "lowerci",
            "lowerlimit",
            "lb",
        ],
    ),
    (
        Role::Upper,
        &[
            "upper",
            "hi",
            "high",
            "ciupper",
            "ciub",
            "uci",
            "ucl",
            "ul",
            "upperci",
            "upperlimit",
            "ub",
        ],
    ),
    (Role::A, &["a", "apath", "patha"]),
    (Role::Sa, &["sa", "sea", "ase", "sepatha", "apathse"]),
    (Role::B, &["b", "bpath", "pathb"]),
    (Role::Sb, &["sb", "seb", "bse", "sepathb", "bpathse"]),
    (Role::CovAb, &["covab", "cov", "sab"]),
];

/// A header name reduced for matching: lowercase, with every character that is not a letter or a
/// digit dropped (`"CI lower"`, `"ci_lower"` and `"CI.Lower"` all become `"cilower"`).
pub(crate) fn normalize(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The role a header name gives its column.
///
/// Matching ignores case and every character that is not a letter or a digit, so `CI lower`,
/// `ci_lower` and `CI.Lower` are all `cilower`, and `ci.lb` is `cilb`. The recognised names:
///
/// | Role    | Meaning                                   | Header names                                                                        |
/// |---------|-------------------------------------------|-------------------------------------------------------------------------------------|
/// | `study` | study label                               | study, studies, author, authors, label, name, trial, slab, id, studyid             |
/// | `yi`    | effect estimate                           | yi, y, effect, es, estimate, est, te, effectsize, logrr, lnrr, logor, lnor, loghr, lnhr, smd, md, hedgesg, cohensd, ie, indirecteffect |
/// | `vi`    | sampling variance                         | vi, v, var, variance                                                                |
/// | `sei`   | standard error                            | sei, se, stderr, standarderror, sete, sem                                           |
/// | `lower` | lower confidence limit                    | lower, lo, low, cilower, cilb, lci, lcl, ll, lowerci, lowerlimit, lb               |
/// | `upper` | upper confidence limit                    | upper, hi, high, ciupper, ciub, uci, ucl, ul, upperci, upperlimit, ub              |
/// | `a`     | mediation path a (exposure → mediator)    | a, apath, patha                                                                     |
/// | `sa`    | standard error of path a                  | sa, sea, ase, sepatha, apathse                                                      |
/// | `b`     | mediation path b (mediator → outcome)     | b, bpath, pathb                                                                     |
/// | `sb`    | standard error of path b                  | sb, seb, bse, sepathb, bpathse                                                      |
/// | `cov_ab` | covariance of the estimates of a and b (optional) | covab, cov, sab                                                             |
///
/// Any other name is [`Role::Other`]: a column kept for subgroups and moderators.
///
/// ```
/// use metapool::input::{detect_role, Role};
/// assert_eq!(detect_role("CI lower"), Role::Lower);
/// assert_eq!(detect_role("SE(a)"), Role::Sa);
/// assert_eq!(detect_role("region"), Role::Other);
/// ```
pub fn detect_role(header: &str) -> Role {
    let name = normalize(header);
    ALIASES
        .iter()
        .find(|(_, names)| names.contains(&name.as_str()))
        .map_or(Role::Other, |(role, _)| *role)
}

/// The column index of each role present in the header (at most one per role).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Layout {
    pub(crate) study: Option<usize>,
    pub(crate) yi: Option<usize>,
    pub(crate) vi: Option<usize>,
    pub(crate) sei: Option<usize>,
    pub(crate) lower: Option<usize>,
    pub(crate) upper: Option<usize>,
    pub(crate) a: Option<usize>,
    pub(crate) sa: Option<usize>,
    pub(crate) b: Option<usize>,
    pub(crate) sb: Option<usize>,
    pub(crate) cov_ab: Option<usize>,
}

impl Layout {
    fn slot(&mut self, role: Role) -> Option<&mut Option<usize>> {
        Some(match role {
            Role::Study => &mut self.study,
            Role::Yi => &mut self.yi,
            Role::Vi => &mut self.vi,
            Role::Sei => &mut self.sei,
            Role::Lower => &mut self.lower,
            Role::Upper => &mut self.upper,
            Role::A => &mut self.a,
            Role::Sa => &mut self.sa,
            Role::B => &mut self.b,
            Role::Sb => &mut self.sb,
            Role::CovAb => &mut self.cov_ab,
            Role::Other => return None,
        })
    }

    /// Columns holding effects or their precision, whose cells must be numbers.
    pub(crate) fn numeric(&self) -> Vec<usize> {
        let mut all: Vec<usize> = [
            self.yi,
            self.vi,
            self.sei,
            self.lower,
            self.upper,
            self.a,
            self.sa,
            self.b,
            self.sb,
            self.cov_ab,
        ]
        .into_iter()
        .flatten()
        .collect();
        all.sort_unstable();
        all
    }

    /// The mediation-path columns, when all four are present.
    pub(crate) fn paths(&self) -> Option<[usize; 4]> {
        Some([self.a?, self.sa?, self.b?, self.sb?])
    }

    /// The confidence-limit columns with the effect column, when all three are present.
    pub(crate) fn limits(&self) -> Option<[usize; 3]> {
        Some([self.yi?, self.lower?, self.upper?])
    }
}

/// Gives every header column a role: the user's choice in `overrides` (by header text, trimmed)
/// or else [`detect_role`]. Returns the columns with their roles and where each role is.
/// Warns about overrides that name no column.
///
/// # Errors
/// [`Error::DuplicateColumn`] when two header names are the same (ignoring case) or two columns
/// give the same role.
pub(crate) fn assign_roles(
    headers: &[String],
    overrides: &BTreeMap<String, Role>,
    warnings: &mut Vec<String>,
) -> Result<(Vec<ColumnInfo>, Layout), Error> {
    for (j, name) in headers.iter().enumerate() {
        if name.is_empty() {
            continue;
        }
        if headers[..j]
            .iter()
            .any(|earlier| earlier.to_lowercase() == name.to_lowercase())
        {
            return Err(Error::DuplicateColumn {
                column: name.clone(),
                other: name.clone(),
            });
        }
    }
    let overrides: BTreeMap<&str, Role> = overrides.iter().map(|(k, v)| (k.trim(), *v)).collect();
    for name in overrides.keys() {
        if !headers.iter().any(|h| h == name) {
            warnings.push(format!(
                "the role chosen for column '{name}' was not used: the header has no such column"
            ));
        }
    }
    let mut columns = Vec::with_capacity(headers.len());
    let mut layout = Layout::default();
    for (j, name) in headers.iter().enumerate() {
        let role = overrides
            .get(name.as_str())
            .copied()
            .unwrap_or_else(|| detect_role(name));
        if let Some(slot) = layout.slot(role) {
            if let Some(first) = *slot {
                return Err(Error::DuplicateColumn {
                    column: name.clone(),
                    other: headers[first].clone(),
                });
            }
            *slot = Some(j);
        }
        columns.push(ColumnInfo {
            name: name.clone(),
            role,
        });
    }
    Ok((columns, layout))
}

/// Checks that the header can give every study an effect and its precision.
///
/// # Errors
/// [`Error::MissingColumns`] saying what is missing and what was found.
pub(crate) fn check_sources(headers: &[String], layout: &Layout) -> Result<(), Error> {
    let name = |j: usize| headers[j].as_str();
    if layout.paths().is_some() {
        return Ok(());
    }
    if let Some(yi) = layout.yi {
        if layout.vi.is_some() || layout.sei.is_some() || layout.limits().is_some() {
            return Ok(());
        }
        let yi = name(yi);
        let message = match (layout.lower, layout.upper) {
            (Some(lower), None) => format!(
                "column {yi} has no precision: there is a lower limit ({}) but no upper limit; add the upper limit, or give vi or sei",
                name(lower)
            ),
            (None, Some(upper)) => format!(
                "column {yi} has no precision: there is an upper limit ({}) but no lower limit; add the lower limit, or give vi or sei",
                name(upper)
            ),
            _ => format!("column {yi} has no precision: add vi, sei, or lower and upper"),
        };
        return Err(Error::MissingColumns { message });
    }
    let paths = [
        ("a", layout.a),
        ("sa", layout.sa),
        ("b", layout.b),
        ("sb", layout.sb),
    ];
    let precision = [layout.vi, layout.sei, layout.lower, layout.upper];
    let found = if paths.iter().any(|(_, col)| col.is_some()) {
        let present: Vec<&str> = paths.iter().filter_map(|(_, col)| col.map(name)).collect();
        let absent: Vec<&str> = paths
            .iter()
            .filter(|(_, col)| col.is_none())
            .map(|(role, _)| *role)
            .collect();
        format!(
            "found the path column{} {} but not {}",
            plural(present.len()),
            join_and(&present),
            join_and(&absent)
        )
    } else if precision.iter().any(Option::is_some) {
        let present: Vec<&str> = precision.iter().flatten().map(|&j| name(j)).collect();
        format!("found {}, but no column for the effect", join_and(&present))
    } else {
        let all: Vec<&str> = headers
            .iter()
            .map(String::as_str)
            .filter(|h| !h.is_empty())
            .collect();
        format!("the header has {}", join_and(&all))
    };
    Err(Error::MissingColumns {
        message: format!(
            "no effect column: give yi with vi, sei, or lower and upper; or the mediation paths a, sa, b and sb ({found})"
        ),
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `"x"`, `"x and y"`, `"x, y and z"`.
pub(crate) fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn roles(names: &[&str]) -> Result<Vec<Role>, Error> {
        let (columns, _) = assign_roles(&headers(names), &BTreeMap::new(), &mut Vec::new())?;
        Ok(columns.into_iter().map(|c| c.role).collect())
    }

    fn missing(names: &[&str]) -> Result<(), Error> {
        let h = headers(names);
        let (_, layout) = assign_roles(&h, &BTreeMap::new(), &mut Vec::new()).unwrap();
        check_sources(&h, &layout)
    }

    fn missing_message(names: &[&str]) -> String {
        match missing(names) {
            Err(Error::MissingColumns { message }) => message,
            other => panic!("expected MissingColumns, got {other:?}"),
        }
    }

    #[test]
    fn normalize_drops_case_and_punctuation() {
        assert_eq!(normalize("CI lower"), "cilower");
        assert_eq!(normalize("ci_lower"), "cilower");
        assert_eq!(normalize("ci.lb"), "cilb");
        assert_eq!(normalize(" SE(a) "), "sea");
        assert_eq!(normalize("95% CI – upper"), "95ciupper");
    }

    #[test]
    fn every_alias_maps_to_its_role() {
        for (role, names) in ALIASES {
            for name in *names {
                assert_eq!(detect_role(name), *role, "{name}");
                assert_eq!(detect_role(&name.to_uppercase()), *role, "{name}");
            }
        }
    }

    #[test]
    fn aliases_are_normalised_and_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for (_, names) in ALIASES {
            for name in *names {
                assert_eq!(normalize(name), *name);
                assert!(seen.insert(*name), "alias {name} listed twice");
            }
        }
    }

    #[test]
    fn doc_table_lists_exactly_the_aliases() {
        let source = include_str!("columns.rs");
        for (role, names) in ALIASES {
            let key = format!(
                "/// | `{}`",
                serde_json::to_value(role).unwrap().as_str().unwrap()
            );
            let line = source
                .lines()
                .find(|l| l.trim_start().starts_with(&key))
                .expect("role row in doc table");
            let listed: Vec<&str> = line
                .rsplit('|')
                .nth(1)
                .unwrap()
                .split(',')
                .map(str::trim)
                .collect();
            assert_eq!(listed, *names, "doc table row for {role:?}");
        }
    }

    #[test]
    fn detect_role_examples() {
        assert_eq!(detect_role("Author"), Role::Study);
        assert_eq!(detect_role("Study ID"), Role::Study);
        assert_eq!(detect_role("Effect size"), Role::Yi);
        assert_eq!(detect_role("TE"), Role::Yi);
        assert_eq!(detect_role("Std. Err."), Role::Sei);
        assert_eq!(detect_role("seTE"), Role::Sei);
        assert_eq!(detect_role("CI lower"), Role::Lower);
        assert_eq!(detect_role("ci.lb"), Role::Lower);
        assert_eq!(detect_role("ci.ub"), Role::Upper);
        assert_eq!(detect_role("Upper limit"), Role::Upper);
        assert_eq!(detect_role("path_a"), Role::A);
        assert_eq!(detect_role("a_path_se"), Role::Sa);
        assert_eq!(detect_role("SE b"), Role::Sb);
        assert_eq!(detect_role("region"), Role::Other);
        assert_eq!(detect_role("year"), Role::Other);
        assert_eq!(detect_role(""), Role::Other);
    }

    #[test]
    fn roles_in_header_order() {
        assert_eq!(
            roles(&["Study", "yi", "vi", "region"]).unwrap(),
            [Role::Study, Role::Yi, Role::Vi, Role::Other]
        );
    }

    #[test]
    fn duplicate_header_names_ignoring_case() {
        assert_eq!(
            roles(&["study", "yi", "vi", "Region", "region"]),
            Err(Error::DuplicateColumn {
                column: "region".into(),
                other: "region".into()
            })
        );
        assert_eq!(
            roles(&["yi", "vi", "YI"]),
            Err(Error::DuplicateColumn {
                column: "YI".into(),
                other: "YI".into()
            })
        );
    }

    #[test]
    fn empty_header_names_are_not_duplicates() {
        assert_eq!(
            roles(&["yi", "", "vi", ""]).unwrap(),
            [Role::Yi, Role::Other, Role::Vi, Role::Other]
        );
    }

    #[test]
    fn two_columns_with_one_role() {
        let err = roles(&["yi", "vi", "variance"]).unwrap_err();
        assert_eq!(
            err,
            Error::DuplicateColumn {
                column: "variance".into(),
                other: "vi".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "columns 'vi' and 'variance' give the same thing: keep one of them"
        );
        assert_eq!(
            roles(&["author", "study", "yi", "vi"]),
            Err(Error::DuplicateColumn {
                column: "study".into(),
                other: "author".into()
            })
        );
    }

    #[test]
    fn overrides_by_exact_header_text() {
        let mut overrides = BTreeMap::new();
        overrides.insert("logOR".to_string(), Role::Yi);
        overrides.insert("se".to_string(), Role::Other);
        overrides.insert("missing".to_string(), Role::Vi);
        let mut warnings = Vec::new();
        let (columns, layout) =
            assign_roles(&headers(&["logOR", "se", "v"]), &overrides, &mut warnings).unwrap();
        let got: Vec<Role> = columns.iter().map(|c| c.role).collect();
        assert_eq!(got, [Role::Yi, Role::Other, Role::Vi]);
        assert_eq!((layout.yi, layout.sei, layout.vi), (Some(0), None, Some(2)));
        assert_eq!(
            warnings,
            ["the role chosen for column 'missing' was not used: the header has no such column"]
        );
    }

    #[test]
    fn override_can_create_a_duplicate_role() {
        let mut overrides = BTreeMap::new();
        overrides.insert("sd".to_string(), Role::Sei);
        let err =
            assign_roles(&headers(&["yi", "se", "sd"]), &overrides, &mut Vec::new()).unwrap_err();
        assert_eq!(
            err,
            Error::DuplicateColumn {
                column: "sd".into(),
                other: "se".into()
            }
        );
    }

    #[test]
    fn complete_sources_pass() {
        assert_eq!(missing(&["yi", "vi"]), Ok(()));
        assert_eq!(missing(&["yi", "sei"]), Ok(()));
        assert_eq!(missing(&["yi", "lower", "upper"]), Ok(()));
        assert_eq!(missing(&["a", "sa", "b", "sb"]), Ok(()));
        assert_eq!(missing(&["yi", "a", "sa", "b", "sb"]), Ok(()));
    }

    #[test]
    fn yi_without_precision() {
        assert_eq!(
            missing_message(&["study", "yi"]),
            "column yi has no precision: add vi, sei, or lower and upper"
        );
        assert_eq!(
            missing_message(&["study", "Effect", "CI lower"]),
            "column Effect has no precision: there is a lower limit (CI lower) but no upper limit; add the upper limit, or give vi or sei"
        );
        assert_eq!(
            missing_message(&["yi", "ub"]),
            "column yi has no precision: there is an upper limit (ub) but no lower limit; add the lower limit, or give vi or sei"
        );
    }

    #[test]
    fn no_effect_column() {
        assert_eq!(
            missing_message(&["study", "x", "z"]),
            "no effect column: give yi with vi, sei, or lower and upper; or the mediation paths a, sa, b and sb (the header has study, x and z)"
        );
        assert_eq!(
            missing_message(&["study", "vi", "se"]),
            "no effect column: give yi with vi, sei, or lower and upper; or the mediation paths a, sa, b and sb (found vi and se, but no column for the effect)"
        );
        assert_eq!(
            missing_message(&["study", "a", "SE(a)", "b"]),
            "no effect column: give yi with vi, sei, or lower and upper; or the mediation paths a, sa, b and sb (found the path columns a, SE(a) and b but not sb)"
        );
        assert_eq!(
            missing_message(&["a", "vi"]),
            "no effect column: give yi with vi, sei, or lower and upper; or the mediation paths a, sa, b and sb (found the path column a but not sa, b and sb)"
        );
    }

    #[test]
    fn join_and_forms() {
        assert_eq!(join_and(&[]), "");
        assert_eq!(join_and(&["x"]), "x");
        assert_eq!(join_and(&["x", "y"]), "x and y");
        assert_eq!(join_and(&["x", "y", "z"]), "x, y and z");
    }
}
