//! Where scenario text comes from: the file, and each `--set` override.
//!
//! All spans in a loaded scenario are byte offsets into one virtual text: the
//! file first, then every override argument, each at its own base offset. A
//! diagnostic therefore needs only a span to say "scenarios/x.toml:12:5" or
//! "--set #2:1:18", and overrides are checked with the same code as the file.

use std::ops::Range;

/// One origin of scenario text.
#[derive(Clone, Debug)]
pub struct Source {
    /// What a person calls it: the file path as given, or `--set #N`.
    pub name: String,
    pub text: String,
    /// Offset of this text's first byte in the virtual text.
    pub base: usize,
}

/// A position in a source, for messages.
#[derive(Clone, Debug)]
pub struct Location<'a> {
    pub source: &'a Source,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The span relative to the source's text.
    pub local: Range<usize>,
}

/// The file and the overrides, laid end to end.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    sources: Vec<Source>,
}

impl SourceMap {
    pub fn new() -> Self {
        SourceMap::default()
    }

    /// Adds a source and returns its base offset.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> usize {
        let base = self
            .sources
            .last()
            .map_or(0, |last| last.base + last.text.len() + 1);
        self.sources.push(Source {
            name: name.into(),
            text: text.into(),
            base,
        });
        base
    }

    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// The first source: the scenario file.
    pub fn primary(&self) -> Option<&Source> {
        self.sources.first()
    }

    /// Finds which source a global span falls in, with its line and column.
    pub fn locate(&self, span: &Range<usize>) -> Option<Location<'_>> {
        let source = self
            .sources
            .iter()
            .rev()
            .find(|source| source.base <= span.start)?;
        let start = (span.start - source.base).min(source.text.len());
        let end = (span.end.saturating_sub(source.base)).clamp(start, source.text.len());
        let before = &source.text[..floor_char_boundary(&source.text, start)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |index| index + 1);
        let column = before[line_start..].chars().count() + 1;
        Some(Location {
            source,
            line,
            column,
            local: start..end,
        })
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_columns_across_sources() {
        let mut map = SourceMap::new();
        map.add("a.toml", "x = 1\ny = 2\n");
        let base = map.add("--set #1", "pool.web.instances=4");
        let in_file = map.locate(&(6..7)).unwrap();
        assert_eq!(
            (in_file.source.name.as_str(), in_file.line, in_file.column),
            ("a.toml", 2, 1)
        );
        let in_override = map.locate(&(base + 19..base + 20)).unwrap();
        assert_eq!(in_override.source.name, "--set #1");
        assert_eq!((in_override.line, in_override.column), (1, 20));
        assert_eq!(in_override.local, 19..20);
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let mut map = SourceMap::new();
        map.add("u.toml", "name = \"µs\" x");
        let location = map.locate(&(13..14)).unwrap();
        assert_eq!(location.column, 13);
    }
}
