//! Line charts as SVG and PNG, with text that renders on any machine.
//!
//! plotters draws every chart as SVG, measuring text with Noto Sans (SIL OFL
//! 1.1, from the `notosans` crate). That SVG is then rendered by resvg with
//! the same bundled font (no system font is ever looked up): the PNG is its
//! raster, and the SVG written out carries the text as glyph outlines, so
//! both look the same on every machine, with a transparent `<text>` layer in
//! "Noto Sans" over it so the words can still be searched, copied and read by
//! a screen reader. PNGs are encoded with the `png` crate. Colours are
//! the Okabe–Ito palette, which stays distinguishable with colour-blindness.
//! One chart draws a few series; many series become small multiples
//! (`SmallMultiples`: a grid of panels sharing a title) rather than one
//! crowded plot. The legend sits in a strip above the plot, never on the
//! data (and is left out when the title already names the only line); markers (faults, detections, scaling actions) are dashed vertical
//! lines labelled at the top, labels thinned where they would collide.

use std::sync::{Arc, Once, OnceLock};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};

/// Okabe–Ito colours, in the order series get them.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(240, 228, 66),  // yellow (last: weak on white)
];

/// Pixel size of a single chart.
pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 540;
/// Pixel height of one row of small multiples.
pub const PANEL_HEIGHT: u32 = 300;
/// Panels side by side in small multiples.
pub const PANEL_COLUMNS: usize = 2;

/// One line.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A vertical line marking something that happened at `x` (a fault, a
/// detection, a scaling action, a knee).
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    pub x: f64,
    pub label: String,
}

/// A line chart: titled, with units on both axes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LineChart {
    pub title: String,
    /// Axis descriptions, units included: "time (s)", "latency (ms)".
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub markers: Vec<Marker>,
    /// Start the y axis at zero (counts, rates, utilizations).
    pub y_from_zero: bool,
    /// Extend the y axis to at least this value (1 for a utilization, so a
    /// quiet station does not look full).
    pub y_at_least: Option<f64>,
    /// Start the x axis at zero (time since the start of the run).
    pub x_from_zero: bool,
}

/// Several line charts in a grid under one title.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SmallMultiples {
    pub title: String,
    pub panels: Vec<LineChart>,
    /// What each panel adds (SLO thresholds), by the panel's index; a
    /// panel past its end adds nothing.
    pub notes: Vec<Annotations>,
}

/// A horizontal reference line across a chart: an SLO threshold, the
/// client timeout.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    pub y: f64,
    pub label: String,
}

/// What a run chart adds to a line chart: reference lines, and a label for
/// the windows in which no line has a value (on a latency chart, windows in
/// which no request completed).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Annotations {
    pub levels: Vec<Level>,
    pub gap_label: Option<String>,
    /// Vertical reference lines (an SLO's latency threshold on a latency
    /// distribution), drawn as the levels are, labelled at the bottom.
    pub thresholds: Vec<Marker>,
    /// The x values are decimal logarithms: ticks are labelled 10^x.
    pub x_log10: bool,
}

/// A chart of either shape.
#[derive(Clone, Debug, PartialEq)]
pub enum Figure {
    Line(LineChart),
    Panels(SmallMultiples),
    /// A line chart with reference lines or marked gaps.
    Annotated(LineChart, Annotations),
}

#[derive(Debug, thiserror::Error)]
#[error("cannot draw chart `{title}`: {reason}")]
pub struct ChartError {
    pub title: String,
    pub reason: String,
}

fn chart_error(title: &str, reason: impl std::fmt::Display) -> ChartError {
    ChartError {
        title: title.to_owned(),
        reason: reason.to_string(),
    }
}

static FONTS: Once = Once::new();

/// Registers the bundled font under the family names charts use.
fn register_fonts() {
    FONTS.call_once(|| {
        for family in ["sans-serif", "serif", "monospace"] {
            // The bundled fonts are valid TrueType; registration cannot fail.
            let _ = register_font(family, FontStyle::Normal, notosans::REGULAR_TTF);
            let _ = register_font(family, FontStyle::Bold, notosans::BOLD_TTF);
        }
    });
}

/// Text sizes and margins, in pixels: a full chart's or a panel's.
struct Layout {
    title: u32,
    tick: u32,
    axis: u32,
    legend: u32,
    marker: u32,
    margin: u32,
    x_area: u32,
    y_area: u32,
}

const FULL: Layout = Layout {
    title: 24,
    tick: 14,
    axis: 16,
    legend: 14,
    marker: 13,
    margin: 16,
    x_area: 48,
    y_area: 72,
};

const PANEL: Layout = Layout {
    title: 16,
    tick: 12,
    axis: 13,
    legend: 12,
    marker: 11,
    margin: 8,
    x_area: 40,
    y_area: 64,
};

impl LineChart {
    /// The axis ranges, padded so lines do not sit on the frame, with room
    /// above the data for marker labels.
    /// `top` is the fraction of the plot's height kept free above the data
    /// for marker labels.
    fn ranges(&self, notes: &Annotations, top: f64) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
        let levels = &notes.levels;
        let points = self
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|(x, y)| x.is_finite() && y.is_finite());
        let (mut x_min, mut x_max, mut y_min, mut y_max) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in points {
            x_min = x_min.min(x);
            x_max = x_max.max(x);
            y_min = y_min.min(y);
            y_max = y_max.max(y);
        }
        for marker in self
            .markers
            .iter()
            .chain(&notes.thresholds)
            .filter(|marker| marker.x.is_finite())
        {
            x_min = x_min.min(marker.x);
            x_max = x_max.max(marker.x);
        }
        for level in levels.iter().filter(|level| level.y.is_finite()) {
            y_min = y_min.min(level.y);
            y_max = y_max.max(level.y);
        }
        if x_min > x_max {
            (x_min, x_max) = (0.0, 1.0);
        }
        if y_min > y_max {
            (y_min, y_max) = (0.0, 1.0);
        }
        if self.y_from_zero {
            y_min = y_min.min(0.0);
        }
        if self.x_from_zero {
            x_min = x_min.min(0.0);
        }
        if let Some(at_least) = self.y_at_least {
            y_max = y_max.max(at_least);
        }
        if x_max <= x_min {
            x_max = x_min + 1.0;
        }
        let span = y_max - y_min;
        let pad = if span > 0.0 {
            span * 0.05
        } else {
            y_max.abs().max(1.0) * 0.1
        };
        // From zero, a sliver below it keeps a line at zero (no errors, an
        // idle station) visible above the axis instead of hidden in it.
        let y_low = if self.y_from_zero && y_min >= 0.0 {
            y_min - (y_max + pad - y_min) * 0.015
        } else {
            y_min - pad
        };
        let top = top.clamp(0.0, 0.6);
        let top_pad = if self.markers.is_empty() {
            pad
        } else {
            // The labels' rows take `top` of the plot above the data.
            pad.max((y_max - y_low) * top / (1.0 - top))
        };
        (x_min..x_max, y_low..y_max + top_pad)
    }

    /// Draws the chart into `area` (already filled).
    fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        layout: &Layout,
        notes: &Annotations,
    ) -> Result<(), ChartError> {
        let error = |reason: String| chart_error(&self.title, reason);
        let area = area
            .margin(layout.margin / 2, 0, layout.margin, layout.margin)
            .titled(&self.title, ("sans-serif", layout.title, FontStyle::Bold))
            .map_err(|e| error(e.to_string()))?;
        let area = self
            .draw_legend(&area, layout)
            .map_err(|e| error(e.to_string()))?;
        // Marker labels are stacked in rows; the rows they need decide the
        // room left above the data.
        let (x_range, _) = self.ranges(notes, 0.0);
        let (area_width, area_height) = area.dim_in_pixel();
        let plot_width = area_width.saturating_sub(layout.y_area) as f64;
        let plot_height = area_height.saturating_sub(layout.x_area + 4).max(1) as f64;
        let to_px =
            |x: f64| layout.y_area as f64 + (x - x_range.start) / (x_range.end - x_range.start) * plot_width;
        let marker_font = ("sans-serif", layout.marker).into_text_style(&area);
        let placed = self
            .place_labels(&area, &marker_font, to_px, layout.y_area as f64 + plot_width)
            .map_err(|e| error(e.to_string()))?;
        let rows = placed.iter().map(|label| label.row + 1).max().unwrap_or(0);
        let row_height = layout.marker as f64 + 5.0;
        let top = (rows as f64 * row_height + 4.0) / plot_height;
        let (x_range, y_range) = self.ranges(notes, top);
        let mut chart = ChartBuilder::on(&area)
            .margin_top(4)
            .x_label_area_size(layout.x_area)
            .y_label_area_size(layout.y_area)
            .build_cartesian_2d(x_range.clone(), y_range.clone())
            .map_err(|e| error(e.to_string()))?;
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .label_style(("sans-serif", layout.tick))
            .axis_desc_style(("sans-serif", layout.axis))
            .x_label_formatter(&|value| tick_label(*value))
            .y_label_formatter(&|value| tick_label(*value))
            .bold_line_style(GRID_BOLD)
            .light_line_style(RGBColor(246, 246, 246));
        if notes.x_log10 {
            // A log axis gets its own ticks (`log_ticks`), drawn below.
            mesh.x_labels(0);
        }
        mesh.draw().map_err(|e| error(e.to_string()))?;
        if notes.x_log10 {
            draw_log_ticks(&mut chart, &area, &x_range, &y_range, layout)
                .map_err(|e| error(e.to_string()))?;
        }
        if let Some(label) = &notes.gap_label {
            self.draw_gaps(&mut chart, &y_range, label, layout)
                .map_err(|e| error(e.to_string()))?;
        }
        self.draw_markers(&mut chart, &y_range, layout, &placed)
            .map_err(|e| error(e.to_string()))?;
        self.draw_levels(&mut chart, &x_range, &notes.levels, layout)
            .map_err(|e| error(e.to_string()))?;
        draw_thresholds(&mut chart, &y_range, &notes.thresholds, layout).map_err(|e| error(e.to_string()))?;
        // The first series is drawn solid, first; the others dashed over
        // it, each with its own dash, so where lines coincide ("failed:
        // refused" on "failed requests") both stay visible.
        for (index, series) in self.series.iter().enumerate() {
            let color = PALETTE[index % PALETTE.len()];
            let style = color.stroke_width(2);
            // A point that is not finite (a window without a value) breaks
            // the line; a point alone between two gaps gets a dot.
            for run in series.points.split(|(x, y)| !(x.is_finite() && y.is_finite())) {
                match dash(index) {
                    None => chart.draw_series(LineSeries::new(run.iter().copied(), style)),
                    Some((size, spacing)) => {
                        chart.draw_series(DashedLineSeries::new(run.iter().copied(), size, spacing, style))
                    }
                }
                .map_err(|e| error(e.to_string()))?;
                if run.len() == 1 {
                    chart
                        .draw_series(std::iter::once(Circle::new(run[0], 3, color.filled())))
                        .map_err(|e| error(e.to_string()))?;
                }
            }
            let points: Vec<(f64, f64)> = series
                .points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            if points.len() <= 40 {
                chart
                    .draw_series(points.iter().map(|&point| Circle::new(point, 3, color.filled())))
                    .map_err(|e| error(e.to_string()))?;
            }
        }
        if self.all_zero() {
            let font = ("sans-serif", layout.axis)
                .into_font()
                .color(&RGBColor(90, 90, 90));
            let middle = (x_range.start + x_range.end) / 2.0;
            let height = (y_range.start + y_range.end) / 2.0;
            chart
                .draw_series([Text::new(
                    "every value is 0",
                    (middle, height),
                    font.pos(Pos::new(HPos::Center, VPos::Center)),
                )])
                .map_err(|e| error(e.to_string()))?;
        }
        Ok(())
    }

    /// A legend for two or more lines, or for one whose name the title
    /// does not already say (`web` on a chart titled "Instances").
    fn needs_legend(&self) -> bool {
        match self.series.as_slice() {
            [] => false,
            [only] => !self.title.to_lowercase().contains(&only.name.to_lowercase()),
            _ => true,
        }
    }

    /// Whether there are values and every one of them is zero (a chart of
    /// errors in a run without errors), which the chart then says in words.
    fn all_zero(&self) -> bool {
        let mut values = self
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .map(|p| p.1)
            .filter(|y| y.is_finite());
        values.clone().next().is_some() && values.all(|y| y == 0.0)
    }

    /// Draws the legend as rows of entries above the plot (only with two or
    /// more series) and returns the area left for the plot.
    fn draw_legend<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        layout: &Layout,
    ) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
        if !self.needs_legend() {
            return Ok(area.clone());
        }
        let font = ("sans-serif", layout.legend)
            .into_font()
            .color(&RGBColor(30, 30, 30));
        let (width, _) = area.dim_in_pixel();
        let row_height = layout.legend as i32 + 8;
        let (left, swatch, gap) = (layout.y_area as i32, 22, 18);
        let (mut x, mut y) = (left, 2);
        for (index, series) in self.series.iter().enumerate() {
            let (text_width, _) = area.estimate_text_size(&series.name, &font)?;
            let entry = swatch + 6 + text_width as i32;
            if x > left && x + entry > width as i32 {
                (x, y) = (left, y + row_height);
            }
            let color = PALETTE[index % PALETTE.len()];
            let middle = y + row_height / 2 - 1;
            match dash(index) {
                None => area.draw(&PathElement::new(
                    vec![(x, middle), (x + swatch, middle)],
                    color.stroke_width(3),
                ))?,
                Some((size, spacing)) => {
                    let mut start = x;
                    while start < x + swatch {
                        let end = (start + size as i32).min(x + swatch);
                        area.draw(&PathElement::new(
                            vec![(start, middle), (end, middle)],
                            color.stroke_width(3),
                        ))?;
                        start = end + spacing as i32;
                    }
                }
            }
            area.draw_text(&series.name, &font, (x + swatch + 6, y + 2))?;
            x += entry + gap;
        }
        let (_, rest) = area.split_vertically(y + row_height + 2);
        Ok(rest)
    }

    /// Dashed vertical lines; labels at the top, merged when markers share
    /// an x and skipped when they would overlap the previous label.
    fn draw_markers<DB: DrawingBackend>(
        &self,
        chart: &mut ChartContext<
            DB,
            Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
        >,
        y_range: &std::ops::Range<f64>,
        layout: &Layout,
        placed: &[PlacedLabel],
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let line_style = ShapeStyle::from(&RGBColor(120, 120, 120)).stroke_width(1);
        let font = ("sans-serif", layout.marker)
            .into_font()
            .color(&RGBColor(70, 70, 70));
        let groups = self.marker_groups();
        // Every line first, then the labels over them.
        for (x, _) in &groups {
            chart.draw_series(DashedLineSeries::new(
                [(*x, y_range.start), (*x, y_range.end)],
                6,
                4,
                line_style,
            ))?;
        }
        let row_height = layout.marker as i32 + 5;
        for label in placed {
            // A white backing keeps the label legible over grid lines.
            let (dx, dy) = (label.left_px - label.x_px, 2 + label.row as i32 * row_height);
            let backing = Rectangle::new(
                [
                    (dx - 1, dy - 1),
                    (dx + label.width as i32 + 2, dy + layout.marker as i32 + 3),
                ],
                WHITE.mix(0.85).filled(),
            );
            chart.draw_series([EmptyElement::at((label.x, y_range.end))
                + backing
                + Text::new(label.text.clone(), (dx, dy), font.clone())])?;
        }
        Ok(())
    }

    /// Markers at the same x share one line and one label.
    fn marker_groups(&self) -> Vec<(f64, Vec<&str>)> {
        let mut markers: Vec<&Marker> = self.markers.iter().filter(|m| m.x.is_finite()).collect();
        markers.sort_by(|a, b| a.x.total_cmp(&b.x));
        let mut groups: Vec<(f64, Vec<&str>)> = Vec::new();
        for marker in markers {
            match groups.last_mut() {
                Some((x, labels)) if *x == marker.x => {
                    if !labels.contains(&marker.label.as_str()) {
                        labels.push(&marker.label);
                    }
                }
                _ => groups.push((marker.x, vec![&marker.label])),
            }
        }
        groups
    }

    /// Where each marker label goes: right of its line, or left of it when
    /// it would run past the plot's right edge (`right_px`), in the first
    /// row where it overlaps no label already placed. Every label is placed;
    /// none is dropped or clipped.
    fn place_labels<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        font: &TextStyle,
        to_px: impl Fn(f64) -> f64,
        right_px: f64,
    ) -> Result<Vec<PlacedLabel>, DrawingAreaErrorKind<DB::ErrorType>> {
        let mut row_ends: Vec<i32> = Vec::new();
        let mut placed = Vec::new();
        for (x, labels) in self.marker_groups() {
            let text = labels.join(", ");
            let (width, _) = area.estimate_text_size(&text, font)?;
            let x_px = to_px(x).round() as i32;
            let left_px = if x_px as f64 + 3.0 + width as f64 > right_px - 2.0 {
                (x_px - 3 - width as i32).max(0)
            } else {
                x_px + 3
            };
            let row = match row_ends.iter().position(|&end| left_px > end) {
                Some(row) => row,
                None => {
                    row_ends.push(i32::MIN);
                    row_ends.len() - 1
                }
            };
            row_ends[row] = left_px + width as i32 + 6;
            placed.push(PlacedLabel {
                x,
                x_px,
                left_px,
                width,
                row,
                text,
            });
        }
        Ok(placed)
    }

    /// Horizontal dashed lines, labelled at the right end above the line.
    fn draw_levels<DB: DrawingBackend>(
        &self,
        chart: &mut ChartContext<
            DB,
            Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
        >,
        x_range: &std::ops::Range<f64>,
        levels: &[Level],
        layout: &Layout,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let colour = RGBColor(170, 0, 0);
        let font = ("sans-serif", layout.marker).into_font().color(&colour);
        for level in levels.iter().filter(|level| level.y.is_finite()) {
            chart.draw_series(DashedLineSeries::new(
                [(x_range.start, level.y), (x_range.end, level.y)],
                10,
                4,
                colour.stroke_width(1),
            ))?;
            let (width, _) = chart.plotting_area().estimate_text_size(&level.label, &font)?;
            let backing = Rectangle::new(
                [(-(width as i32) - 6, -(layout.marker as i32) - 4), (-2, -1)],
                WHITE.mix(0.85).filled(),
            );
            chart.draw_series([EmptyElement::at((x_range.end, level.y))
                + backing
                + Text::new(
                    level.label.clone(),
                    (-4, -2),
                    font.pos(Pos::new(HPos::Right, VPos::Bottom)),
                )])?;
        }
        Ok(())
    }

    /// Grey bands over the windows in which no series has a value, each
    /// labelled (vertically when narrow) with `label`.
    fn draw_gaps<DB: DrawingBackend>(
        &self,
        chart: &mut ChartContext<
            DB,
            Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
        >,
        y_range: &std::ops::Range<f64>,
        label: &str,
        layout: &Layout,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let font = ("sans-serif", layout.marker)
            .into_font()
            .color(&RGBColor(90, 90, 90));
        for (start, end) in self.gaps() {
            chart.draw_series([Rectangle::new(
                [(start, y_range.start), (end, y_range.end)],
                RGBColor(120, 120, 120).mix(0.12).filled(),
            )])?;
            let middle = (start + end) / 2.0;
            let height = (y_range.start + y_range.end) / 2.0;
            let width_px = chart.backend_coord(&(end, height)).0 - chart.backend_coord(&(start, height)).0;
            let (text_width, _) = chart.plotting_area().estimate_text_size(label, &font)?;
            let font = if (text_width as i32) < width_px - 4 {
                font.clone()
            } else {
                font.transform(FontTransform::Rotate270)
            };
            chart.draw_series([Text::new(
                label.to_owned(),
                (middle, height),
                font.pos(Pos::new(HPos::Center, VPos::Center)),
            )])?;
        }
        Ok(())
    }

    /// Whether some windows have no value in any series (`gaps`).
    pub fn gaps_exist(&self) -> bool {
        !self.gaps().is_empty()
    }

    /// The spans of x, from the window before to the window after, over
    /// which every series has points but none a finite value.
    fn gaps(&self) -> Vec<(f64, f64)> {
        let Some(first) = self.series.first() else {
            return Vec::new();
        };
        let finite = |index: usize| {
            self.series
                .iter()
                .any(|s| s.points.get(index).is_some_and(|(_, y)| y.is_finite()))
        };
        let mut spans = Vec::new();
        let mut start: Option<usize> = None;
        for index in 0..first.points.len() {
            match (finite(index), start) {
                (false, None) => start = Some(index),
                (true, Some(from)) => {
                    let left = if from == 0 {
                        first.points[0].0
                    } else {
                        first.points[from - 1].0
                    };
                    spans.push((left, first.points[index].0));
                    start = None;
                }
                _ => {}
            }
        }
        if let (Some(from), Some(last)) = (start, first.points.last()) {
            let left = if from == 0 {
                first.points[0].0
            } else {
                first.points[from - 1].0
            };
            spans.push((left, last.0));
        }
        spans.retain(|(a, b)| a.is_finite() && b.is_finite() && b > a);
        spans
    }

    /// The chart as an SVG document.
    pub fn svg(&self) -> Result<String, ChartError> {
        self.annotated_svg(&Annotations::default())
    }

    /// The chart with reference lines and marked gaps, as an SVG document.
    pub fn annotated_svg(&self, notes: &Annotations) -> Result<String, ChartError> {
        svg_of(&self.title, (WIDTH, HEIGHT), |root| {
            self.draw_on(&root, &FULL, notes)
        })
    }

    /// The chart with reference lines and marked gaps, as a PNG image.
    pub fn annotated_png(&self, notes: &Annotations) -> Result<Vec<u8>, ChartError> {
        png_of(&self.title, (WIDTH, HEIGHT), |root| {
            self.draw_on(&root, &FULL, notes)
        })
    }

    /// The chart as a PNG image.
    pub fn png(&self) -> Result<Vec<u8>, ChartError> {
        self.annotated_png(&Annotations::default())
    }
}

/// A marker label's place: its line's x (data and pixels), its left edge in
/// pixels, its width and its row (0 at the top).
/// Red dashed vertical lines at `thresholds`, each labelled at the
/// bottom of the plot, right of its line.
fn draw_thresholds<DB: DrawingBackend>(
    chart: &mut ChartContext<
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    y_range: &std::ops::Range<f64>,
    thresholds: &[Marker],
    layout: &Layout,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let colour = RGBColor(170, 0, 0);
    let font = ("sans-serif", layout.marker).into_font().color(&colour);
    for (index, threshold) in thresholds.iter().filter(|t| t.x.is_finite()).enumerate() {
        chart.draw_series(DashedLineSeries::new(
            [(threshold.x, y_range.start), (threshold.x, y_range.end)],
            10,
            4,
            colour.stroke_width(1),
        ))?;
        let (width, _) = chart
            .plotting_area()
            .estimate_text_size(&threshold.label, &font)?;
        // Stacked upwards, so two thresholds close together stay legible.
        let dy = -(index as i32 + 1) * (layout.marker as i32 + 5);
        let backing = Rectangle::new(
            [(2, dy - 1), (width as i32 + 6, dy + layout.marker as i32 + 3)],
            WHITE.mix(0.85).filled(),
        );
        chart.draw_series([EmptyElement::at((threshold.x, y_range.start))
            + backing
            + Text::new(threshold.label.clone(), (4, dy), font.clone())])?;
    }
    Ok(())
}

/// The mesh's grid lines at labelled ticks.
const GRID_BOLD: RGBColor = RGBColor(218, 218, 218);

/// The ticks of a log axis whose values are decimal logarithms, as such
/// logarithms: the 1-2-5 sequence (… 0.5, 1, 2, 5, 10, 20 …) inside
/// `range`; 1-2-3-5 when that gives fewer than 4 ticks, every 1…9 × 10^k
/// when even that gives fewer than 3; when 1-2-5 gives more than 10,
/// decades, or every 2nd, 5th, 10th … decade, the first of these with 10
/// ticks at most.
pub fn log_ticks(range: &std::ops::Range<f64>) -> Vec<f64> {
    if !(range.start.is_finite() && range.end.is_finite()) || range.end < range.start {
        return Vec::new();
    }
    let pick = |mantissas: &[f64], every: i64| -> Vec<f64> {
        let (low, high) = (range.start.floor() as i64 - 1, range.end.ceil() as i64 + 1);
        (low..=high)
            .filter(|exponent| exponent.rem_euclid(every) == 0)
            .flat_map(|exponent| mantissas.iter().map(move |m| m.log10() + exponent as f64))
            .filter(|x| *x >= range.start - 1e-9 && *x <= range.end + 1e-9)
            .collect()
    };
    let ticks = pick(&[1.0, 2.0, 5.0], 1);
    if ticks.len() < 4 {
        let more = pick(&[1.0, 2.0, 3.0, 5.0], 1);
        return if more.len() < 3 {
            pick(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0], 1)
        } else {
            more
        };
    }
    if ticks.len() <= 10 {
        return ticks;
    }
    // Every 1, 2, 5, 10, 20 … decades: a finite f64's logarithm spans
    // under 700 decades, so this ends by 1000.
    for every in (0..4).flat_map(|power| [1, 2, 5].map(|m| m * 10i64.pow(power))) {
        let decades = pick(&[1.0], every);
        if decades.len() <= 10 {
            return decades;
        }
    }
    Vec::new()
}

/// A log x axis's ticks (`log_ticks`): a grid line, a tick mark and the
/// value (10^x) below the axis, as the mesh draws a linear axis's.
fn draw_log_ticks<DB: DrawingBackend>(
    chart: &mut ChartContext<
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    area: &DrawingArea<DB, Shift>,
    x_range: &std::ops::Range<f64>,
    y_range: &std::ops::Range<f64>,
    layout: &Layout,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let font = ("sans-serif", layout.tick)
        .into_text_style(area)
        .pos(Pos::new(HPos::Center, VPos::Top));
    let (base_x, base_y) = area.get_base_pixel();
    for tick in log_ticks(x_range) {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(tick, y_range.start), (tick, y_range.end)],
            GRID_BOLD.stroke_width(1),
        )))?;
        let (x, y) = chart.backend_coord(&(tick, y_range.start));
        let (x, y) = (x - base_x, y - base_y);
        area.draw(&PathElement::new(vec![(x, y), (x, y + 5)], BLACK.stroke_width(1)))?;
        area.draw(&Text::new(
            tick_label(significant(10f64.powf(tick), 2)),
            (x, y + 8),
            font.clone(),
        ))?;
    }
    Ok(())
}

/// `value` rounded to `digits` significant digits.
pub fn significant(value: f64, digits: i32) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    let scale = 10f64.powi(digits - 1 - value.abs().log10().floor() as i32);
    (value * scale).round() / scale
}

struct PlacedLabel {
    x: f64,
    x_px: i32,
    left_px: i32,
    width: u32,
    row: usize,
    text: String,
}

/// The dash (length, gap in pixels) of the series at `index`: the first is
/// solid, the others dashed, each differently.
fn dash(index: usize) -> Option<(u32, u32)> {
    match index % 4 {
        0 => None,
        1 => Some((10, 5)),
        2 => Some((3, 4)),
        _ => Some((14, 4)),
    }
}

/// A tick value without needless decimals: `100`, `0.05`, `1.25`.
pub fn tick_label(value: f64) -> String {
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

impl SmallMultiples {
    fn grid(&self) -> (usize, usize) {
        let columns = PANEL_COLUMNS.min(self.panels.len()).max(1);
        (self.panels.len().div_ceil(columns).max(1), columns)
    }

    /// Pixel size: the full width, one `PANEL_HEIGHT` per row plus the title.
    pub fn size(&self) -> (u32, u32) {
        (WIDTH, 48 + PANEL_HEIGHT * self.grid().0 as u32)
    }

    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let body = root
            .margin(8, 0, 0, 0)
            .titled(&self.title, ("sans-serif", FULL.title, FontStyle::Bold))
            .map_err(|e| chart_error(&self.title, e))?;
        let none = Annotations::default();
        for (index, (panel, area)) in self.panels.iter().zip(body.split_evenly(self.grid())).enumerate() {
            panel.draw_on(&area, &PANEL, self.notes.get(index).unwrap_or(&none))?;
        }
        Ok(())
    }

    pub fn svg(&self) -> Result<String, ChartError> {
        svg_of(&self.title, self.size(), |root| self.draw_on(&root))
    }

    pub fn png(&self) -> Result<Vec<u8>, ChartError> {
        png_of(&self.title, self.size(), |root| self.draw_on(&root))
    }
}

impl Figure {
    pub fn title(&self) -> &str {
        match self {
            Figure::Line(chart) | Figure::Annotated(chart, _) => &chart.title,
            Figure::Panels(panels) => &panels.title,
        }
    }

    pub fn svg(&self) -> Result<String, ChartError> {
        match self {
            Figure::Line(chart) => chart.svg(),
            Figure::Annotated(chart, notes) => chart.annotated_svg(notes),
            Figure::Panels(panels) => panels.svg(),
        }
    }

    pub fn png(&self) -> Result<Vec<u8>, ChartError> {
        match self {
            Figure::Line(chart) => chart.png(),
            Figure::Annotated(chart, notes) => chart.annotated_png(notes),
            Figure::Panels(panels) => panels.png(),
        }
    }
}

/// The family name the bundled font is known by in the SVGs.
pub const FONT_FAMILY: &str = "Noto Sans";

/// resvg's options: a font database holding only the bundled Noto Sans
/// (regular and bold), which also answers for the generic families.
fn resvg_options() -> &'static resvg::usvg::Options<'static> {
    static OPTIONS: OnceLock<resvg::usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut fonts = resvg::usvg::fontdb::Database::new();
        fonts.load_font_data(notosans::REGULAR_TTF.to_vec());
        fonts.load_font_data(notosans::BOLD_TTF.to_vec());
        fonts.set_sans_serif_family(FONT_FAMILY);
        fonts.set_serif_family(FONT_FAMILY);
        fonts.set_monospace_family(FONT_FAMILY);
        resvg::usvg::Options {
            font_family: FONT_FAMILY.to_owned(),
            fontdb: Arc::new(fonts),
            ..resvg::usvg::Options::default()
        }
    })
}

/// plotters' SVG of a figure, text in the generic `sans-serif` family.
fn plotters_svg(
    title: &str,
    size: (u32, u32),
    draw: impl FnOnce(DrawingArea<SVGBackend, Shift>) -> Result<(), ChartError>,
) -> Result<String, ChartError> {
    register_fonts();
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| chart_error(title, e))?;
        draw(root.clone())?;
        root.present().map_err(|e| chart_error(title, e))?;
    }
    Ok(text)
}

fn parse(title: &str, svg: &str) -> Result<resvg::usvg::Tree, ChartError> {
    resvg::usvg::Tree::from_str(svg, resvg_options()).map_err(|e| chart_error(title, e))
}

/// The SVG written out: the drawing with text as Noto Sans outlines, then
/// plotters' `<text>` elements again, transparent and naming the bundled
/// family, so the words stay searchable without changing how they look.
fn svg_of(
    title: &str,
    size: (u32, u32),
    draw: impl FnOnce(DrawingArea<SVGBackend, Shift>) -> Result<(), ChartError>,
) -> Result<String, ChartError> {
    let source = plotters_svg(title, size, draw)?;
    let tree = parse(title, &source)?;
    let options = resvg::usvg::WriteOptions {
        coordinates_precision: 2,
        transforms_precision: 4,
        indent: resvg::usvg::Indent::None,
        attributes_indent: resvg::usvg::Indent::None,
        // Each text is written as `<text>` and replaced below by its glyphs.
        preserve_text: true,
        ..resvg::usvg::WriteOptions::default()
    };
    let mut outlined =
        glyphs::outline_text(&tree, &tree.to_string(&options)).map_err(|e| chart_error(title, e))?;
    let mut texts = String::new();
    let mut rest = source.as_str();
    while let Some(start) = rest.find("<text") {
        let Some(length) = rest[start..].find("</text>") else {
            break;
        };
        let end = start + length + "</text>".len();
        texts.push_str(&rest[start..end].replace(
            "font-family=\"sans-serif\"",
            &format!("font-family=\"{FONT_FAMILY}\""),
        ));
        texts.push('\n');
        rest = &rest[end..];
    }
    let Some(close) = outlined.rfind("</svg>") else {
        return Err(chart_error(title, "resvg wrote no closing </svg>"));
    };
    outlined.truncate(close);
    outlined.push_str("\n<g fill-opacity=\"0\">\n");
    outlined.push_str(&texts);
    outlined.push_str("</g>\n</svg>\n");
    Ok(outlined)
}

/// The PNG: plotters' SVG rasterised by resvg with the bundled font.
/// Text as glyph outlines, each outline defined once per SVG.
///
/// resvg's own writer turns every text into one path of absolute
/// coordinates, so a glyph's outline is repeated at each use: 100 KB to
/// 1 MB per chart. Here each glyph (font face and glyph number) is a
/// `<path>` in font units under `<defs>`, and each use of it is a
/// `<use>` with the transform usvg's layout gives it (the same outlines
/// and positions resvg draws the PNG from, so both look the same).
mod glyphs {
    use std::collections::BTreeMap;
    use std::fmt::Write;

    use resvg::usvg::{Group, Node, Paint, Text, Tree};

    /// Replaces the `<text>` elements `written` holds (usvg's output with
    /// `preserve_text`, one per text node of `tree` in document order) by
    /// their glyphs, and defines the glyphs used once, at the start.
    pub fn outline_text(tree: &Tree, written: &str) -> Result<String, String> {
        let mut texts = Vec::new();
        collect(tree.root(), &mut texts);
        let mut defs: BTreeMap<String, (f32, String)> = BTreeMap::new();
        let mut out = String::with_capacity(written.len());
        let mut rest = written;
        for text in texts {
            let start = rest.find("<text").ok_or("fewer <text> elements than texts")?;
            let end = start
                + rest[start..]
                    .find("</text>")
                    .ok_or("a <text> element is not closed")?
                + "</text>".len();
            out.push_str(&rest[..start]);
            uses(tree, text, &mut defs, &mut out);
            rest = &rest[end..];
        }
        if rest.contains("<text") {
            return Err("more <text> elements than texts".to_owned());
        }
        out.push_str(rest);
        let open_end = out.find('>').ok_or("no <svg> element")? + 1;
        let mut definitions = String::from("<defs>");
        for (id, (_, path)) in defs.iter().filter(|(_, (_, path))| !path.is_empty()) {
            let _ = write!(definitions, "<path id=\"{id}\" d=\"{path}\"/>");
        }
        definitions.push_str("</defs>");
        out.insert_str(open_end, &definitions);
        Ok(merge_paths(&out))
    }

    /// Joins runs of adjacent `<path>` elements that differ only in their
    /// data (grid lines, a dashed line's dashes) into one path each. Only
    /// opaque paths without a fill rule, transform or id are joined: for
    /// them, drawing the union is drawing each in turn.
    pub fn merge_paths(svg: &str) -> String {
        let mut out = String::with_capacity(svg.len());
        let mut pending: Option<(&str, String)> = None;
        let flush = |pending: &mut Option<(&str, String)>, out: &mut String| {
            if let Some((attributes, data)) = pending.take() {
                let _ = write!(out, "<path {attributes}d=\"{data}\"/>");
            }
        };
        let mut rest = svg;
        while let Some(start) = rest.find("<path ") {
            let Some(length) = rest[start..].find("/>") else {
                break;
            };
            let element = &rest[start..start + length + 2];
            if start > 0 {
                flush(&mut pending, &mut out);
                out.push_str(&rest[..start]);
            }
            rest = &rest[start + length + 2..];
            let body = &element["<path ".len()..element.len() - 2];
            let joinable = body.find("d=\"").filter(|_| {
                body.ends_with('"')
                    && [
                        "id=",
                        "opacity",
                        "fill-rule",
                        "transform",
                        "clip",
                        "mask",
                        "filter",
                    ]
                    .iter()
                    .all(|word| !body.contains(word))
            });
            let Some(at) = joinable else {
                flush(&mut pending, &mut out);
                out.push_str(element);
                continue;
            };
            let (attributes, data) = (&body[..at], &body[at + 3..body.len() - 1]);
            match &mut pending {
                Some((same, joined)) if *same == attributes => {
                    joined.push(' ');
                    joined.push_str(data);
                }
                _ => {
                    flush(&mut pending, &mut out);
                    pending = Some((attributes, data.to_owned()));
                }
            }
        }
        flush(&mut pending, &mut out);
        out.push_str(rest);
        out
    }

    fn collect<'a>(group: &'a Group, texts: &mut Vec<&'a Text>) {
        for node in group.children() {
            match node {
                Node::Group(group) => collect(group, texts),
                Node::Text(text) => texts.push(text),
                _ => {}
            }
        }
    }

    /// One `<g>` per span, filled with the span's colour, of `<use>`s.
    fn uses(tree: &Tree, text: &Text, defs: &mut BTreeMap<String, (f32, String)>, out: &mut String) {
        for span in text.layouted() {
            let Some(fill) = &span.fill else {
                continue;
            };
            let Paint::Color(colour) = fill.paint() else {
                continue;
            };
            let _ = write!(
                out,
                "<g fill=\"#{:02x}{:02x}{:02x}\"",
                colour.red, colour.green, colour.blue
            );
            let opacity = fill.opacity().get();
            if opacity < 1.0 {
                let _ = write!(out, " fill-opacity=\"{}\"", number(opacity, 4));
            }
            out.push('>');
            for glyph in &span.positioned_glyphs {
                let Some(face) = tree.fontdb().face(glyph.font) else {
                    continue;
                };
                // A glyph is defined at its size, in pixels with y down, so
                // an upright use is only its position.
                let id = format!(
                    "{}{}_{}",
                    if face.weight.0 >= 600 { 'b' } else { 'r' },
                    number(glyph.font_size(), 2).replace('.', "p"),
                    glyph.id.0
                );
                let Some(scale) = defined(tree, glyph, &id, defs) else {
                    continue; // a space: no outline
                };
                let t = glyph.outline_transform();
                let (a, b, c, d) = (t.sx / scale, t.ky / scale, -t.kx / scale, -t.sy / scale);
                let upright =
                    (a - 1.0).abs() < 1e-5 && (d - 1.0).abs() < 1e-5 && b.abs() < 1e-5 && c.abs() < 1e-5;
                if upright {
                    let _ = write!(
                        out,
                        "<use href=\"#{id}\" x=\"{}\" y=\"{}\"/>",
                        number(t.tx, 2),
                        number(t.ty, 2)
                    );
                } else {
                    let _ = write!(
                        out,
                        "<use href=\"#{id}\" transform=\"matrix({} {} {} {} {} {})\"/>",
                        number(a, 5),
                        number(b, 5),
                        number(c, 5),
                        number(d, 5),
                        number(t.tx, 2),
                        number(t.ty, 2)
                    );
                }
            }
            out.push_str("</g>");
        }
    }

    /// Defines `glyph` as `id` (its outline scaled to its size, y down)
    /// unless it is; returns the scale from font units, or `None` for a
    /// glyph without outline.
    fn defined(
        tree: &Tree,
        glyph: &resvg::usvg::layout::PositionedGlyph,
        id: &str,
        defs: &mut BTreeMap<String, (f32, String)>,
    ) -> Option<f32> {
        if !defs.contains_key(id) {
            let outline = tree
                .fontdb()
                .with_face_data(glyph.font, |data, index| {
                    let face = ttf_parser::Face::parse(data, index).ok()?;
                    let scale = glyph.font_size() / face.units_per_em() as f32;
                    let mut pen = Pen(String::new(), scale);
                    face.outline_glyph(ttf_parser::GlyphId(u16::try_from(glyph.id.0).ok()?), &mut pen)?;
                    Some((scale, pen.0))
                })
                .flatten();
            defs.insert(id.to_owned(), outline.unwrap_or_default());
        }
        let (scale, path) = &defs[id];
        (!path.is_empty()).then_some(*scale)
    }

    /// Path data of an outline in font units, scaled by `.1` and flipped
    /// (fonts count y up, SVG down).
    struct Pen(String, f32);

    impl Pen {
        fn point(&mut self, x: f32, y: f32) {
            let _ = write!(self.0, "{} {}", number(x * self.1, 2), number(-y * self.1, 2));
        }
    }

    impl ttf_parser::OutlineBuilder for Pen {
        fn move_to(&mut self, x: f32, y: f32) {
            self.0.push('M');
            self.point(x, y);
        }
        fn line_to(&mut self, x: f32, y: f32) {
            self.0.push('L');
            self.point(x, y);
        }
        fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
            self.0.push('Q');
            self.point(x1, y1);
            self.0.push(' ');
            self.point(x, y);
        }
        fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
            self.0.push('C');
            self.point(x1, y1);
            self.0.push(' ');
            self.point(x2, y2);
            self.0.push(' ');
            self.point(x, y);
        }
        fn close(&mut self) {
            self.0.push('Z');
        }
    }

    /// `value` with at most `decimals` decimals, trailing zeros dropped.
    fn number(value: f32, decimals: usize) -> String {
        let text = format!("{value:.decimals$}");
        let text = if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.')
        } else {
            &text
        };
        if text == "-0" {
            "0".to_owned()
        } else {
            text.to_owned()
        }
    }
}

fn png_of(
    title: &str,
    (width, height): (u32, u32),
    draw: impl FnOnce(DrawingArea<SVGBackend, Shift>) -> Result<(), ChartError>,
) -> Result<Vec<u8>, ChartError> {
    let source = plotters_svg(title, (width, height), draw)?;
    let tree = parse(title, &source)?;
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new(width, height).ok_or_else(|| chart_error(title, "empty image size"))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::identity(),
        &mut pixmap.as_mut(),
    );
    // The background is opaque white, so dropping alpha loses nothing.
    let pixels: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|rgba| [rgba[0], rgba[1], rgba[2]])
        .collect();
    let mut encoded = Vec::new();
    let mut encoder = png::Encoder::new(&mut encoded, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // zlib level 3, not the default 6: measured on a run's 30 charts, it
    // halves the encoding time (0.09 s to 0.05 s; it was most of a short
    // run's CPU time) for files 6 % larger. The fastest mode (fdeflate)
    // would save 0.03 s more but triple the size.
    encoder.set_deflate_compression(png::DeflateCompression::Level(3));
    let mut writer = encoder.write_header().map_err(|e| chart_error(title, e))?;
    writer
        .write_image_data(&pixels)
        .map_err(|e| chart_error(title, e))?;
    writer.finish().map_err(|e| chart_error(title, e))?;
    Ok(encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LineChart {
        LineChart {
            title: "Latency over time".into(),
            x_label: "time (s)".into(),
            y_label: "latency (ms)".into(),
            series: vec![
                Series {
                    name: "p50".into(),
                    points: (0..50).map(|i| (i as f64, 10.0 + (i % 7) as f64)).collect(),
                },
                Series {
                    name: "p99".into(),
                    points: (0..50).map(|i| (i as f64, 40.0 + (i % 11) as f64)).collect(),
                },
            ],
            markers: vec![Marker {
                x: 20.0,
                label: "fault".into(),
            }],
            y_from_zero: true,
            y_at_least: None,
            x_from_zero: false,
        }
    }

    #[test]
    fn a_lone_line_gets_a_legend_only_when_the_title_does_not_name_it() {
        let one = |title: &str, name: &str| LineChart {
            title: title.into(),
            series: vec![Series {
                name: name.into(),
                points: vec![(0.0, 1.0)],
            }],
            ..LineChart::default()
        };
        assert!(one("Instances", "web").needs_legend());
        assert!(!one("Requests in flight", "in flight").needs_legend());
        assert!(one("Instances", "web").svg().unwrap().contains(">\nweb\n<"));
        assert!(sample().needs_legend());
    }

    #[test]
    fn log_ticks_follow_one_two_five() {
        let labels = |low: f64, high: f64| -> Vec<String> {
            log_ticks(&(low.log10()..high.log10()))
                .into_iter()
                .map(|tick| tick_label(significant(10f64.powf(tick), 2)))
                .collect()
        };
        assert_eq!(labels(0.3, 60.0), ["0.5", "1", "2", "5", "10", "20", "50"]);
        assert_eq!(labels(1.0, 10.0), ["1", "2", "5", "10"]);
        // Three 1-2-5 ticks only: 1-2-3-5.
        assert_eq!(labels(22.0, 260.0), ["30", "50", "100", "200"]);
        // Seven decades: 1-2-5 would give 21 ticks, so decades.
        assert_eq!(
            labels(0.01, 100_000.0),
            ["0.01", "0.1", "1", "10", "100", "1000", "10000", "100000"]
        );
        // Narrower than 1-2-5's steps: every digit.
        assert_eq!(labels(2.5, 4.5), ["3", "4"]);
        assert!(log_ticks(&(f64::NAN..1.0)).is_empty());
        // Fifty decades: 51 decades, 26 every second, 11 every fifth; every tenth.
        assert_eq!(log_ticks(&(0.0..50.0)), [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]);
    }

    #[test]
    fn a_log_axis_is_labelled_at_one_two_five() {
        let mut chart = sample();
        chart.series.truncate(1);
        chart.series[0].points = (0..40).map(|i| (-0.5 + i as f64 * 0.06, i as f64)).collect();
        chart.markers.clear();
        let notes = Annotations {
            x_log10: true,
            ..Annotations::default()
        };
        let svg = chart.annotated_svg(&notes).unwrap();
        // x from 10^-0.5 = 0.32 to 10^1.84 = 69: 0.5, 1, 2, 5, 10, 20, 50.
        for label in ["0.5", "1", "2", "5", "10", "20", "50"] {
            assert!(svg.contains(&format!(">\n{label}\n</text>")), "missing {label}");
        }
        // Not the evenly spaced logarithms' values the mesh would label.
        assert!(!svg.contains(">\n0.32\n<") && !svg.contains(">\n1.3\n<"), "{svg}");
    }

    #[test]
    fn tick_labels_drop_needless_decimals() {
        assert_eq!(tick_label(100.0), "100");
        assert_eq!(tick_label(0.05), "0.05");
        assert_eq!(tick_label(-0.0), "0");
        assert_eq!(tick_label(1.25), "1.25");
    }

    /// Decodes a PNG: (width, height, RGB pixels).
    fn decode(bytes: Vec<u8>) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        (info.width, info.height, pixels)
    }

    fn colour_count(pixels: &[u8], colour: RGBColor) -> usize {
        pixels
            .chunks(3)
            .filter(|p| p == &[colour.0, colour.1, colour.2])
            .count()
    }

    /// The bottom ink row of each glyph of a line of text drawn in the
    /// title band (rows `0..band`) of an RGB image: glyphs are the runs of
    /// columns with ink, ink a pixel darker than mid-grey.
    fn glyph_bottoms(width: u32, pixels: &[u8], band: u32) -> Vec<u32> {
        let ink = |x: u32, y: u32| {
            let i = ((y * width + x) * 3) as usize;
            pixels[i..i + 3].iter().all(|&c| c < 128)
        };
        let mut bottoms = Vec::new();
        let mut current: Option<u32> = None;
        for x in 0..width {
            let column = (0..band).filter(|&y| ink(x, y)).max();
            match (column, current) {
                (Some(y), Some(bottom)) => current = Some(bottom.max(y)),
                (Some(y), None) => current = Some(y),
                (None, Some(bottom)) => {
                    bottoms.push(bottom);
                    current = None;
                }
                (None, None) => {}
            }
        }
        bottoms.extend(current);
        bottoms
    }

    /// The glyphs "b", "d", "h" (ascenders, the letters plotters' own PNG
    /// text put a pixel low) and "o" sit on one baseline, in the PNG and in
    /// the SVG as written (rendered here with resvg and the bundled font).
    #[test]
    fn letters_share_the_baseline_in_png_and_svg() {
        let chart = LineChart {
            title: "b d h o".into(),
            ..sample()
        };
        let (width, height, pixels) = decode(chart.png().unwrap());
        assert_eq!((width, height), (WIDTH, HEIGHT));
        let bottoms = glyph_bottoms(width, &pixels, 40);
        assert_eq!(bottoms.len(), 4, "four glyphs in the title band: {bottoms:?}");
        assert!(
            bottoms.iter().all(|&b| b == bottoms[0]),
            "PNG baselines differ: {bottoms:?}"
        );

        let svg = chart.svg().unwrap();
        assert!(!svg.contains("sans-serif"), "the SVG asks for a generic font");
        assert!(svg.contains(&format!("font-family=\"{FONT_FAMILY}\"")));
        let tree = resvg::usvg::Tree::from_str(&svg, resvg_options()).unwrap();
        let mut pixmap = resvg::tiny_skia::Pixmap::new(WIDTH, HEIGHT).unwrap();
        pixmap.fill(resvg::tiny_skia::Color::WHITE);
        resvg::render(
            &tree,
            resvg::tiny_skia::Transform::identity(),
            &mut pixmap.as_mut(),
        );
        let rgb: Vec<u8> = pixmap
            .data()
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        let svg_bottoms = glyph_bottoms(WIDTH, &rgb, 40);
        assert_eq!(svg_bottoms, bottoms, "the SVG's glyphs sit where the PNG's do");
    }

    #[test]
    fn svg_has_the_texts() {
        let svg = sample().svg().unwrap();
        assert!(svg.starts_with("<svg"));
        for text in [
            "Latency over time",
            "time (s)",
            "latency (ms)",
            "p50",
            "p99",
            "fault",
        ] {
            assert!(svg.contains(text), "missing {text}");
        }
    }

    #[test]
    fn png_decodes_and_is_not_blank() {
        let (width, height, pixels) = decode(sample().png().unwrap());
        assert_eq!((width, height), (WIDTH, HEIGHT));
        let non_white = pixels.chunks(3).filter(|p| p != &[255, 255, 255]).count();
        assert!(non_white > 5_000, "only {non_white} drawn pixels");
        // Both series are drawn in their palette colours.
        assert!(colour_count(&pixels, PALETTE[0]) > 200);
        assert!(colour_count(&pixels, PALETTE[1]) > 200);
    }

    #[test]
    fn an_empty_chart_still_draws_its_frame() {
        let chart = LineChart {
            series: vec![],
            markers: vec![],
            ..sample()
        };
        assert!(chart.svg().unwrap().contains("Latency over time"));
        chart.png().unwrap();
    }

    #[test]
    fn rendering_is_deterministic() {
        assert_eq!(sample().svg().unwrap(), sample().svg().unwrap());
        assert_eq!(sample().png().unwrap(), sample().png().unwrap());
    }

    #[test]
    fn the_y_axis_reaches_the_requested_value() {
        let chart = LineChart {
            y_at_least: Some(1.0),
            series: vec![Series {
                name: "web".into(),
                points: vec![(0.0, 0.1), (10.0, 0.2)],
            }],
            markers: vec![],
            ..sample()
        };
        let (_, y_range) = chart.ranges(&Annotations::default(), 0.0);
        assert!(
            y_range.end >= 1.0 && y_range.start < 0.0 && y_range.start > -0.02,
            "{y_range:?}"
        );
    }

    #[test]
    fn colliding_marker_labels_are_stacked_and_shared_ones_merged() {
        let mut chart = sample();
        let marker = |x: f64, label: &str| Marker {
            x,
            label: label.into(),
        };
        chart.markers = vec![
            marker(20.0, "kill web-1"),
            marker(20.0, "kill web-2"),
            marker(20.2, "crowded label"),
            marker(45.0, "restore"),
            marker(49.0, "recovered at the very end"),
        ];
        let svg = chart.svg().unwrap();
        // The transparent text layer gives each label's position.
        let document = roxmltree::Document::parse(&svg).unwrap();
        let at = |label: &str| -> (f64, f64) {
            let node = document
                .descendants()
                .find(|n| n.has_tag_name("text") && n.text().is_some_and(|t| t.trim() == label))
                .unwrap_or_else(|| panic!("no label `{label}`"));
            let number = |name: &str| node.attribute(name).unwrap().parse::<f64>().unwrap();
            (number("x"), number("y"))
        };
        let merged = at("kill web-1, kill web-2");
        let crowded = at("crowded label");
        assert!(
            crowded.1 > merged.1,
            "a crowded label goes in a lower row: {merged:?} {crowded:?}"
        );
        assert_eq!(
            at("restore").1,
            merged.1,
            "a label with room stays in the top row"
        );
        // A label at the right edge is drawn left of its line, inside: it
        // starts about its own width (~115 px) left of the plot's right
        // edge (~944 px), not just right of the line.
        let (x, _) = at("recovered at the very end");
        assert!(x + 100.0 < WIDTH as f64, "the last label starts at {x}");
    }

    #[test]
    fn small_multiples_draw_every_panel_in_a_grid() {
        let panels = SmallMultiples {
            title: "Utilization per station".into(),
            panels: (0..5)
                .map(|i| LineChart {
                    title: format!("station {i}"),
                    ..sample()
                })
                .collect(),
            notes: Vec::new(),
        };
        assert_eq!(panels.size(), (WIDTH, 48 + 3 * PANEL_HEIGHT));
        let svg = panels.svg().unwrap();
        for i in 0..5 {
            assert!(svg.contains(&format!("station {i}")));
        }
        let (width, height, pixels) = decode(panels.png().unwrap());
        assert_eq!((width, height), panels.size());
        assert!(colour_count(&pixels, PALETTE[0]) > 5 * 100);
    }

    /// The SVG written out, rendered by resvg, is the PNG: its glyphs are
    /// the outlines and positions the PNG was drawn with, each outline
    /// defined once and used wherever the glyph appears.
    #[test]
    fn the_written_svg_draws_the_png_with_each_glyph_defined_once() {
        let mut chart = sample();
        chart.y_label = "latency, rotated (ms)".into();
        let notes = Annotations {
            levels: vec![Level {
                y: 45.0,
                label: "SLO p99<45ms".into(),
            }],
            ..Annotations::default()
        };
        let svg = chart.annotated_svg(&notes).unwrap();
        let (width, height, png) = decode(chart.annotated_png(&notes).unwrap());
        let tree = parse("test", &svg).unwrap();
        let mut pixmap = resvg::tiny_skia::Pixmap::new(width, height).unwrap();
        pixmap.fill(resvg::tiny_skia::Color::WHITE);
        resvg::render(
            &tree,
            resvg::tiny_skia::Transform::identity(),
            &mut pixmap.as_mut(),
        );
        let rendered: Vec<u8> = pixmap
            .data()
            .chunks_exact(4)
            .flat_map(|rgba| [rgba[0], rgba[1], rgba[2]])
            .collect();
        let differing = rendered
            .chunks(3)
            .zip(png.chunks(3))
            .filter(|(a, b)| a.iter().zip(b.iter()).any(|(x, y)| x.abs_diff(*y) > 24))
            .count();
        assert!(
            differing * 1000 < (width * height) as usize,
            "{differing} pixels differ between the SVG and the PNG"
        );
        // Every glyph defined once: "p" appears in several labels.
        let defined: Vec<&str> = svg
            .split("<path id=\"")
            .skip(1)
            .map(|rest| &rest[..rest.find('"').unwrap()])
            .collect();
        let mut unique = defined.clone();
        unique.dedup();
        assert_eq!(defined.len(), unique.len());
        assert!(svg.matches("<use ").count() > defined.len(), "glyphs are reused");
        assert!(!svg.contains("<text xml:space"), "no text left for a system font");
    }
}
