//! The spanned TOML tree of a scenario, with `--set` overrides merged in.
//!
//! The file is parsed by `toml` into a tree that keeps byte spans. Each
//! override `path=value` is parsed as a TOML value (or taken as a string when
//! it is not valid TOML, so `--set workload.arrivals.rate=5000/s` works
//! unquoted) and grafted into the tree at its dotted path, with spans shifted
//! into the override's own region of the source map. Later stages cannot tell
//! an override from file text, except by where its diagnostics point.

use std::borrow::Cow;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::diagnostic::Diagnostic;
use super::source::SourceMap;

/// Parses the primary source and merges every other source as an override.
/// Returns `None` (with diagnostics) when the text is not valid TOML.
pub(crate) fn build<'s>(
    sources: &'s SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Spanned<DeTable<'s>>> {
    let (primary, overrides) = sources.sources().split_first()?;
    for source in sources.sources() {
        direction_controls(&source.text, source.base, diagnostics);
    }
    if primary.text.trim().is_empty() {
        diagnostics.push(
            Diagnostic::error("the scenario file is empty").help(
                "start from one of the files in scenarios/, or see the scenario reference in README.md",
            ),
        );
        return None;
    }
    let (mut tree, errors) = DeTable::parse_recoverable(&primary.text);
    if !errors.is_empty() {
        for error in errors {
            let mut diagnostic = Diagnostic::error(format!("not valid TOML: {}", error.message().trim()));
            if let Some(span) = error.span() {
                diagnostic = diagnostic.at(span).label("here");
            }
            diagnostics.push(diagnostic);
        }
        return None;
    }
    let before = diagnostics.len();
    for source in overrides {
        apply_override(tree.get_mut(), &source.text, source.base, diagnostics);
    }
    (diagnostics.len() == before).then_some(tree)
}

/// The invisible characters that change the direction text is displayed
/// in (Unicode's explicit embeddings, overrides and isolates, and the
/// implicit marks), with their names: in a name or a title they make a
/// report show text in another order than it was written ("Trojan Source",
/// CVE-2021-42574; rustc rejects them in code for the same reason).
const DIRECTION_CONTROLS: [(char, &str); 12] = [
    ('\u{061C}', "ARABIC LETTER MARK"),
    ('\u{200E}', "LEFT-TO-RIGHT MARK"),
    ('\u{200F}', "RIGHT-TO-LEFT MARK"),
    ('\u{202A}', "LEFT-TO-RIGHT EMBEDDING"),
    ('\u{202B}', "RIGHT-TO-LEFT EMBEDDING"),
    ('\u{202C}', "POP DIRECTIONAL FORMATTING"),
    ('\u{202D}', "LEFT-TO-RIGHT OVERRIDE"),
    ('\u{202E}', "RIGHT-TO-LEFT OVERRIDE"),
    ('\u{2066}', "LEFT-TO-RIGHT ISOLATE"),
    ('\u{2067}', "RIGHT-TO-LEFT ISOLATE"),
    ('\u{2068}', "FIRST STRONG ISOLATE"),
    ('\u{2069}', "POP DIRECTIONAL ISOLATE"),
];

/// An error for every text-direction control in `text` (a source at
/// `base`), wherever it is: a value, a key or a comment.
fn direction_controls(text: &str, base: usize, diagnostics: &mut Vec<Diagnostic>) {
    for (index, found) in text.char_indices() {
        let Some((_, name)) = DIRECTION_CONTROLS.iter().find(|(control, _)| *control == found) else {
            continue;
        };
        let at = base + index;
        diagnostics.push(
            Diagnostic::error(format!(
                "the scenario contains U+{:04X} {name}, an invisible character that reorders how text is displayed",
                found as u32
            ))
            .at(at..at + found.len_utf8())
            .label("here")
            .help(
                "delete it: names, titles and descriptions are shown in reports, where it would make \
                 text read in another order than it was written",
            ),
        );
    }
}

/// One segment of an override path: a key, optionally indexing an array.
struct Segment {
    key: String,
    index: Option<usize>,
    span: Range<usize>,
}

/// Splits `pool.web.instances` or `size."m5.large".cores` or
/// `workload.mix[1].weight` into segments with spans relative to `text`.
fn parse_path(text: &str) -> Result<Vec<Segment>, (String, Range<usize>)> {
    let mut segments = Vec::new();
    let bytes = text.as_bytes();
    let mut position = 0;
    while position <= bytes.len() {
        let start = position;
        let key = if bytes.get(position) == Some(&b'"') {
            let close = text[position + 1..]
                .find('"')
                .ok_or_else(|| ("unclosed quote in the path".to_owned(), start..text.len()))?;
            position += close + 2;
            text[start + 1..start + 1 + close].to_owned()
        } else {
            let length = text[position..].find(['.', '[']).unwrap_or(text.len() - position);
            position += length;
            text[start..position].trim().to_owned()
        };
        if key.is_empty() {
            return Err(("empty key in the path".to_owned(), start..position.max(start + 1)));
        }
        let mut index = None;
        if bytes.get(position) == Some(&b'[') {
            let close = text[position..]
                .find(']')
                .ok_or_else(|| ("unclosed `[` in the path".to_owned(), position..text.len()))?;
            let number = &text[position + 1..position + close];
            index = Some(number.trim().parse().map_err(|_| {
                (
                    format!("`{number}` is not an array index"),
                    position..position + close + 1,
                )
            })?);
            position += close + 1;
        }
        segments.push(Segment {
            key,
            index,
            span: start..position,
        });
        match bytes.get(position) {
            None => break,
            Some(b'.') => position += 1,
            Some(_) => {
                return Err(("expected `.` between keys".to_owned(), position..position + 1));
            }
        }
    }
    Ok(segments)
}

fn apply_override<'s>(
    tree: &mut DeTable<'s>,
    argument: &'s str,
    base: usize,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some(equals) = argument.find('=') else {
        diagnostics.push(
            Diagnostic::error(format!("`--set {argument}` has no `=`"))
                .at(base..base + argument.len())
                .help("write `--set path=value`, for example `--set pool.web.instances=8`"),
        );
        return;
    };
    let path = &argument[..equals];
    let value_text = &argument[equals + 1..];
    let value_offset = base + equals + 1;
    let segments = match parse_path(path) {
        Ok(segments) => segments,
        Err((message, span)) => {
            diagnostics.push(
                Diagnostic::error(format!("invalid `--set` path: {message}"))
                    .at(base + span.start..base + span.end),
            );
            return;
        }
    };
    let value = match DeValue::parse(value_text) {
        Ok(value) => shift(value, value_offset),
        Err(_) => {
            // Not a TOML literal: take the text as a string (`5000/s`, `4ms`).
            let trimmed = value_text.trim();
            let start = value_offset + (trimmed.as_ptr() as usize - value_text.as_ptr() as usize);
            Spanned::new(
                start..start + trimmed.len(),
                DeValue::String(Cow::Borrowed(trimmed)),
            )
        }
    };
    let segments: Vec<Segment> = segments
        .into_iter()
        .map(|segment| Segment {
            span: base + segment.span.start..base + segment.span.end,
            ..segment
        })
        .collect();
    if let Err(diagnostic) = graft(tree, &segments, value) {
        diagnostics.push(*diagnostic);
    }
}

/// Puts `value` at `segments` in `tree`, creating missing tables.
fn graft<'s>(
    tree: &mut DeTable<'s>,
    segments: &[Segment],
    value: Spanned<DeValue<'s>>,
) -> Result<(), Box<Diagnostic>> {
    let (last, parents) = segments.split_last().expect("a path has at least one key");
    let mut table = tree;
    let mut walked = String::new();
    for segment in parents {
        walked = join(&walked, &segment.key);
        let target = match segment.index {
            None => table
                .entry(Spanned::new(
                    segment.span.clone(),
                    Cow::Owned(segment.key.clone()),
                ))
                .or_insert_with(|| Spanned::new(segment.span.clone(), DeValue::Table(DeTable::new())))
                .get_mut(),
            Some(index) => {
                let Some(entry) = table.get_mut(segment.key.as_str()) else {
                    return Err(no_array(&walked, segment));
                };
                index_into(entry.get_mut(), index, &walked, segment)?
            }
        };
        match target {
            DeValue::Table(inner) => table = inner,
            other => {
                return Err(Box::new(
                    Diagnostic::error(format!(
                        "cannot set a key inside `{walked}`: it is {}, not a table",
                        super::reader::type_name(other)
                    ))
                    .at(segment.span.clone()),
                ));
            }
        }
    }
    match last.index {
        None => {
            table.insert(
                Spanned::new(last.span.clone(), Cow::Owned(last.key.clone())),
                value,
            );
        }
        Some(index) => {
            let walked = join(&walked, &last.key);
            let Some(entry) = table.get_mut(last.key.as_str()) else {
                return Err(no_array(&walked, last));
            };
            *index_into(entry.get_mut(), index, &walked, last)? = value.into_inner();
        }
    }
    Ok(())
}

fn index_into<'v, 's>(
    target: &'v mut DeValue<'s>,
    index: usize,
    walked: &str,
    segment: &Segment,
) -> Result<&'v mut DeValue<'s>, Box<Diagnostic>> {
    match target {
        DeValue::Array(items) => {
            let length = items.len();
            items.get_mut(index).map(|item| item.get_mut()).ok_or_else(|| {
                Box::new(
                    Diagnostic::error(format!(
                        "`{walked}` has {length} entries; index {index} is out of range"
                    ))
                    .at(segment.span.clone()),
                )
            })
        }
        other => Err(Box::new(
            Diagnostic::error(format!(
                "`{walked}` is {}, not an array",
                super::reader::type_name(other)
            ))
            .at(segment.span.clone()),
        )),
    }
}

fn no_array(walked: &str, segment: &Segment) -> Box<Diagnostic> {
    Box::new(Diagnostic::error(format!("there is no array `{walked}` to index")).at(segment.span.clone()))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Moves every span in `value` by `offset`.
fn shift(value: Spanned<DeValue<'_>>, offset: usize) -> Spanned<DeValue<'_>> {
    let span = value.span();
    let moved = span.start + offset..span.end + offset;
    let inner = match value.into_inner() {
        DeValue::Array(items) => {
            let mut shifted = DeArray::new();
            for item in items.iter().cloned() {
                shifted.push(shift(item, offset));
            }
            DeValue::Array(shifted)
        }
        DeValue::Table(table) => {
            let mut shifted = DeTable::new();
            for (key, item) in table {
                let key_span = key.span();
                shifted.insert(
                    Spanned::new(key_span.start + offset..key_span.end + offset, key.into_inner()),
                    shift(item, offset),
                );
            }
            DeValue::Table(shifted)
        }
        scalar => scalar,
    };
    Spanned::new(moved, inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build_with(file: &str, overrides: &[&str]) -> (SourceMap, Vec<Diagnostic>) {
        let mut sources = SourceMap::new();
        sources.add("s.toml", file);
        for (index, text) in overrides.iter().enumerate() {
            sources.add(format!("--set #{}", index + 1), *text);
        }
        (sources, Vec::new())
    }

    #[test]
    fn overrides_replace_values_and_keep_their_own_spans() {
        let (sources, mut diagnostics) = build_with(
            "[pool.web]\ninstances = 2\n",
            &["pool.web.instances=8", "workload.rate=5000/s"],
        );
        let tree = build(&sources, &mut diagnostics).expect("builds");
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let instances = tree.get_ref()["pool"]
            .get_ref()
            .get("web")
            .unwrap()
            .get_ref()
            .get("instances")
            .unwrap();
        assert_eq!(instances.get_ref().as_integer().unwrap().as_str(), "8");
        let location = sources.locate(&instances.span()).unwrap();
        assert_eq!((location.source.name.as_str(), location.column), ("--set #1", 20));
        let rate = tree.get_ref()["workload"].get_ref().get("rate").unwrap();
        assert_eq!(rate.get_ref().as_str(), Some("5000/s"));
    }

    #[test]
    fn quoted_keys_and_array_indices() {
        let (sources, mut diagnostics) = build_with(
            "[size.\"m5.large\"]\ncores = 2\n[workload]\nmix = [{ weight = 1 }, { weight = 2 }]\n",
            &["size.\"m5.large\".cores=4", "workload.mix[1].weight=5"],
        );
        let tree = build(&sources, &mut diagnostics).expect("builds");
        let cores = tree.get_ref()["size"]
            .get_ref()
            .get("m5.large")
            .unwrap()
            .get_ref()
            .get("cores")
            .unwrap();
        assert_eq!(cores.get_ref().as_integer().unwrap().as_str(), "4");
        let mix = tree.get_ref()["workload"].get_ref().get("mix").unwrap();
        let weight = mix.get_ref().get(1).unwrap().get_ref().get("weight").unwrap();
        assert_eq!(weight.get_ref().as_integer().unwrap().as_str(), "5");
    }

    #[test]
    fn bad_overrides_are_diagnosed() {
        let (sources, mut diagnostics) = build_with(
            "[pool]\nweb = \"x\"\n",
            &["nothing", "pool.web.instances=3", "workload.mix[4].weight=1"],
        );
        assert!(build(&sources, &mut diagnostics).is_none());
        assert_eq!(diagnostics.len(), 3, "{diagnostics:?}");
        assert!(diagnostics[0].message.contains("has no `=`"));
        assert!(diagnostics[1].message.contains("it is a string, not a table"));
        assert!(diagnostics[2].message.contains("no array"));
    }

    #[test]
    fn syntax_errors_and_empty_files() {
        let (sources, mut diagnostics) = build_with("x = = 1\n", &[]);
        assert!(build(&sources, &mut diagnostics).is_none());
        assert!(diagnostics[0].message.starts_with("not valid TOML"));
        assert!(diagnostics[0].span.is_some());
        let (sources, mut diagnostics) = build_with("  \n", &[]);
        assert!(build(&sources, &mut diagnostics).is_none());
        assert!(diagnostics[0].message.contains("empty"));
    }
}
