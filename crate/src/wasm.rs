//! The browser bindings. They only convert: a JS value in, one core call, a JS value out.
//!
//! Compiled only for `wasm32` (see `lib.rs`); the page (`www/app.js`) is their one user.
//! Shapes seen from JS:
//!
//! - `analyze(doc)`: `doc` is an analysis document `{data: string, options?: {method?, ci?,
//!   level?, ci_level_in?, roles?, by?, mods?, leave1out?, bias?, cumulative?, cumulative_by?}}`
//!   (docs/api.md); returns the report exactly as the CLI's `--json` prints it (maps are plain
//!   objects, missing values `null`).
//! - `pool(yi, vi, options?)`: effects and sampling variances as arrays of numbers (or
//!   Float64Arrays) of equal length, `options` as a document's `{method?, ci?, level?}`; returns
//!   the report's `overall` object for them (no table to read, no row per study: for large k,
//!   e.g. simulations; `./build.sh bench` times k = 10⁶ with it). Errors as `analyze`.
//! - `draw_forest(canvas, report, dpr)`, `draw_funnel(canvas, report, dpr)`: draw the report
//!   `analyze` returned on an `HTMLCanvasElement` whose `width`/`height` are in device pixels
//!   (CSS size × `dpr`). Fit once, then plot the result: no plot call re-runs the analysis.
//! - `forest_size(report)`: `[width, height]` in CSS pixels that the forest plot needs.
//! - `forest_svg(report)`, `funnel_svg(report)`: the plots as SVG text for downloads.
//! - `draw_plot(canvas, report, kind, dpr)`, `plot_svg(report, kind)`, `plot_size(report, kind)`:
//!   any plot by its name (`PlotKind`'s serde name: "forest", "funnel", "subgroupforest",
//!   "bubble", "funnelcontours", "leaveoneout", "baujat", "summaryforest"), as the three calls
//!   above. A plot of an analysis the report lacks (a subgroup forest without `by`) is an error
//!   that names the option.
//! - `new GoshRun(report)`: the GOSH fits of the report's studies with its method (every subset
//!   up to k = 20, else 10⁶ seeded random subsets), fitted by `run.step(n)` → `{done, total}`
//!   in chunks (the page's worker); `run.density(nx?, ny?)` → the fits so far binned for the
//!   plot (default 90 × 45): `{nx, ny, x_min, x_max, counts, subsets, failed, exhaustive, k,
//!   method, full: [estimate, I2] | null, x_label}`, a few kB where the fits are 46 MB at
//!   k = 20; `run.free()` releases the fits. `gosh_plan(k)` → `{subsets, exhaustive}`: what a
//!   run over k studies will fit. `draw_gosh(canvas, density, dpr)` and `gosh_svg(density)` draw
//!   a density (the page's main thread never fits).
//! - `export_r(doc)`: the analysis document as an R script using metafor (the text of
//!   `metapool --export-r`: data inline, the same model, numbers printed); errors as `analyze`.
//! - `presets()`: the named software presets, `[{code, name, method, ci, pi_type, i2_type,
//!   source}]`, for a list to choose from (the document's `preset` option takes a `code`).
//! - Every failure is thrown as `{message: string, row: number | null, column: string | null}`:
//!   the error's text for the user, and the data row (from 1) and column name it is about.
//! - A panic (a bug) writes its message to the console and to `globalThis.metapoolPanic`; the
//!   call then throws a `WebAssembly.RuntimeError` and the page starts a fresh instance.

use crate::gosh;
use crate::plot::{self, PlotKind, PlotStyle};
use crate::{Document, Report};
use plotters::drawing::IntoDrawingArea;
use plotters_canvas::CanvasBackend;
use serde::Serialize;
use std::cell::RefCell;
use std::fmt::Display;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

/// Sets the panic hook, once, when the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        // The instance is unusable after a panic; the page reads this to tell the user why.
        let _ = js_sys::Reflect::set(
            &js_sys::global(),
            &JsValue::from_str("metapoolPanic"),
            &JsValue::from_str(&info.to_string()),
        );
    }));
}

/// Runs an analysis: document in, report out (see the module docs for both shapes).
#[wasm_bindgen]
pub fn analyze(doc: JsValue) -> Result<JsValue, JsValue> {
    to_js(&report_of(doc)?)
}

/// Pools effects and sampling variances given as arrays, without a table: the report's
/// `overall` (see the module docs).
#[wasm_bindgen]
pub fn pool(yi: Vec<f64>, vi: Vec<f64>, options: JsValue) -> Result<JsValue, JsValue> {
    let options: crate::Options = if options.is_undefined() || options.is_null() {
        Default::default()
    } else {
        serde_wasm_bindgen::from_value(options)
            .map_err(|e| into_error(format_args!("the options are not valid: {e}"), None, None))?
    };
    let overall = crate::pool(&yi, &vi, &options).map_err(|e| core_error(&e))?;
    to_js(&overall)
}

#[cfg(feature = "extras")]
/// The analysis as an R script using metafor: document in, the script's text out.
#[wasm_bindgen]
pub fn export_r(doc: JsValue) -> Result<String, JsValue> {
    let doc = document_in(doc)?;
    crate::r_script(&doc).map_err(|e| core_error(&e))
}

/// The named presets of common software defaults, each with its source.
#[wasm_bindgen]
pub fn presets() -> Result<JsValue, JsValue> {
    to_js(&crate::reproduce::Preset::ALL)
}

/// Draws the forest plot on `canvas` (sized in device pixels; `dpr` device pixels per CSS pixel).
#[wasm_bindgen]
pub fn draw_forest(canvas: HtmlCanvasElement, report: JsValue, dpr: f64) -> Result<(), JsValue> {
    let report = report_in(report)?;
    let area = canvas_area(canvas)?;
    plot::draw_forest(
        &area,
        &report,
        &PlotStyle {
            scale: dpr,
            ..Default::default()
        },
    )
    .map_err(|e| into_error(e, None, None))?;
    area.present().map_err(|e| into_error(e, None, None))
}

/// Draws the funnel plot on `canvas`, as [`draw_forest`].
#[wasm_bindgen]
pub fn draw_funnel(canvas: HtmlCanvasElement, report: JsValue, dpr: f64) -> Result<(), JsValue> {
    let report = report_in(report)?;
    let area = canvas_area(canvas)?;
    plot::draw_funnel(
        &area,
        &report,
        &PlotStyle {
            scale: dpr,
            ..Default::default()
        },
    )
    .map_err(|e| into_error(e, None, None))?;
    area.present().map_err(|e| into_error(e, None, None))
}

/// The size `[width, height]` in CSS pixels the forest plot of `report` needs.
#[wasm_bindgen]
pub fn forest_size(report: JsValue) -> Result<Vec<u32>, JsValue> {
    let (width, height) = plot::forest_size(&*report_in(report)?);
    Ok(vec![width, height])
}

/// The forest plot as an SVG document, at its natural size.
#[wasm_bindgen]
pub fn forest_svg(report: JsValue) -> Result<String, JsValue> {
    let report = report_in(report)?;
    let (width, height) = plot::forest_size(&report);
    plot::forest_svg(
        &report,
        &PlotStyle {
            width,
            height,
            ..Default::default()
        },
    )
    .map_err(|e| into_error(e, None, None))
}

/// The funnel plot as an SVG document, at the default size.
#[wasm_bindgen]
pub fn funnel_svg(report: JsValue) -> Result<String, JsValue> {
    plot::funnel_svg(&*report_in(report)?, &PlotStyle::default())
        .map_err(|e| into_error(e, None, None))
}

/// Draws the plot called `kind` on `canvas` (sized in device pixels; `dpr` device pixels per CSS
/// pixel).
#[wasm_bindgen]
pub fn draw_plot(
    canvas: HtmlCanvasElement,
    report: JsValue,
    kind: &str,
    dpr: f64,
) -> Result<(), JsValue> {
    let kind = kind_in(kind)?;
    let report = report_in(report)?;
    let area = canvas_area(canvas)?;
    let style = PlotStyle {
        scale: dpr,
        ..Default::default()
    };
    plot::draw(kind, &area, &report, &style).map_err(|e| into_error(e, None, None))?;
    area.present().map_err(|e| into_error(e, None, None))
}

/// The plot called `kind` as an SVG document, at its natural size.
#[wasm_bindgen]
pub fn plot_svg(report: JsValue, kind: &str) -> Result<String, JsValue> {
    let kind = kind_in(kind)?;
    let report = report_in(report)?;
    let (width, height) = plot::size(kind, &report);
    let style = PlotStyle {
        width,
        height,
        ..Default::default()
    };
    kind.svg(&report, &style)
        .map_err(|e| into_error(e, None, None))
}

/// The size `[width, height]` in CSS pixels the plot called `kind` needs for `report`.
#[wasm_bindgen]
pub fn plot_size(report: JsValue, kind: &str) -> Result<Vec<u32>, JsValue> {
    let kind = kind_in(kind)?;
    let (width, height) = plot::size(kind, &*report_in(report)?);
    Ok(vec![width, height])
}

#[cfg(feature = "extras")]
/// A GOSH run of a report's studies (see the module docs), stepped by the page's worker.
#[wasm_bindgen]
pub struct GoshRun {
    run: plot::ReportGosh,
}

#[cfg(feature = "extras")]
#[wasm_bindgen]
impl GoshRun {
    /// Plans the GOSH run of `report` (as `analyze` returned it); fits nothing yet.
    #[wasm_bindgen(constructor)]
    pub fn new(report: JsValue) -> Result<GoshRun, JsValue> {
        let report = report_in(report)?;
        plot::ReportGosh::new(&report)
            .map(|run| GoshRun { run })
            .map_err(|e| into_error(e, None, None))
    }

    /// Fits the next `n` subsets (fewer at the end); returns `{done, total}`.
    pub fn step(&mut self, n: u32) -> Result<JsValue, JsValue> {
        to_js(&self.run.step(u64::from(n)))
    }

    /// `{done, total}` without fitting.
    pub fn progress(&self) -> Result<JsValue, JsValue> {
        to_js(&self.run.progress())
    }

    /// The fits so far binned on an `nx × ny` grid (default: the plot's, 90 × 45).
    pub fn density(&self, nx: Option<usize>, ny: Option<usize>) -> Result<JsValue, JsValue> {
        let (dx, dy) = gosh::DENSITY_BINS;
        to_js(&self.run.density(nx.unwrap_or(dx), ny.unwrap_or(dy)))
    }
}

/// What a GOSH run over `k` studies fits: `{subsets, exhaustive}` (in both cores: the page shows
/// it beside the option before the full core is loaded).
#[wasm_bindgen]
pub fn gosh_plan(k: usize) -> Result<JsValue, JsValue> {
    #[derive(Serialize)]
    struct Plan {
        subsets: u64,
        exhaustive: bool,
    }
    let (subsets, exhaustive) = gosh::plan(k, None);
    to_js(&Plan {
        subsets,
        exhaustive,
    })
}

#[cfg(feature = "extras")]
/// Draws the GOSH plot of a density (from `GoshRun.density`) on `canvas`, as [`draw_plot`].
#[wasm_bindgen]
pub fn draw_gosh(canvas: HtmlCanvasElement, density: JsValue, dpr: f64) -> Result<(), JsValue> {
    let density = density_in(density)?;
    let area = canvas_area(canvas)?;
    let style = PlotStyle {
        scale: dpr,
        ..Default::default()
    };
    plot::draw_gosh(&area, &density, &style).map_err(|e| into_error(e, None, None))?;
    area.present().map_err(|e| into_error(e, None, None))
}

#[cfg(feature = "extras")]
/// The GOSH plot of a density as an SVG document, at the default size.
#[wasm_bindgen]
pub fn gosh_svg(density: JsValue) -> Result<String, JsValue> {
    plot::gosh_svg(&density_in(density)?, &PlotStyle::default())
        .map_err(|e| into_error(e, None, None))
}

#[cfg(feature = "extras")]
/// A GOSH density (as `GoshRun.density` returned it) back into the core's type.
fn density_in(density: JsValue) -> Result<gosh::Density, JsValue> {
    serde_wasm_bindgen::from_value(density)
        .map_err(|e| into_error(format_args!("not a GOSH density: {e}"), None, None))
}

/// A plot's name into its kind.
fn kind_in(kind: &str) -> Result<PlotKind, JsValue> {
    kind.parse().map_err(|e| into_error(e, None, None))
}

/// A report (a JS value, as `analyze` returned it) back into the core's type. The last one
/// converted is remembered with its JS object: the page draws several plots of one report (each
/// asking for its size, then drawing), and converting 100 studies takes about half a millisecond.
/// The page never changes a report object it was given.
fn report_in(report: JsValue) -> Result<Rc<Report>, JsValue> {
    thread_local! {
        static LAST: RefCell<Option<(JsValue, Rc<Report>)>> = const { RefCell::new(None) };
    }
    if let Some(hit) = LAST.with_borrow(|last| {
        last.as_ref()
            .filter(|(js, _)| js_sys::Object::is(js, &report))
            .map(|(_, r)| Rc::clone(r))
    }) {
        return Ok(hit);
    }
    let converted: Report = serde_wasm_bindgen::from_value(report.clone())
        .map_err(|e| into_error(format_args!("not a metapool report: {e}"), None, None))?;
    let converted = Rc::new(converted);
    LAST.set(Some((report, Rc::clone(&converted))));
    Ok(converted)
}

/// An analysis document from a JS value.
fn document_in(doc: JsValue) -> Result<Document, JsValue> {
    serde_wasm_bindgen::from_value(doc).map_err(|e| {
        into_error(
            format_args!("the analysis document is not valid: {e}"),
            None,
            None,
        )
    })
}

/// Document (a JS value) to report.
fn report_of(doc: JsValue) -> Result<Report, JsValue> {
    let doc = document_in(doc)?;
    crate::analyze(&doc).map_err(|e| core_error(&e))
}

fn canvas_area(
    canvas: HtmlCanvasElement,
) -> Result<plotters::drawing::DrawingArea<CanvasBackend, plotters::coord::Shift>, JsValue> {
    CanvasBackend::with_canvas_object(canvas)
        .map(IntoDrawingArea::into_drawing_area)
        .ok_or_else(|| into_error("the canvas has no 2D context", None, None))
}

/// The error object JS receives.
#[derive(Serialize)]
struct JsError<'a> {
    message: String,
    row: Option<usize>,
    column: Option<&'a str>,
    /// Only when true: the analysis needs the full core (this one was built without `extras`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    needs_extras: bool,
}

/// The one way errors cross the boundary: `{message, row, column}`.
fn into_error(message: impl Display, row: Option<usize>, column: Option<&str>) -> JsValue {
    to_js(&JsError {
        message: message.to_string(),
        row,
        column,
        needs_extras: false,
    })
    .unwrap_or_else(|e| e)
}

/// A core error as `{message, row, column}`, with `needs_extras: true` for
/// [`crate::Error::NeedsExtras`] (the page then loads the full core and asks again).
fn core_error(e: &crate::Error) -> JsValue {
    to_js(&JsError {
        message: e.to_string(),
        row: e.row(),
        column: e.column(),
        needs_extras: e.needs_extras(),
    })
    .unwrap_or_else(|e| e)
}

/// Serializes as JSON would: maps become plain objects and `None` becomes `null`.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from_str(&e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    const BCG: &str = include_str!("../../www/examples/bcg.csv");

    fn get(value: &JsValue, key: &str) -> JsValue {
        js_sys::Reflect::get(value, &JsValue::from_str(key)).expect("an object")
    }

    fn doc(data: &str, options: &str) -> JsValue {
        let json = format!(
            r#"{{"data": {}, "options": {options}}}"#,
            serde_json::to_string(data).unwrap()
        );
        js_sys::JSON::parse(&json).expect("valid JSON")
    }

    #[wasm_bindgen_test]
    fn analyze_round_trips_the_document_and_report() {
        let report = analyze(doc(BCG, r#"{"method": "REML", "level": 0.95}"#)).expect("a report");
        let overall = get(&report, "overall");
        assert_eq!(get(&report, "k").as_f64(), Some(13.0));
        assert_eq!(get(&overall, "method").as_string().as_deref(), Some("REML"));
        let estimate = get(&overall, "estimate").as_f64().unwrap();
        assert!((estimate - -0.7145).abs() < 1e-4, "{estimate}");
        // Maps are plain objects, None is null: the same JSON as the CLI's --json.
        let expected = serde_json::to_string(
            &crate::analyze(&Document {
                data: BCG.into(),
                options: crate::Options {
                    method: Some("REML".into()),
                    level: Some(0.95),
                    ..Default::default()
                },
            })
            .unwrap(),
        )
        .unwrap();
        let json: String = js_sys::JSON::stringify(&report).unwrap().into();
        let a: serde_json::Value = serde_json::from_str(&json).unwrap();
        let b: serde_json::Value = serde_json::from_str(&expected).unwrap();
        assert_eq!(a, b);
        assert!(get(&overall, "df").is_null());
        assert!(get(&get(&report, "columns"), "0").is_object());
    }

    #[wasm_bindgen_test]
    fn pool_gives_the_overall_row_of_arrays() {
        let options = js_sys::JSON::parse(r#"{"method": "DL"}"#).unwrap();
        let overall = pool(vec![0.1, 0.5, 0.9], vec![0.01, 0.02, 0.03], options).expect("a result");
        let expected = crate::pool(&[0.1, 0.5, 0.9], &[0.01, 0.02, 0.03], &crate::Options {
            method: Some("DL".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(get(&overall, "estimate").as_f64(), Some(expected.estimate));
        assert_eq!(get(&overall, "method").as_string().as_deref(), Some("DL"));
        assert!(pool(vec![0.1, 0.5], vec![0.01, 0.02], JsValue::UNDEFINED).is_ok());
        let error = pool(vec![0.1, 0.5], vec![0.01], JsValue::UNDEFINED).unwrap_err();
        assert!(get(&error, "message").as_string().unwrap().contains("2 effects but 1"));
        let error = pool(vec![0.1, 0.5], vec![0.01, -1.0], JsValue::UNDEFINED).unwrap_err();
        assert_eq!(get(&error, "row").as_f64(), Some(2.0));
    }

    #[wasm_bindgen_test]
    fn options_take_roles_by_header_name() {
        let report = analyze(doc(
            "name,logOR,v\nA,0.1,0.01\nB,0.3,0.02\n",
            r#"{"roles": {"name": "study", "logOR": "yi", "v": "vi"}}"#,
        ))
        .expect("a report");
        let first = get(&get(&report, "studies"), "0");
        assert_eq!(get(&first, "study").as_string().as_deref(), Some("A"));
    }

    #[wasm_bindgen_test]
    fn a_bad_cell_is_an_error_object_with_row_and_column() {
        let err = analyze(doc("study,yi,vi\nA,0.1,0.01\nB,abc,0.02\n", "{}")).unwrap_err();
        assert_eq!(
            get(&err, "message").as_string().as_deref(),
            Some("row 2, column yi: expected a number, found 'abc'")
        );
        assert_eq!(get(&err, "row").as_f64(), Some(2.0));
        assert_eq!(get(&err, "column").as_string().as_deref(), Some("yi"));
    }

    #[wasm_bindgen_test]
    fn errors_without_a_place_have_null_row_and_column() {
        let err = analyze(doc(BCG, r#"{"method": "XX"}"#)).unwrap_err();
        assert!(get(&err, "message").as_string().unwrap().contains("XX"));
        assert!(get(&err, "row").is_null());
        assert!(get(&err, "column").is_null());
    }

    fn canvas(width: u32, height: u32) -> HtmlCanvasElement {
        use wasm_bindgen::JsCast;
        let make = js_sys::Function::new_with_args(
            "w, h",
            "const c = document.createElement('canvas'); c.width = w; c.height = h; return c;",
        );
        make.call2(&JsValue::NULL, &width.into(), &height.into())
            .unwrap()
            .dyn_into()
            .unwrap()
    }

    /// Pixels that are not white (or transparent).
    fn ink(canvas: &HtmlCanvasElement) -> f64 {
        let count = js_sys::Function::new_with_args(
            "c",
            "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
             for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i] + d[i + 1] + d[i + 2] < 600) n++;
             return n;",
        );
        count
            .call1(&JsValue::NULL, canvas)
            .unwrap()
            .as_f64()
            .unwrap()
    }

    #[wasm_bindgen_test]
    fn plots_draw_on_a_canvas_and_as_svg() {
        // The plot calls take the report that analyze returned.
        let d = || analyze(doc(BCG, "{}")).unwrap();
        let size: Vec<u32> = forest_size(d()).unwrap();
        assert_eq!(size.len(), 2);
        let forest = canvas(size[0] * 2, size[1] * 2);
        draw_forest(forest.clone(), d(), 2.0).expect("drawn");
        assert!(ink(&forest) > 1000.0, "the forest plot has ink");
        let funnel = canvas(600, 450);
        draw_funnel(funnel.clone(), d(), 1.0).expect("drawn");
        assert!(ink(&funnel) > 500.0, "the funnel plot has ink");
        assert!(forest_svg(d()).unwrap().starts_with("<svg"));
        assert!(funnel_svg(d()).unwrap().starts_with("<svg"));
    }

    #[wasm_bindgen_test]
    fn each_report_object_is_converted_for_itself() {
        // report_in remembers the last report converted, by its JS object: alternating two
        // reports must still give each its own plot.
        let bcg = analyze(doc(BCG, "{}")).unwrap();
        let two = analyze(doc("study,yi,vi\nA,0.1,0.01\nB,0.3,0.02\n", "{}")).unwrap();
        let tall = forest_size(bcg.clone()).unwrap()[1];
        let short = forest_size(two.clone()).unwrap()[1];
        assert!(tall > short, "{tall} > {short}");
        for _ in 0..2 {
            assert_eq!(forest_size(bcg.clone()).unwrap()[1], tall);
            assert_eq!(forest_size(two.clone()).unwrap()[1], short);
        }
        // An equal report in another object is converted again (and sized the same).
        assert_eq!(forest_size(analyze(doc(BCG, "{}")).unwrap()).unwrap()[1], tall);
    }

    #[wasm_bindgen_test]
    fn every_plot_kind_draws_by_its_name() {
        let d = || {
            analyze(doc(
                BCG,
                r#"{"by": "alloc", "mods": "ablat", "leave1out": true, "bias": true, "table": "alloc"}"#,
            ))
            .unwrap()
        };
        for kind in PlotKind::ALL {
            let name = kind.name();
            let size = plot_size(d(), name).unwrap();
            let c = canvas(size[0] * 2, size[1] * 2);
            draw_plot(c.clone(), d(), name, 2.0).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert!(ink(&c) > 1000.0, "the {name} plot has ink");
            assert!(plot_svg(d(), name).unwrap().starts_with("<svg"), "{name}");
        }
    }

    #[wasm_bindgen_test]
    fn an_unknown_plot_or_a_missing_analysis_is_an_error_object() {
        let err = draw_plot(
            canvas(10, 10),
            analyze(doc(BCG, "{}")).unwrap(),
            "violin",
            1.0,
        )
        .unwrap_err();
        let message = get(&err, "message").as_string().unwrap();
        assert!(
            message.contains("\"violin\"") && message.contains("baujat"),
            "{message}"
        );
        assert!(get(&err, "row").is_null());
        let err = plot_svg(analyze(doc(BCG, "{}")).unwrap(), "subgroupforest").unwrap_err();
        assert!(!get(&err, "message").as_string().unwrap().is_empty());
    }

    #[wasm_bindgen_test]
    fn a_plot_of_something_else_than_a_report_is_an_error_object() {
        let err =
            draw_forest(canvas(10, 10), doc("study,yi,vi\nA,0.1,1\n", "{}"), 1.0).unwrap_err();
        assert!(get(&err, "message")
            .as_string()
            .unwrap()
            .starts_with("not a metapool report"));
        assert!(get(&err, "row").is_null());
    }

    #[wasm_bindgen_test]
    fn gosh_runs_in_steps_and_draws_its_density() {
        let plan = gosh_plan(13).unwrap();
        assert_eq!(get(&plan, "subsets").as_f64(), Some(8191.0));
        assert_eq!(get(&plan, "exhaustive").as_bool(), Some(true));
        assert_eq!(get(&gosh_plan(21).unwrap(), "exhaustive").as_bool(), Some(false));
        let mut run = GoshRun::new(analyze(doc(BCG, r#"{"method": "DL"}"#)).unwrap()).unwrap();
        assert_eq!(get(&run.progress().unwrap(), "done").as_f64(), Some(0.0));
        let mut steps = 0;
        loop {
            let p = run.step(1000).unwrap();
            steps += 1;
            if get(&p, "done").as_f64() == get(&p, "total").as_f64() {
                break;
            }
        }
        assert_eq!(steps, 9);
        let d = run.density(None, None).unwrap();
        assert_eq!(get(&d, "nx").as_f64(), Some(90.0));
        assert_eq!(get(&d, "subsets").as_f64(), Some(8191.0));
        assert_eq!(get(&d, "x_label").as_string().as_deref(), Some("Effect (yi)"));
        assert!(js_sys::Array::is_array(&get(&d, "full")));
        let c = canvas(760 * 2, 480 * 2);
        draw_gosh(c.clone(), d.clone(), 2.0).expect("drawn");
        assert!(ink(&c) > 1000.0, "the GOSH plot has ink");
        let svg = gosh_svg(d).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("DL fits of all 8191 subsets"));
        // Too few studies, and something that is not a density, are error objects.
        let one = analyze(doc("study,yi,vi\nA,0.1,0.01\n", "{}")).unwrap();
        let err = GoshRun::new(one).err().expect("an error");
        assert!(get(&err, "message").as_string().unwrap().contains("at least 2"));
        let err = gosh_svg(JsValue::from_f64(3.0)).unwrap_err();
        assert!(get(&err, "message").as_string().unwrap().starts_with("not a GOSH density"));
    }

    #[wasm_bindgen_test]
    fn export_r_and_presets() {
        let script = export_r(doc(BCG, r#"{"method": "DL", "by": "alloc"}"#)).expect("a script");
        assert!(script.contains("method = \"DL\""));
        let err = export_r(doc("study,yi,vi\nA,x,0.1\n", "{}")).unwrap_err();
        assert_eq!(get(&err, "row").as_f64(), Some(1.0));
        let list = presets().unwrap();
        assert_eq!(get(&get(&list, "0"), "code").as_string().as_deref(), Some("revman5"));
        assert_eq!(get(&get(&list, "0"), "method").as_string().as_deref(), Some("DL"));
        let report = analyze(doc(BCG, r#"{"reproduce": "-0.71 (-1.06, -0.36)", "preset": "metafor"}"#)).unwrap();
        let first = get(&get(&get(&report, "reproduce"), "matches"), "0");
        assert_eq!(get(&first, "method").as_string().as_deref(), Some("DL"));
        assert_eq!(get(&get(&report, "preset"), "code").as_string().as_deref(), Some("metafor"));
    }

    #[wasm_bindgen_test]
    fn a_malformed_document_is_an_error_object() {
        let err = analyze(JsValue::from_f64(3.0)).unwrap_err();
        assert!(get(&err, "message")
            .as_string()
            .unwrap()
            .starts_with("the analysis document is not valid"));
        assert!(get(&err, "row").is_null());
    }
}
