//! Endpoint grouping: a request becomes `METHOD /path/pattern`, its query
//! and fragment dropped and the segments that are ids collapsed — numbers
//! to `{n}`, UUIDs to `{uuid}`, hex of 8 or more digits to `{hex}`, and
//! other tokens of 16 or more letters and digits that hold a digit to
//! `{id}` — unless a `--group 'REGEX=NAME'` matches `METHOD /path` (the
//! path without its query) first, in the order given. A CSV endpoint that is
//! a bare name (no method, not a path) is its own group.

use regex::Regex;

/// A `--group` rule.
#[derive(Debug, Clone)]
pub struct GroupRule {
    pub pattern: Regex,
    pub name: String,
}

impl GroupRule {
    /// Reads `REGEX=NAME` (split at the last `=`).
    pub fn parse(text: &str) -> Result<GroupRule, String> {
        let (pattern, name) = text
            .rsplit_once('=')
            .ok_or_else(|| format!("`{text}` is not `REGEX=NAME`"))?;
        if name.trim().is_empty() {
            return Err(format!("`{text}` names no group after `=`"));
        }
        let pattern = Regex::new(pattern)
            .map_err(|error| format!("`{pattern}` is not a regular expression: {error}"))?;
        Ok(GroupRule {
            pattern,
            name: name.trim().to_owned(),
        })
    }
}

/// The group of a request.
pub fn group(method: Option<&str>, target: &str, rules: &[GroupRule]) -> String {
    let path = target.split(['?', '#']).next().unwrap_or("");
    let subject = match method {
        Some(method) => format!("{method} {path}"),
        None => path.to_owned(),
    };
    if let Some(rule) = rules.iter().find(|rule| rule.pattern.is_match(&subject)) {
        return rule.name.clone();
    }
    if !path.starts_with('/') {
        return subject;
    }
    let pattern: Vec<&str> = path.split('/').map(collapse).collect();
    let pattern = pattern.join("/");
    match method {
        Some(method) => format!("{method} {pattern}"),
        None => pattern,
    }
}

/// A path segment, or the placeholder of the id it is.
fn collapse(segment: &str) -> &str {
    let alphanumeric = |c: char| c.is_ascii_alphanumeric();
    if segment.is_empty() {
        segment
    } else if segment.bytes().all(|b| b.is_ascii_digit()) {
        "{n}"
    } else if is_uuid(segment) {
        "{uuid}"
    } else if segment.len() >= 8
        && segment.bytes().all(|b| b.is_ascii_hexdigit())
        && segment.bytes().any(|b| b.is_ascii_digit())
    {
        "{hex}"
    } else if segment.len() >= 16
        && segment.chars().all(alphanumeric)
        && segment.bytes().any(|b| b.is_ascii_digit())
    {
        "{id}"
    } else {
        segment
    }
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A name a scenario accepts for a class and an endpoint: lower-case
/// letters, digits and `_` (`GET /users/{n}` → `get_users_n`).
pub fn scenario_name(group: &str) -> String {
    let mut name = String::new();
    for c in group.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('_') && !name.is_empty() {
            name.push('_');
        }
    }
    let name = name.trim_end_matches('_').to_owned();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("endpoint_{}", if name.is_empty() { "root" } else { &name })
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_ids_and_drops_queries() {
        let cases = [
            ("/users/42/orders?page=3", "GET /users/{n}/orders"),
            ("/o/3f2b1c9e-8a7d-4c6b-9e5f-0123456789ab", "GET /o/{uuid}"),
            ("/commit/deadbeef12", "GET /commit/{hex}"),
            ("/s/aZ3kP9qLm2Xv7BnT", "GET /s/{id}"),
            ("/static/app.js#top", "GET /static/app.js"),
            ("/", "GET /"),
            ("/feedback", "GET /feedback"),
        ];
        for (path, expected) in cases {
            assert_eq!(group(Some("GET"), path, &[]), expected, "{path}");
        }
        assert_eq!(group(None, "view_page", &[]), "view_page");
    }

    #[test]
    fn rules_come_first_in_order() {
        let rules = [
            GroupRule::parse("^GET /api/v[0-9]+/=api").unwrap(),
            GroupRule::parse("^GET /=everything").unwrap(),
        ];
        assert_eq!(group(Some("GET"), "/api/v2/x?y=1", &rules), "api");
        assert_eq!(group(Some("GET"), "/other", &rules), "everything");
        assert_eq!(group(Some("POST"), "/other", &rules), "POST /other");
        assert!(GroupRule::parse("no-equals").is_err());
        assert!(GroupRule::parse("(=x").is_err());
        assert!(GroupRule::parse("a=").is_err());
    }

    #[test]
    fn scenario_names() {
        assert_eq!(scenario_name("GET /users/{n}/orders"), "get_users_n_orders");
        assert_eq!(scenario_name("GET /"), "get");
        assert_eq!(scenario_name("/"), "endpoint_root");
        assert_eq!(scenario_name("2fa"), "endpoint_2fa");
    }
}
