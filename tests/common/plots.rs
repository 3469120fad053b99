//! Shared helpers for the plot tests (tests/plots.rs, tests/plots_analyses.rs): reports to draw,
//! snapshots, and reading the SVG that plotters writes (texts, elements, attributes, polygons).

use metapool::{analyze, Document, Options, Report};

/// The BCG vaccine trials (metafor's `dat.bcg`).
pub const BCG: &str = include_str!("../../www/examples/bcg.csv");

/// The report of `data` analysed with `options`; panics when the analysis fails.
pub fn analyze_with(data: &str, options: Options) -> Report {
    analyze(&Document {
        data: data.into(),
        options,
    })
    .unwrap_or_else(|e| panic!("analysis failed: {e}"))
}

/// Cell `j` of every data row of `csv`, without quotes (the cells hold no commas, so a plain
/// split does).
pub fn cells(csv: &str, j: usize) -> Vec<String> {
    csv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cell = l.split(',').nth(j).expect("a cell");
            cell.trim_matches('"').to_string()
        })
        .collect()
}

/// Writes `svg` to tests/snapshots/`name`, so that changes to the pictures show up in review.
pub fn snapshot(name: &str, svg: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    std::fs::create_dir_all(&dir).expect("tests/snapshots can be created");
    std::fs::write(dir.join(name), svg).expect("the snapshot can be written");
}

/// The text of every `<text>` element in document order, as written (still escaped).
pub fn texts(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        rest = &rest[start..];
        let open_end = rest.find('>').expect("a text tag closes") + 1;
        let close = rest.find("</text>").expect("a text element ends");
        out.push(rest[open_end..close].trim().to_string());
        rest = &rest[close..];
    }
    out
}

/// Elements with tag `tag` (e.g. "<rect").
pub fn elements<'a>(svg: &'a str, tag: &str) -> Vec<&'a str> {
    svg.match_indices(tag)
        .map(|(i, _)| {
            let end = svg[i..].find('>').expect("a tag closes");
            &svg[i..i + end]
        })
        .collect()
}

/// The value of attribute `name` of an element.
pub fn attr<'a>(element: &'a str, name: &str) -> &'a str {
    let key = format!(" {name}=\"");
    let start = element
        .find(&key)
        .unwrap_or_else(|| panic!("{element} has {name}"))
        + key.len();
    &element[start..start + element[start..].find('"').expect("the value ends")]
}

/// The value of attribute `name` of an element, as a number.
pub fn num(element: &str, name: &str) -> f64 {
    attr(element, name).parse().expect("a number")
}

/// Points of every polygon.
pub fn polygons(svg: &str) -> Vec<Vec<(f64, f64)>> {
    elements(svg, "<polygon")
        .iter()
        .map(|e| {
            attr(e, "points")
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').expect("x,y");
                    (x.parse().expect("x"), y.parse().expect("y"))
                })
                .collect()
        })
        .collect()
}

/// Whether `pieces` appear as consecutive text elements.
pub fn has_run(texts: &[String], pieces: &[&str]) -> bool {
    texts
        .windows(pieces.len())
        .any(|w| w.iter().zip(pieces).all(|(a, b)| a == b))
}

/// Every coordinate written into the SVG's geometry lies within its width and height.
pub fn assert_inside(svg: &str, width: f64, height: f64) {
    for a in ["x", "y", "x1", "x2", "y1", "y2", "cx", "cy"] {
        let key = format!(" {a}=\"");
        for (i, _) in svg.match_indices(&key) {
            let v = &svg[i + key.len()..];
            let v: f64 = v[..v.find('"').unwrap()].parse().unwrap();
            if a.starts_with('x') || a == "cx" {
                assert!((-0.5..=width + 0.5).contains(&v), "{a}={v}");
            } else {
                assert!((-0.5..=height + 0.5).contains(&v), "{a}={v}");
            }
        }
    }
}

/// `s` as the SVG writes it in text: `&`, `<`, `>` and `"` escaped.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
