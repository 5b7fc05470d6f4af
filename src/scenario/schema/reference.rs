//! The README's scenario-reference tables, generated from the schema.
//!
//! Each key of a section is described once, by its field in this module's
//! types: the doc comment is its meaning, `default` (or, where a default is
//! no single value, the `x-default-text` annotation) its default, `required`
//! whether it must be given. The README holds one generated table per
//! section between a pair of markers,
//!
//! ```text
//! <!-- keys: balancer.<name> -->
//! | key | default | meaning |
//! …
//! <!-- /keys -->
//! ```
//!
//! and [`refresh`] rewrites every such block from the schema. A test fails
//! when the README's blocks differ from what [`refresh`] would write, and
//! `UPDATE_README=1 cargo test --test it readme_reference` rewrites them.

use serde_json::Value;

/// The annotation that states a default in words (`"unlimited"`,
/// `"preset"`) where no single TOML value is the default.
pub const DEFAULT_TEXT: &str = "x-default-text";

const BEGIN: &str = "<!-- keys: ";
const END: &str = "<!-- /keys -->";

/// Follows `$ref`s to a definition.
fn resolve<'s>(root: &'s Value, mut schema: &'s Value) -> &'s Value {
    while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        match root["definitions"].get(name) {
            Some(definition) => schema = definition,
            None => break,
        }
    }
    schema
}

/// The schema of a value, through a lone `allOf` wrapper and references.
fn unwrap<'s>(root: &'s Value, schema: &'s Value) -> &'s Value {
    let schema = match schema.get("allOf").and_then(Value::as_array) {
        Some(all) if all.len() == 1 => &all[0],
        _ => schema,
    };
    resolve(root, schema)
}

/// The schema of the table at a heading path: `pool.<name>.endpoint.<endpoint>`
/// (`<…>` stands for a name the user chooses; an array of tables is its items).
pub fn table_at<'s>(root: &'s Value, path: &str) -> Option<&'s Value> {
    let mut schema = root;
    for segment in path.split('.') {
        schema = unwrap(root, schema);
        schema = if segment.starts_with('<') {
            schema.get("additionalProperties")?
        } else {
            schema.get("properties")?.get(segment)?
        };
        schema = unwrap(root, schema);
        if let Some(items) = schema.get("items") {
            schema = unwrap(root, items);
        }
    }
    schema.get("properties").map(|_| schema)
}

/// A default as a TOML literal in a code span.
fn literal(value: &Value) -> String {
    match value {
        Value::String(text) => format!("`{}`", toml::Value::String(text.clone())),
        other => format!("`{other}`"),
    }
}

/// Text for one table cell: on one line, with `|` escaped.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// The `key | default | meaning` table of the section at `path`.
pub fn key_table(root: &Value, path: &str) -> Option<String> {
    let table = table_at(root, path)?;
    let required: Vec<&str> = table
        .get("required")
        .and_then(Value::as_array)
        .map(|keys| keys.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut text = String::from("| key | default | meaning |\n|---|---|---|\n");
    for (key, property) in table["properties"].as_object()? {
        let default = if let Some(words) = property.get(DEFAULT_TEXT).and_then(Value::as_str) {
            words.to_owned()
        } else if let Some(value) = property.get("default") {
            literal(value)
        } else if required.contains(&key.as_str()) {
            "required".to_owned()
        } else {
            "none".to_owned()
        };
        let meaning = property.get("description").and_then(Value::as_str).unwrap_or("");
        text.push_str(&format!("| `{key}` | {} | {} |\n", cell(&default), cell(meaning)));
    }
    Some(text)
}

/// `readme` with every marked block rewritten from the schema `root`; an
/// error names a marker without its end or a path with no table.
pub fn refresh(readme: &str, root: &Value) -> Result<String, String> {
    let mut out = String::with_capacity(readme.len());
    let mut rest = readme;
    while let Some(start) = rest.find(BEGIN) {
        let after_begin = &rest[start + BEGIN.len()..];
        let Some(close) = after_begin.find(" -->") else {
            return Err(format!("a `{BEGIN}` marker is not closed with ` -->`"));
        };
        let path = &after_begin[..close];
        let Some(end) = after_begin.find(END) else {
            return Err(format!("the block for `{path}` has no `{END}`"));
        };
        let table = key_table(root, path).ok_or_else(|| format!("the schema has no table at `{path}`"))?;
        out.push_str(&rest[..start]);
        out.push_str(&format!("{BEGIN}{path} -->\n{table}{END}"));
        rest = &after_begin[end + END.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The paths of every marked block, in order.
pub fn marked_paths(readme: &str) -> Vec<&str> {
    readme
        .split(BEGIN)
        .skip(1)
        .filter_map(|block| block.split(" -->").next())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_lists_every_key_with_its_default_and_meaning() {
        let root = super::super::schema();
        let table = key_table(&root, "balancer.<name>").unwrap();
        assert!(
            table.contains("| `pool` | required | The pool whose instances"),
            "{table}"
        );
        assert!(table.contains("| `policy` | `\"round_robin\"` |"), "{table}");
        assert!(table.contains("| `cores` | unlimited |"), "{table}");
        assert!(table.contains("| `health_check` | none |"), "{table}");
        assert!(table.contains("| `sticky` | `false` |"), "{table}");
        assert!(key_table(&root, "balancer.<name>.nothing").is_none());
    }

    #[test]
    fn refresh_rewrites_only_the_marked_blocks() {
        let root = super::super::schema();
        let readme = "intro\n<!-- keys: limits -->\nstale\n<!-- /keys -->\noutro\n";
        let fresh = refresh(readme, &root).unwrap();
        assert!(fresh.starts_with("intro\n<!-- keys: limits -->\n| key | default | meaning |"));
        assert!(fresh.ends_with("<!-- /keys -->\noutro\n"));
        assert!(fresh.contains("| `max_in_flight` | `1000000` |"), "{fresh}");
        assert_eq!(refresh(&fresh, &root).unwrap(), fresh);
        assert_eq!(marked_paths(&fresh), ["limits"]);
        assert!(refresh("<!-- keys: nowhere -->\n<!-- /keys -->", &root).is_err());
    }
}
