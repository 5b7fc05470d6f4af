//! Reading `[[faults]]`: scheduled kills and restores of components.

use super::super::reader::Node;
use super::super::types::{Fault, FaultAction, FaultTarget};
use super::{Cx, RefKind, Reference};

pub(crate) fn read_faults(cx: &mut Cx, node: &Node) -> Option<Vec<Fault>> {
    let items = cx.reader.array(node)?;
    let mut faults = Vec::with_capacity(items.len());
    let mut ok = true;
    for item in &items {
        match read_fault(cx, item) {
            Some(fault) => faults.push(fault),
            None => ok = false,
        }
    }
    ok.then_some(faults)
}

fn read_fault(cx: &mut Cx, node: &Node) -> Option<Fault> {
    let mut table = cx.reader.table(node)?;
    let at = table
        .require(&mut cx.reader, "at", "\"5m\"")
        .and_then(|n| cx.reader.duration(&n));
    let kill = table.get("kill");
    let restore = table.get("restore");
    table.finish(&mut cx.reader);
    let (action, target_node) = match (kill, restore) {
        (Some(target), None) => (FaultAction::Kill, target),
        (None, Some(target)) => (FaultAction::Restore, target),
        _ => {
            cx.reader.push(
                super::super::diagnostic::Diagnostic::error(
                    "a fault needs exactly one of `kill` and `restore`",
                )
                .at(node.span.clone())
                .path(node.path.clone())
                .help("for example: { at = \"5m\", kill = \"cache.sessions.node[0]\" }"),
            );
            return None;
        }
    };
    let target = read_target(cx, &target_node)?;
    Some(Fault {
        at: at?,
        action,
        target,
    })
}

/// `cache.NAME.node[I]`.
fn read_target(cx: &mut Cx, node: &Node) -> Option<FaultTarget> {
    let text = cx.reader.string(node)?;
    let parsed = text
        .strip_prefix("cache.")
        .and_then(|rest| rest.rsplit_once(".node["))
        .and_then(|(cache, index)| Some((cache, index.strip_suffix(']')?.parse::<u32>().ok()?)));
    let Some((cache, index)) = parsed else {
        cx.reader.invalid(
            node,
            format!("`{text}` is not a fault target"),
            Some("faults can kill and restore cache nodes: `cache.NAME.node[I]`".to_owned()),
        );
        return None;
    };
    cx.references.push(Reference {
        kind: RefKind::CacheNode { node: index },
        name: cache.to_owned(),
        endpoint: None,
        span: node.span.clone(),
        path: node.path.clone(),
    });
    Some(FaultTarget::CacheNode {
        cache: cache.to_owned(),
        node: index,
    })
}
