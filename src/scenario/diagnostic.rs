//! Diagnostics: what is wrong with a scenario, where, and how to fix it.
//!
//! A diagnostic carries a global span (see `source`), the field path
//! (`pool.web.endpoint.get_item.steps[0].read`), a message and an optional
//! hint. Loading collects every diagnostic before giving up, and rendering
//! shows each with its file, line, column and the offending source line with a
//! caret, in the style of rustc (via `annotate-snippets`).

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use super::source::{Source, SourceMap};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    /// Dotted field path, when the problem belongs to a field.
    pub path: Option<String>,
    /// Global span into the source map.
    pub span: Option<Range<usize>>,
    /// A short note under the caret.
    pub label: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            path: None,
            span: None,
            label: None,
            help: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn at(mut self, span: Range<usize>) -> Self {
        self.span = Some(span);
        self
    }

    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// How rendered diagnostics look.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Style {
    /// No colour codes: logs, pipes, tests.
    #[default]
    Plain,
    /// ANSI colours for a terminal.
    Color,
}

/// Diagnostics rendered in full; the rest are counted ("… and 9,950 more
/// errors"). Nobody reads past a screenful, and a file with tens of
/// thousands of mistakes must not take minutes to say so.
pub const MAX_SHOWN: usize = 50;

/// Lines longer than this (in bytes) are shown as a window around the
/// annotation, `…` marking what is left out.
const LONG_LINE: usize = 400;
/// Characters of context kept before and after an annotation in a window.
const WINDOW_CONTEXT: usize = 60;

/// Renders diagnostics against their sources, one after another: at most
/// `MAX_SHOWN`, then a line counting the others. Time is linear in the
/// sources (each is indexed once) plus the diagnostics shown, whatever the
/// number of diagnostics or the length of a line.
pub fn render(diagnostics: &[Diagnostic], sources: &SourceMap, style: Style) -> String {
    let renderer = match style {
        Style::Plain => Renderer::plain(),
        Style::Color => Renderer::styled(),
    };
    let index = SourceIndex::new(sources);
    let mut out = String::new();
    for diagnostic in diagnostics.iter().take(MAX_SHOWN) {
        out.push_str(&render_one(diagnostic, sources, &index, &renderer));
        out.push_str("\n\n");
    }
    if let Some(hidden) = diagnostics.get(MAX_SHOWN..).filter(|rest| !rest.is_empty()) {
        let errors = hidden.iter().filter(|d| d.is_error()).count();
        let warnings = hidden.len() - errors;
        let mut parts = Vec::new();
        if errors > 0 {
            parts.push(format!(
                "{} more {}",
                thousands(errors),
                plural(errors, "error", "errors")
            ));
        }
        if warnings > 0 {
            parts.push(format!(
                "{} more {}",
                thousands(warnings),
                plural(warnings, "warning", "warnings")
            ));
        }
        out.push_str(&format!(
            "… and {} (only the first {MAX_SHOWN} are shown)\n\n",
            parts.join(" and ")
        ));
    }
    out
}

fn plural<'a>(count: usize, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 { one } else { many }
}

/// `9950` → `9,950`.
fn thousands(count: usize) -> String {
    let digits = count.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Where lines start in one source, and how many characters come before
/// every `CHECKPOINT`-th byte: a line and column in O(log lines +
/// CHECKPOINT), built in one pass.
struct LineIndex {
    /// Byte offset of each line's first byte.
    starts: Vec<usize>,
    /// Characters before byte `i × CHECKPOINT`.
    chars_before: Vec<usize>,
}

const CHECKPOINT: usize = 1024;

impl LineIndex {
    fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut chars_before = Vec::with_capacity(bytes.len() / CHECKPOINT + 1);
        let mut chars = 0;
        for (offset, &byte) in bytes.iter().enumerate() {
            if offset % CHECKPOINT == 0 {
                chars_before.push(chars);
            }
            // Every byte but a UTF-8 continuation byte starts a character.
            if byte & 0xC0 != 0x80 {
                chars += 1;
            }
            if byte == b'\n' {
                starts.push(offset + 1);
            }
        }
        LineIndex { starts, chars_before }
    }

    /// The 0-based line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset) - 1
    }

    /// Line `line`'s bytes, without its line break.
    fn line(&self, text: &str, line: usize) -> Range<usize> {
        let start = self.starts[line];
        let end = self.starts.get(line + 1).map_or(text.len(), |&next| next - 1);
        start..end.max(start)
    }

    /// Characters before byte `offset` (a character boundary).
    fn chars_to(&self, text: &str, offset: usize) -> usize {
        let block = offset / CHECKPOINT;
        let from = block * CHECKPOINT;
        self.chars_before.get(block).copied().unwrap_or(0)
            + text.as_bytes()[from..offset]
                .iter()
                .filter(|&&byte| byte & 0xC0 != 0x80)
                .count()
    }
}

/// Every source's line index, built once for all the diagnostics.
struct SourceIndex {
    lines: Vec<LineIndex>,
}

impl SourceIndex {
    fn new(sources: &SourceMap) -> Self {
        SourceIndex {
            lines: sources
                .sources()
                .iter()
                .map(|source| LineIndex::new(&source.text))
                .collect(),
        }
    }
}

/// Where a diagnostic points, resolved against the index.
struct Place<'a> {
    source: &'a Source,
    lines: &'a LineIndex,
    /// The span relative to the source's text, on character boundaries.
    local: Range<usize>,
}

fn place<'a>(span: &Range<usize>, sources: &'a SourceMap, index: &'a SourceIndex) -> Option<Place<'a>> {
    let all = sources.sources();
    let position = all
        .partition_point(|source| source.base <= span.start)
        .checked_sub(1)?;
    let source = &all[position];
    let text = &source.text;
    let start = floor_boundary(text, (span.start - source.base).min(text.len()));
    let end = ceil_boundary(
        text,
        span.end.saturating_sub(source.base).clamp(start, text.len()),
    );
    Some(Place {
        source,
        lines: &index.lines[position],
        local: start..end,
    })
}

fn floor_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn ceil_boundary(text: &str, mut index: usize) -> usize {
    while index < text.len() && !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

fn render_one(
    diagnostic: &Diagnostic,
    sources: &SourceMap,
    index: &SourceIndex,
    renderer: &Renderer,
) -> String {
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let title = match &diagnostic.path {
        Some(path) => format!("{} (field `{path}`)", diagnostic.message),
        None => diagnostic.message.clone(),
    };
    let mut group = Group::with_title(level.primary_title(title));
    let place = diagnostic
        .span
        .as_ref()
        .and_then(|span| place(span, sources, index));
    // The snippet: the lines the span covers; on a long line, a window.
    let mut header_fix = None;
    let excerpt = place.as_ref().map(|place| {
        let text = &place.source.text;
        let lines = place.lines;
        let first = lines.line_of(place.local.start);
        let last = lines.line_of(place.local.end.saturating_sub(1).max(place.local.start));
        let covered = lines.line(text, first).start..lines.line(text, last).end;
        if covered.len() <= LONG_LINE {
            let local = place.local.start - covered.start..place.local.end.min(covered.end) - covered.start;
            return (
                Cow::Borrowed(&text[covered]),
                first,
                local.start..local.end.max(local.start),
            );
        }
        // A long line: a window of it around the start of the span, the
        // true column put back into the header afterwards.
        let line = lines.line(text, first);
        let start = place.local.start;
        let end = place
            .local
            .end
            .min(line.end)
            .min(ceil_boundary(text, start + LONG_LINE));
        let from = back_chars(text, start, WINDOW_CONTEXT).max(line.start);
        let to = ahead_chars(text, end.max(start), WINDOW_CONTEXT).min(line.end);
        let before = if from > line.start { "…" } else { "" };
        let after = if to < line.end { "…" } else { "" };
        let window = format!("{before}{}{after}", &text[from..to]);
        let shown_column = before.chars().count() + text[from..start].chars().count() + 1;
        let column = lines.chars_to(text, start) - lines.chars_to(text, line.start) + 1;
        if shown_column != column {
            header_fix = Some((first + 1, shown_column, column));
        }
        let local = before.len() + start - from..before.len() + end - from;
        (Cow::Owned(window), first, local.start..local.end.max(local.start))
    });
    match (&place, &excerpt) {
        (Some(place), Some((snippet, first, local))) => {
            let mut annotation = AnnotationKind::Primary.span(local.clone());
            if let Some(label) = &diagnostic.label {
                annotation = annotation.label(label.as_str());
            }
            group = group.element(
                Snippet::source(snippet.as_ref())
                    .line_start(first + 1)
                    .path(place.source.name.as_str())
                    .annotation(annotation),
            );
        }
        _ => {
            if let Some(primary) = sources.primary() {
                group = group.element(annotate_snippets::Origin::path(primary.name.as_str()));
            }
        }
    }
    if let Some(help) = &diagnostic.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    let mut rendered = renderer.render(&[group]);
    if let Some((line, shown, column)) = header_fix {
        // The header (` --> file:LINE:COLUMN`) counted the window's
        // characters; the true column counts the whole line's.
        let wrong = format!(":{line}:{shown}");
        let header = rendered.find("--> ").unwrap_or(0);
        if let Some(at) = rendered[header..].find(&wrong).map(|at| header + at) {
            rendered.replace_range(at..at + wrong.len(), &format!(":{line}:{column}"));
        }
    }
    rendered
}

/// The byte offset `count` characters before `offset` (or 0).
fn back_chars(text: &str, offset: usize, count: usize) -> usize {
    text[..offset]
        .char_indices()
        .rev()
        .nth(count.saturating_sub(1))
        .map_or(0, |(at, _)| at)
}

/// The byte offset `count` characters after `offset` (or the end).
fn ahead_chars(text: &str, offset: usize, count: usize) -> usize {
    text[offset..]
        .char_indices()
        .nth(count)
        .map_or(text.len(), |(at, _)| offset + at)
}

/// A scenario that could not be loaded: every problem found, with the text
/// needed to show where each one is.
#[derive(Debug, thiserror::Error)]
pub struct ScenarioError {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
}

impl ScenarioError {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    pub fn render(&self, style: Style) -> String {
        let mut text = render(&self.diagnostics, &self.sources, style);
        let count = self.errors().count();
        let file = self
            .sources
            .primary()
            .map_or("the scenario", |source| source.name.as_str());
        text.push_str(&format!(
            "error: {} {} in `{file}`; nothing was simulated\n",
            thousands(count),
            if count == 1 { "problem" } else { "problems" }
        ));
        text
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Style::Plain))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_column_path_and_help() {
        let mut sources = SourceMap::new();
        sources.add("scenarios/bad.toml", "[pool.web]\nworkrs = 4\n");
        let diagnostic = Diagnostic::error("unknown key `workrs` in `pool.web`")
            .at(11..17)
            .path("pool.web.workrs")
            .label("unknown key")
            .help("did you mean `workers`?");
        let text = render(&[diagnostic], &sources, Style::Plain);
        assert!(
            text.contains("error: unknown key `workrs` in `pool.web` (field `pool.web.workrs`)"),
            "{text}"
        );
        assert!(text.contains("scenarios/bad.toml:2:1"), "{text}");
        assert!(text.contains("workrs = 4"), "{text}");
        assert!(text.contains("^^^^^^ unknown key"), "{text}");
        assert!(text.contains("help: did you mean `workers`?"), "{text}");
    }

    /// The header's line and column, as `render` writes them.
    fn header(text: &str) -> &str {
        let start = text.find("--> ").expect("a header") + 4;
        text[start..].lines().next().unwrap()
    }

    #[test]
    fn a_long_line_shows_a_window_with_the_true_column() {
        // 300 two-byte characters, then the mistake, then more.
        let line = format!(
            "x = {{ a = \"{}\", zzz = 1, b = \"{}\" }}",
            "µ".repeat(300),
            "é".repeat(500)
        );
        let text = format!("[scenario]\n{line}\n");
        let mut sources = SourceMap::new();
        sources.add("long.toml", text.clone());
        let start = text.find("zzz").unwrap();
        let diagnostic = Diagnostic::error("unknown key `zzz`")
            .at(start..start + 3)
            .label("unknown key");
        let rendered = render(std::slice::from_ref(&diagnostic), &sources, Style::Plain);
        let expected = sources.locate(diagnostic.span.as_ref().unwrap()).unwrap();
        assert_eq!((expected.line, expected.column), (2, 315));
        assert_eq!(header(&rendered), "long.toml:2:315", "{rendered}");
        assert!(rendered.contains("…µµµ"), "{rendered}");
        assert!(rendered.contains("zzz = 1"), "{rendered}");
        assert!(rendered.contains("^^^ unknown key"), "{rendered}");
        // The window is short, however long the line.
        assert!(rendered.len() < 1_000, "{} bytes:\n{rendered}", rendered.len());
        // Colour codes do not get in the way of the column.
        let colored = render(&[diagnostic], &sources, Style::Color);
        assert!(colored.contains("2:315"), "{colored}");
    }

    #[test]
    fn short_lines_render_as_before() {
        let mut sources = SourceMap::new();
        sources.add("s.toml", "[pool.web]\nworkers = \"µ\"\n");
        let diagnostic = Diagnostic::error("wrong type").at(21..25).label("here");
        let rendered = render(&[diagnostic], &sources, Style::Plain);
        assert_eq!(
            rendered,
            "error: wrong type\n --> s.toml:2:11\n  |\n2 | workers = \"µ\"\n  |           ^^^ here\n\n"
        );
    }

    #[test]
    fn only_the_first_diagnostics_are_shown_and_the_rest_counted() {
        let mut sources = SourceMap::new();
        sources.add("many.toml", "x = 1\n".repeat(10_000));
        let mut diagnostics: Vec<Diagnostic> = (0..10_000)
            .map(|line| Diagnostic::error(format!("bad {line}")).at(line * 6..line * 6 + 1))
            .collect();
        diagnostics.push(Diagnostic::warning("odd"));
        let rendered = render(&diagnostics, &sources, Style::Plain);
        assert_eq!(rendered.matches("error: bad").count(), MAX_SHOWN);
        assert!(rendered.contains("many.toml:50:1"), "{rendered}");
        assert!(!rendered.contains("bad 50\n"), "{rendered}");
        assert!(
            rendered
                .ends_with("… and 9,950 more errors and 1 more warning (only the first 50 are shown)\n\n"),
            "{rendered}"
        );
    }

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(9_950), "9,950");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn a_diagnostic_without_span_still_names_the_file() {
        let mut sources = SourceMap::new();
        sources.add("empty.toml", "");
        let text = render(
            &[Diagnostic::error("the scenario is empty")],
            &sources,
            Style::Plain,
        );
        assert!(text.contains("empty.toml"), "{text}");
    }
}
