//! Text in PNG charts with each glyph where the font puts it.
//!
//! plotters' `ab_glyph` text drawing ignores each glyph's left side bearing
//! and rounds the pen position per glyph, so PNG text comes out unevenly
//! spaced ("Latenc y"). `GlyphPlacement` wraps a drawing backend and
//! rasterises text itself with `ab_glyph` — the pen position kept in
//! fractions of a pixel, each glyph outlined at its own offset and placed
//! by its pixel bounds — while everything else, and the text metrics used
//! for layout, stay plotters' own, so the layout is unchanged. SVG output
//! does not need this: it writes text elements the viewer lays out.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind, FontStyle,
};

/// A backend whose text is drawn with correct glyph placement.
pub struct GlyphPlacement<B> {
    inner: B,
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

impl<B> GlyphPlacement<B> {
    pub fn new(inner: B) -> Self {
        GlyphPlacement {
            inner,
            regular: FontRef::try_from_slice(notosans::REGULAR_TTF).expect("the bundled font is valid"),
            bold: FontRef::try_from_slice(notosans::BOLD_TTF).expect("the bundled font is valid"),
        }
    }
}

/// Calls `plot(x, y, coverage)` for every pixel of `text` drawn at `size`,
/// relative to the text's top left, on the baseline plotters uses (half the
/// size below the top) so text sits where plotters' layout expects it.
fn rasterize(font: &FontRef<'static>, size: f32, text: &str, mut plot: impl FnMut(i32, i32, f32)) {
    let scaled = font.as_scaled(PxScale::from(size));
    let mut caret = 0.0f32;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(previous) = previous {
            caret += scaled.kern(previous, id);
        }
        let glyph = id.with_scale_and_position(size, point(caret, 0.0));
        if let Some(outline) = scaled.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            let (left, top) = (bounds.min.x as i32, (size / 2.0 + bounds.min.y) as i32);
            outline.draw(|x, y, coverage| plot(left + x as i32, top + y as i32, coverage));
        }
        caret += scaled.h_advance(id);
        previous = Some(id);
    }
}

impl<B: DrawingBackend> DrawingBackend for GlyphPlacement<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vertices: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vertices, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.inner.estimate_text_size(text, style)
    }

    /// plotters' own anchoring and rotation, with `rasterize` for glyphs.
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let ((min_x, min_y), (max_x, max_y)) = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let font = if matches!(style.style(), FontStyle::Bold) {
            &self.bold
        } else {
            &self.regular
        };
        let transform = style.transform();
        let (canvas_width, canvas_height) = self.inner.get_size();
        let mut pixels = Vec::new();
        rasterize(font, style.size() as f32, text, |x, y, coverage| {
            let (x, y) = transform.transform(x + dx - min_x, y + dy - min_y);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && y >= 0 && (x as u32) < canvas_width && (y as u32) < canvas_height && coverage > 0.0 {
                pixels.push(((x, y), coverage.min(1.0)));
            }
        });
        for (point, coverage) in pixels {
            let blended = BackendColor {
                alpha: color.alpha * f64::from(coverage),
                rgb: color.rgb,
            };
            self.inner.draw_pixel(point, blended)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Column ranges with ink, left to right.
    fn ink_columns(text: &str) -> Vec<i32> {
        let font = FontRef::try_from_slice(notosans::REGULAR_TTF).unwrap();
        let mut columns = Vec::new();
        rasterize(&font, 40.0, text, |x, _, coverage| {
            if coverage > 0.5 && !columns.contains(&x) {
                columns.push(x);
            }
        });
        columns.sort();
        columns
    }

    #[test]
    fn glyphs_sit_at_their_advance_plus_bearing() {
        // "ll": the second `l` is the first moved by exactly one advance.
        let font = FontRef::try_from_slice(notosans::REGULAR_TTF).unwrap();
        let advance = font.as_scaled(PxScale::from(40.0)).h_advance(font.glyph_id('l'));
        let single = ink_columns("l");
        let double = ink_columns("ll");
        let shifted: Vec<i32> = single.iter().map(|x| x + advance.round() as i32).collect();
        assert!(
            shifted
                .iter()
                .all(|x| double.contains(x) || double.contains(&(x - 1)) || double.contains(&(x + 1))),
            "{single:?} then {double:?}, advance {advance}"
        );
        // The left side bearing is kept: the ink does not start at column 0.
        assert!(single[0] > 0, "{single:?}");
    }

    #[test]
    fn nothing_is_drawn_for_blank_text() {
        assert!(ink_columns("   ").is_empty());
    }
}
