//! Diagnostics: what is wrong with a scenario, where, and how to fix it.
//!
//! A diagnostic carries a global span (see `source`), the field path
//! (`pool.web.endpoint.get_item.steps[0].read`), a message and an optional
//! hint. Loading collects every diagnostic before giving up, and rendering
//! shows each with its file, line, column and the offending source line with a
//! caret, in the style of rustc (via `annotate-snippets`).

use std::fmt;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use super::source::SourceMap;

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

/// Renders diagnostics against their sources, one after another.
pub fn render(diagnostics: &[Diagnostic], sources: &SourceMap, style: Style) -> String {
    let renderer = match style {
        Style::Plain => Renderer::plain(),
        Style::Color => Renderer::styled(),
    };
    let mut out = String::new();
    for diagnostic in diagnostics {
        out.push_str(&renderer.render(&[group(diagnostic, sources)]));
        out.push_str("\n\n");
    }
    out
}

fn group<'a>(diagnostic: &'a Diagnostic, sources: &'a SourceMap) -> Group<'a> {
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let title = match &diagnostic.path {
        Some(path) => format!("{} (field `{path}`)", diagnostic.message),
        None => diagnostic.message.clone(),
    };
    let mut group = Group::with_title(level.primary_title(title));
    let location = diagnostic.span.as_ref().and_then(|span| sources.locate(span));
    match location {
        Some(location) => {
            let mut annotation = AnnotationKind::Primary.span(location.local.clone());
            if let Some(label) = &diagnostic.label {
                annotation = annotation.label(label.as_str());
            }
            group = group.element(
                Snippet::source(location.source.text.as_str())
                    .path(location.source.name.as_str())
                    .annotation(annotation),
            );
        }
        None => {
            if let Some(primary) = sources.primary() {
                group = group.element(annotate_snippets::Origin::path(primary.name.as_str()));
            }
        }
    }
    if let Some(help) = &diagnostic.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    group
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
            "error: {count} {} in `{file}`; nothing was simulated\n",
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
#[cfg(test)]
mod scratch {
    use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
    #[test]
    fn scratch_render() {
        let text = "…{ at = \"1x\", rate = \"5/s\" },{ at = \"1x\"…";
        let group = Group::with_title(Level::ERROR.primary_title("bad"))
            .element(Origin::path("bad.toml").line(6).char_column(10017))
            .element(
                Snippet::source(text)
                    .line_start(6)
                    .annotation(AnnotationKind::Primary.span(9..13).label("invalid value")),
            )
            .element(Level::HELP.message("fix it"));
        eprintln!("{}", Renderer::plain().render(&[group]));
    }
}
