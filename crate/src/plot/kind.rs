//! One entry point for every plot: [`PlotKind`] names a plot, [`draw`] draws it on any plotters
//! area, [`PlotKind::svg`] writes it as SVG and [`size`] gives its natural size, so that the wasm
//! layer needs a single `draw_plot(canvas, report, kind, dpr)`.

use super::{
    baujat, bubble, forest, funnel, funnel_contours, leave1out, subgroup_forest, summary_forest,
    PlotError, PlotStyle,
};
use crate::report::Report;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::prelude::DrawingBackend;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The plots metapool draws from a report. Serialized (and parsed) as the lowercase names
/// "forest", "funnel", "subgroupforest", "bubble", "funnelcontours", "leaveoneout", "baujat"
/// and "summaryforest". The GOSH plot is not one of them: it is drawn from its fits' density
/// ([`draw_gosh`](super::draw_gosh)), which takes far longer to compute than any report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum PlotKind {
    /// The forest plot ([`draw_forest`](super::draw_forest)).
    Forest,
    /// The funnel plot ([`draw_funnel`](super::draw_funnel)).
    Funnel,
    /// Studies grouped by subgroup, a diamond per subgroup; needs `by`.
    SubgroupForest,
    /// Meta-regression on one numeric moderator; needs `mods` (and the moderator values).
    Bubble,
    /// The funnel around 0 with significance contours, and trim-and-fill studies with `bias`.
    FunnelContours,
    /// The estimate without each study; needs `leave1out`.
    LeaveOneOut,
    /// Contribution to heterogeneity against influence; needs `leave1out`.
    Baujat,
    /// A diamond per row of the summary table (one pooled fit per combination); needs `table`.
    SummaryForest,
}

impl PlotKind {
    /// Every kind, in the order a page would list them.
    pub const ALL: [PlotKind; 8] = [
        PlotKind::Forest,
        PlotKind::Funnel,
        PlotKind::SubgroupForest,
        PlotKind::Bubble,
        PlotKind::FunnelContours,
        PlotKind::LeaveOneOut,
        PlotKind::Baujat,
        PlotKind::SummaryForest,
    ];

    /// Whether this build draws it: every kind with the `extras` feature; the forest and funnel
    /// plots only without it (the page's first core).
    pub fn in_this_build(self) -> bool {
        cfg!(feature = "extras") || matches!(self, PlotKind::Forest | PlotKind::Funnel)
    }

    /// The name used in JSON and by [`FromStr`]: "forest", "subgroupforest" …
    pub fn name(self) -> &'static str {
        match self {
            PlotKind::Forest => "forest",
            PlotKind::Funnel => "funnel",
            PlotKind::SubgroupForest => "subgroupforest",
            PlotKind::Bubble => "bubble",
            PlotKind::FunnelContours => "funnelcontours",
            PlotKind::LeaveOneOut => "leaveoneout",
            PlotKind::Baujat => "baujat",
            PlotKind::SummaryForest => "summaryforest",
        }
    }

    /// Draws this plot of `report` on `area`; see [`draw`].
    ///
    /// # Errors
    /// As [`draw`].
    pub fn draw<DB: DrawingBackend>(
        self,
        area: &DrawingArea<DB, Shift>,
        report: &Report,
        style: &PlotStyle,
    ) -> Result<(), PlotError> {
        draw(self, area, report, style)
    }

    /// This plot of `report` as an SVG document of `style.width × style.height` pixels.
    ///
    /// # Errors
    /// As [`draw`], or for a zero width or height.
    pub fn svg(self, report: &Report, style: &PlotStyle) -> Result<String, PlotError> {
        if !self.in_this_build() {
            return Err(needs_extras(self));
        }
        match self {
            PlotKind::Forest => forest::forest_svg(report, style),
            PlotKind::Funnel => funnel::funnel_svg(report, style),
            PlotKind::SubgroupForest => subgroup_forest::subgroup_forest_svg(report, style),
            PlotKind::Bubble => bubble::bubble_svg(report, &moderator(report)?, style),
            PlotKind::FunnelContours => funnel_contours::funnel_contours_svg(report, style),
            PlotKind::LeaveOneOut => leave1out::leave1out_svg(report, style),
            PlotKind::Baujat => baujat::baujat_svg(report, style),
            PlotKind::SummaryForest => summary_forest::summary_forest_svg(report, style),
        }
    }
}

impl fmt::Display for PlotKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PlotKind {
    type Err = PlotError;

    /// Parses a [`PlotKind::name`], ignoring case, "-" and "_" ("leave-one-out", "Baujat").
    fn from_str(s: &str) -> Result<PlotKind, PlotError> {
        let key: String = s
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .flat_map(char::to_lowercase)
            .collect();
        PlotKind::ALL
            .into_iter()
            .find(|k| k.name() == key)
            .ok_or_else(|| {
                let names: Vec<&str> = PlotKind::ALL.iter().map(|k| k.name()).collect();
                PlotError::new(format!(
                    "there is no plot called \"{s}\"; choose one of {}",
                    names.join(", ")
                ))
            })
    }
}

/// Draws the plot `kind` of `report` on `area`, which may use any plotters backend whose text
/// size is in pixels (plotters-canvas' `CanvasBackend` in the page); its size in device pixels
/// divided by `style.scale` is the layout size in CSS pixels.
///
/// # Errors
/// [`PlotError`] when the report lacks the analysis the plot shows (subgroups, meta-regression,
/// leave-one-out), with a message that names the option to run; when it holds non-finite
/// numbers; or when the backend fails.
pub fn draw<DB: DrawingBackend>(
    kind: PlotKind,
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    if !kind.in_this_build() {
        return Err(needs_extras(kind));
    }
    match kind {
        PlotKind::Forest => forest::draw_forest(area, report, style),
        PlotKind::Funnel => funnel::draw_funnel(area, report, style),
        PlotKind::SubgroupForest => subgroup_forest::draw_subgroup_forest(area, report, style),
        PlotKind::Bubble => bubble::draw_bubble(area, report, &moderator(report)?, style),
        PlotKind::FunnelContours => funnel_contours::draw_funnel_contours(area, report, style),
        PlotKind::LeaveOneOut => leave1out::draw_leave1out(area, report, style),
        PlotKind::Baujat => baujat::draw_baujat(area, report, style),
        PlotKind::SummaryForest => summary_forest::draw_summary_forest(area, report, style),
    }
}

/// The error for a kind not [`PlotKind::in_this_build`].
fn needs_extras(kind: PlotKind) -> PlotError {
    PlotError::new(format!("the {kind} plot needs metapool's full core, which this build leaves out"))
}

/// The natural size in CSS pixels of the plot `kind` of `report`: the forest-like plots grow
/// with their rows; the others take the default [`PlotStyle`] size.
pub fn size(kind: PlotKind, report: &Report) -> (u32, u32) {
    if !kind.in_this_build() {
        return (PlotStyle::default().width, PlotStyle::default().height);
    }
    match kind {
        PlotKind::Forest => forest::forest_size(report),
        PlotKind::SubgroupForest => subgroup_forest::subgroup_forest_size(report),
        PlotKind::LeaveOneOut => leave1out::leave1out_size(report),
        PlotKind::SummaryForest => summary_forest::summary_forest_size(report),
        PlotKind::Funnel
        | PlotKind::Bubble
        | PlotKind::FunnelContours
        | PlotKind::Baujat => {
            let style = PlotStyle::default();
            (style.width, style.height)
        }
    }
}

/// The moderator's value for each study, from the report.
///
/// The report does not carry the moderator values yet (the proposed `regression.X`), so the
/// bubble plot is only available through [`draw_bubble`](super::draw_bubble) with the values
/// given; here the reason is returned as the error.
/// Each study's value of the one moderator (the second column of the regression's X), NaN for
/// a study the regression left out.
fn moderator(report: &Report) -> Result<Vec<f64>, PlotError> {
    bubble::check_regression(report)?;
    let reg = report
        .regression
        .as_ref()
        .expect("check_regression found a regression");
    Ok(report
        .studies
        .iter()
        .map(|s| {
            reg.rows
                .iter()
                .position(|&r| r == s.row)
                .map_or(f64::NAN, |i| reg.x[i][1])
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in PlotKind::ALL {
            assert_eq!(k.name().parse::<PlotKind>().unwrap(), k);
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.name()));
            assert_eq!(serde_json::from_str::<PlotKind>(&json).unwrap(), k);
        }
        assert_eq!(
            "Leave-One-Out".parse::<PlotKind>().unwrap(),
            PlotKind::LeaveOneOut
        );
        assert_eq!(
            "subgroup_forest".parse::<PlotKind>().unwrap(),
            PlotKind::SubgroupForest
        );
        assert_eq!(
            "summary-forest".parse::<PlotKind>().unwrap(),
            PlotKind::SummaryForest
        );
        let e = "violin".parse::<PlotKind>().unwrap_err();
        assert!(
            e.message().contains("\"violin\"") && e.message().contains("baujat"),
            "{e}"
        );
    }
}
