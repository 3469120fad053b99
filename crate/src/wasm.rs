//! The browser bindings. They only convert: a JS value in, one core call, a JS value out.
//!
//! Compiled only for `wasm32` (see `lib.rs`); the page (`www/app.js`) is their one user.
//! Shapes seen from JS:
//!
//! - `analyze(doc)`: `doc` is an analysis document `{data: string, options?: {method?, ci?,
//!   level?, ci_level_in?, roles?}}`; returns the report exactly as the CLI's `--json` prints it
//!   (maps are plain objects, missing values `null`).
//! - Every failure is thrown as `{message: string, row: number | null, column: string | null}`:
//!   the error's text for the user, and the data row (from 1) and column name it is about.
//! - A panic (a bug) writes its message to the console and to `globalThis.metapoolPanic`; the
//!   call then throws a `WebAssembly.RuntimeError` and the page starts a fresh instance.

use crate::{Document, Error};
use serde::Serialize;
use wasm_bindgen::prelude::*;

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
    let doc: Document = serde_wasm_bindgen::from_value(doc).map_err(|e| plain_error(&format!(
        "the analysis document is not valid: {e}"
    )))?;
    let report = crate::analyze(&doc).map_err(|e| into_error(&e))?;
    to_js(&report)
}

/// The error object JS receives.
#[derive(Serialize)]
struct JsError<'a> {
    message: String,
    row: Option<usize>,
    column: Option<&'a str>,
}

/// The one way errors cross the boundary: `{message, row, column}`.
fn into_error(e: &Error) -> JsValue {
    to_js(&JsError { message: e.to_string(), row: e.row(), column: e.column() })
        .unwrap_or_else(|e| e)
}

fn plain_error(message: &str) -> JsValue {
    to_js(&JsError { message: message.to_string(), row: None, column: None })
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
        let json = format!(r#"{{"data": {}, "options": {options}}}"#, serde_json::to_string(data).unwrap());
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
        let expected = serde_json::to_string(&crate::analyze(&Document {
            data: BCG.into(),
            options: crate::Options { method: Some("REML".into()), level: Some(0.95), ..Default::default() },
        }).unwrap()).unwrap();
        let json: String = js_sys::JSON::stringify(&report).unwrap().into();
        let a: serde_json::Value = serde_json::from_str(&json).unwrap();
        let b: serde_json::Value = serde_json::from_str(&expected).unwrap();
        assert_eq!(a, b);
        assert!(get(&overall, "df").is_null());
        assert_eq!(get(&get(&report, "columns"), "0").is_object(), true);
    }

    #[wasm_bindgen_test]
    fn options_take_roles_by_header_name() {
        let report = analyze(doc("name,logOR,v\nA,0.1,0.01\nB,0.3,0.02\n", r#"{"roles": {"name": "study", "logOR": "yi", "v": "vi"}}"#))
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

    #[wasm_bindgen_test]
    fn a_malformed_document_is_an_error_object() {
        let err = analyze(JsValue::from_f64(3.0)).unwrap_err();
        assert!(get(&err, "message").as_string().unwrap().starts_with("the analysis document is not valid"));
        assert!(get(&err, "row").is_null());
    }
}
