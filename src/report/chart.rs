//! Line charts as SVG and PNG, with text that renders on any machine.
//!
//! Text is laid out with Noto Sans (SIL OFL 1.1, from the `notosans` crate)
//! registered with plotters' `ab_glyph` backend, so no system font library or
//! font package is needed; PNGs are encoded with the `png` crate. Colours are
//! the Okabe–Ito palette, which stays distinguishable with colour-blindness.
//! One chart draws a few series; callers split many series into several
//! charts (small multiples) rather than crowding one.

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
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

/// Pixel size of every chart.
pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 540;

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
#[derive(Clone, Debug, PartialEq)]
pub struct LineChart {
    pub title: String,
    /// Axis descriptions, units included: "time (s)", "latency (ms)".
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub markers: Vec<Marker>,
    /// Start the y axis at zero (counts, rates, utilizations).
    pub y_from_zero: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot draw chart `{title}`: {reason}")]
pub struct ChartError {
    pub title: String,
    pub reason: String,
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

impl LineChart {
    fn error(&self, reason: impl std::fmt::Display) -> ChartError {
        ChartError {
            title: self.title.clone(),
            reason: reason.to_string(),
        }
    }

    /// The axis ranges, padded so lines do not sit on the frame.
    fn ranges(&self) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
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
        for marker in &self.markers {
            x_min = x_min.min(marker.x);
            x_max = x_max.max(marker.x);
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
        if x_max <= x_min {
            x_max = x_min + 1.0;
        }
        let span = y_max - y_min;
        let pad = if span > 0.0 {
            span * 0.05
        } else {
            y_max.abs().max(1.0) * 0.1
        };
        let y_low = if self.y_from_zero && y_min >= 0.0 {
            y_min
        } else {
            y_min - pad
        };
        (x_min..x_max, y_low..y_max + pad)
    }

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        register_fonts();
        root.fill(&WHITE).map_err(|e| self.error(e))?;
        let (x_range, y_range) = self.ranges();
        let mut chart = ChartBuilder::on(&root)
            .caption(&self.title, ("sans-serif", 24, FontStyle::Bold))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x_range, y_range.clone())
            .map_err(|e| self.error(e))?;
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| self.error(e))?;
        for marker in &self.markers {
            let style = ShapeStyle::from(&RGBColor(120, 120, 120)).stroke_width(1);
            chart
                .draw_series(DashedLineSeries::new(
                    [(marker.x, y_range.start), (marker.x, y_range.end)],
                    6,
                    4,
                    style,
                ))
                .map_err(|e| self.error(e))?;
            chart
                .draw_series([Text::new(
                    marker.label.clone(),
                    (marker.x, y_range.end),
                    ("sans-serif", 13).into_font().color(&RGBColor(80, 80, 80)),
                )])
                .map_err(|e| self.error(e))?;
        }
        for (index, series) in self.series.iter().enumerate() {
            let color = PALETTE[index % PALETTE.len()];
            let style = ShapeStyle::from(&color).stroke_width(2);
            let points: Vec<(f64, f64)> = series
                .points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            let drawn = chart
                .draw_series(LineSeries::new(points.clone(), style))
                .map_err(|e| self.error(e))?;
            drawn
                .label(series.name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
            if points.len() <= 40 {
                chart
                    .draw_series(points.iter().map(|&point| Circle::new(point, 3, color.filled())))
                    .map_err(|e| self.error(e))?;
            }
        }
        if self.series.len() > 1 {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(200, 200, 200))
                .label_font(("sans-serif", 14))
                .position(SeriesLabelPosition::UpperLeft)
                .draw()
                .map_err(|e| self.error(e))?;
        }
        root.present().map_err(|e| self.error(e))
    }

    /// The chart as an SVG document.
    pub fn svg(&self) -> Result<String, ChartError> {
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, (WIDTH, HEIGHT)).into_drawing_area();
            self.draw(root)?;
        }
        Ok(text)
    }

    /// The chart as a PNG image.
    pub fn png(&self) -> Result<Vec<u8>, ChartError> {
        let mut pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
            self.draw(root)?;
        }
        let mut encoded = Vec::new();
        let mut encoder = png::Encoder::new(&mut encoded, WIDTH, HEIGHT);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| self.error(e))?;
        writer.write_image_data(&pixels).map_err(|e| self.error(e))?;
        writer.finish().map_err(|e| self.error(e))?;
        Ok(encoded)
    }
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
        }
    }

    #[test]
    fn svg_has_the_texts() {
        let svg = sample().svg().unwrap();
        assert!(svg.starts_with("<svg"));
        for text in ["Latency over time", "time (s)", "latency (ms)", "p99", "fault"] {
            assert!(svg.contains(text), "missing {text}");
        }
    }

    #[test]
    fn png_decodes_and_is_not_blank() {
        let bytes = sample().png().unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
        let non_white = pixels.chunks(3).filter(|p| p != &[255, 255, 255]).count();
        assert!(non_white > 5_000, "only {non_white} drawn pixels");
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
}
