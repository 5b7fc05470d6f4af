//! The layers: every module of `src/` imports only modules of the layers
//! below its own, in the order ARCHITECTURE.md states. The order is read from
//! the document ("Dependencies point one way: `…`"), so the code and the
//! document cannot drift apart: moving a layer means editing that line, and
//! a new top-level module must be placed in it.
//!
//! A reference is any path through the crate root: `crate::study::…`
//! (`use` or inline, grouped `crate::{a, b}` too), `super::` climbing out of
//! the module to the root, or `capsim::…` in the binary. Comments are left
//! out; test modules inside `src/` count like the rest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The layers from the top, each a set of modules that may not import each
/// other, parsed from `cli → {study, report} → results → …`.
fn stated_layers() -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("ARCHITECTURE.md")).unwrap();
    let marker = "Dependencies point one way:";
    let after = &text[text.find(marker).expect("ARCHITECTURE.md states the layers") + marker.len()..];
    let start = after.find('`').expect("the order in backticks") + 1;
    let end = start + after[start..].find('`').expect("a closing backtick");
    let chain = after[start..end].split_whitespace().collect::<Vec<_>>().join(" ");
    chain
        .split('→')
        .map(|layer| {
            layer
                .trim()
                .trim_start_matches('{')
                .trim_end_matches('}')
                .split(',')
                .map(|module| module.trim().to_owned())
                .collect()
        })
        .collect()
}

/// The library's top-level modules, from `src/lib.rs`.
fn library_modules() -> Vec<String> {
    let lib = std::fs::read_to_string(Path::new(ROOT).join("src/lib.rs")).unwrap();
    lib.lines()
        .filter_map(|line| line.trim().strip_prefix("pub mod "))
        .map(|rest| rest.trim_end_matches(';').to_owned())
        .collect()
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

/// The module path of a file below `src/`: `report/run_page.rs` is
/// `[report, run_page]`, `report/mod.rs` is `[report]`, `main.rs` and
/// `cli/…` belong to the binary's `cli`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|last| last == "mod") {
        parts.pop();
    }
    if parts == ["main"] {
        return vec!["cli".to_owned()];
    }
    parts
}

fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The first segment of each path in a `{a::b, c, d::{e, f}}` group that
/// starts at `text` (just after the `{`).
fn group_heads(text: &str) -> Vec<&str> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut item_start = 0;
    for (index, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                heads.push(identifier(text[item_start..index].trim_start()));
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                heads.push(identifier(text[item_start..index].trim_start()));
                item_start = index + 1;
            }
            _ => {}
        }
    }
    heads.into_iter().filter(|head| !head.is_empty()).collect()
}

/// Every top-level module a file's code names, with its line number.
fn references(code: &str, module: &[String], binary: bool, top_level: &[&str]) -> Vec<(usize, String)> {
    // The text without comments, lines kept.
    let code: String = code
        .lines()
        .map(|line| line.find("//").map_or(line, |index| &line[..index]))
        .collect::<Vec<_>>()
        .join("\n");
    let roots: &[&str] = if binary { &["capsim::"] } else { &["crate::"] };
    let mut found = Vec::new();
    for root in roots {
        for (at, _) in code.match_indices(root) {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let line = code[..at].matches('\n').count() + 1;
            let rest = &code[at + root.len()..];
            let heads = match rest.strip_prefix('{') {
                Some(group) => group_heads(group),
                None => vec![identifier(rest)],
            };
            found.extend(heads.into_iter().map(|head| (line, head.to_owned())));
        }
    }
    // `super::` as many times as the module is deep reaches the root (from
    // `report/chart.rs`, `super::super::`). An inline module (`mod tests`)
    // is one deeper, so a climb counts only when it names a top-level
    // module.
    if !binary {
        let climb = "super::".repeat(module.len());
        for (at, _) in code.match_indices(&climb) {
            let rest = &code[at + climb.len()..];
            let head = identifier(rest);
            if top_level.contains(&head) {
                let line = code[..at].matches('\n').count() + 1;
                found.push((line, head.to_owned()));
            }
        }
    }
    found
}

#[test]
fn the_document_places_every_module() {
    let stated: Vec<String> = stated_layers().into_iter().flatten().collect();
    let mut expected = library_modules();
    expected.push("cli".to_owned());
    let mut sorted = stated.clone();
    sorted.sort();
    sorted.dedup();
    expected.sort();
    assert_eq!(
        sorted.len(),
        stated.len(),
        "a module is in two layers: {stated:?}"
    );
    assert_eq!(
        sorted, expected,
        "ARCHITECTURE.md's layers and the crate's modules differ"
    );
}

#[test]
fn every_module_imports_only_layers_below_its_own() {
    let layers = stated_layers();
    let rank: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .flat_map(|(index, layer)| layer.iter().map(move |module| (module.as_str(), index)))
        .collect();
    let top_level: Vec<&str> = rank.keys().copied().collect();
    let src = Path::new(ROOT).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    // A `#[macro_export]` macro sits at the root but belongs to the module
    // that defines it (`crate::typed_id` is the engine's).
    let mut macros: BTreeMap<String, String> = BTreeMap::new();
    for file in &files {
        let code = std::fs::read_to_string(file).unwrap();
        let module = module_path(file.strip_prefix(&src).unwrap());
        for (at, _) in code.match_indices("#[macro_export]") {
            if let Some(definition) = code[at..].find("macro_rules!") {
                let name = identifier(code[at + definition + "macro_rules!".len()..].trim_start());
                macros.insert(name.to_owned(), module[0].clone());
            }
        }
    }
    let mut violations = Vec::new();
    let mut checked = 0;
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        if relative == Path::new("lib.rs") {
            continue;
        }
        let module = module_path(relative);
        let own = module[0].as_str();
        let binary = own == "cli";
        let own_rank = rank[own];
        let code = std::fs::read_to_string(file).unwrap();
        for (line, head) in references(&code, &module, binary, &top_level) {
            checked += 1;
            let target = macros.get(&head).cloned().unwrap_or(head);
            let allowed = target == own || rank.get(target.as_str()).is_some_and(|&r| r > own_rank);
            if !allowed {
                violations.push(format!(
                    "src/{}:{line}: `{own}` uses `{target}`, which is not in a layer below it",
                    relative.display()
                ));
            }
        }
    }
    assert!(
        checked > 200,
        "only {checked} references found: is the scan broken?"
    );
    assert!(
        violations.is_empty(),
        "imports against the layers of ARCHITECTURE.md:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_scan_sees_every_form_of_reference() {
    let module = vec!["report".to_owned(), "sweep_charts".to_owned()];
    let code = "use crate::study::slo::Slo;\n\
                use crate::{metrics::Summary, results::{bottleneck, slo}};\n\
                let x = crate::model::LoggedEvent::default(); // crate::cli in a comment\n\
                use super::super::engine::SimTime;\n\
                use super::chart;\n\
                use super::super::chart::Figure;\n";
    let top_level = ["engine", "metrics", "model", "results", "study"];
    let heads: Vec<(usize, String)> = references(code, &module, false, &top_level);
    let named: Vec<&str> = heads.iter().map(|(_, head)| head.as_str()).collect();
    assert_eq!(named, ["study", "metrics", "results", "model", "engine"]);
    assert_eq!(heads[4].0, 4);
    let binary = references(
        "use capsim::study::run;\nuse crate::cli::args;\n",
        &["cli".into()],
        true,
        &top_level,
    );
    assert_eq!(binary, [(1, "study".to_owned())]);
}
