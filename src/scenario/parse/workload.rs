//! Reading `[workload]`: arrivals, rate profile, timeout, retries, mix.

use super::super::diagnostic::Diagnostic;
use super::super::ids::{ClassId, EndpointId};
use super::super::reader::{Node, TableNode};
use super::super::types::{
    Arrivals, Class, ClassCall, ClassKeys, ClosedArrivals, DailyRate, OpenKeys, OpenRate, RateChange, Target,
    Workload, WorkloadKeys,
};
use super::{Cx, RefKind, read_target};
use crate::engine::SimDuration;

/// Most users a workload may name (each has a few bytes of client state).
pub const MAX_USERS: u64 = 100_000_000;
/// Most users of a closed workload: every one is an event or a request in
/// flight at all times (about 630 MB at this bound).
pub const MAX_CLOSED_USERS: u64 = 10_000_000;
/// Most retries per request.
pub const MAX_RETRIES: u64 = 100;

pub(crate) fn read_workload(cx: &mut Cx, node: &Node) -> Option<Workload> {
    let mut table = cx.reader.table(node)?;
    let arrivals = table
        .require(
            &mut cx.reader,
            "arrivals",
            "{ kind = \"open\", rate = \"100/s\" }",
        )
        .and_then(|node| read_arrivals(cx, &node));
    let profile = table.get("profile").and_then(|node| read_profile(cx, &node));
    let keys = WorkloadKeys::read_keys(cx, &mut table);
    let mix = table
        .require(
            &mut cx.reader,
            "mix",
            "[{ class = \"home\", weight = 1, call = \"web/home\" }]",
        )
        .and_then(|node| read_mix(cx, &node));
    let relogin = table
        .get("relogin")
        .map(|node| read_relogin(cx, &node, mix.as_deref()));
    let open = matches!(arrivals, Some(Arrivals::Open { .. }));
    if !open && arrivals.is_some() {
        for key in ["profile", "diurnal"] {
            if let Some(node) = table.get(key) {
                cx.reader.invalid(
                    &node,
                    format!("`{key}` shapes an open workload's rate; this workload is closed"),
                    Some("a closed workload's load is set by `users` and `think`".to_owned()),
                );
            }
        }
    }
    table.finish(&mut cx.reader);
    Some(Workload {
        arrivals: arrivals?,
        profile: profile.unwrap_or_default(),
        mix: mix?.into(),
        relogin: super::super::reader::optional(relogin)?,
        keys: keys?,
    })
}

/// `relogin`: a class of the mix, by name.
fn read_relogin(cx: &mut Cx, node: &Node, mix: Option<&[Class]>) -> Option<ClassId> {
    let name = cx.reader.string(node)?;
    let mix = mix?;
    match mix.iter().position(|class| class.name == name) {
        Some(index) => Some(ClassId::from_index(index)),
        None => {
            let names: Vec<&str> = mix.iter().map(|class| class.name.as_str()).collect();
            cx.reader.invalid(
                node,
                format!("`relogin` names no class of the mix: `{name}`"),
                Some(format!(
                    "name one of {} (a class of weight 0 is sent only to log in again)",
                    names.join(", ")
                )),
            );
            None
        }
    }
}

const ARRIVAL_KINDS: [&str; 2] = ["open", "closed"];

/// `arrivals`: the tag `kind`, then the keys of that kind (`OpenKeys` and
/// the rate, or `ClosedArrivals`).
fn read_arrivals(cx: &mut Cx, node: &Node) -> Option<Arrivals> {
    let mut table = cx.reader.table(node)?;
    let kind = table
        .require(&mut cx.reader, "kind", "\"open\"")
        .and_then(|node| cx.reader.choice(&node, &ARRIVAL_KINDS));
    let arrivals = match kind {
        Some(0) => {
            let rate = read_open_rate(cx, &mut table);
            if !table.contains("users") {
                warn_default_users(cx, node);
            }
            let keys = OpenKeys::read_keys(cx, &mut table);
            Some(Arrivals::Open {
                rate: rate?,
                keys: keys?,
            })
        }
        Some(1) => ClosedArrivals::read_keys(cx, &mut table).map(Arrivals::Closed),
        _ => None,
    };
    table.finish(&mut cx.reader);
    arrivals
}

/// An open workload that does not say how many users it has gets the
/// default, which changes results (one DNS cache per user; `users_affected`
/// counts at most that many): say so, with the number.
fn warn_default_users(cx: &mut Cx, node: &Node) {
    let users = OpenKeys::defaults().expect("`users` has a default").users;
    cx.reader.push(
        Diagnostic::warning(format!(
            "this open workload does not say how many users send its requests: they are spread over {users} users"
        ))
        .at(node.span.clone())
        .path(node.path.clone())
        .help(format!(
            "add `users = …` (the users active at the peak): each user has their own DNS cache, so the \
             DNS hit ratio and the latency depend on it, and `users_affected` counts at most {users}"
        )),
    );
}

/// An open workload's rate: `rate`, or `daily_users` with the rest of a
/// `DailyRate` — one of the two.
fn read_open_rate(cx: &mut Cx, table: &mut TableNode) -> Option<OpenRate> {
    let rate = table.get("rate");
    let daily_users = table.get("daily_users");
    match (rate, daily_users) {
        (Some(rate), None) => {
            for key in ["requests_per_user", "peak_factor"] {
                if let Some(node) = table.get(key) {
                    cx.reader.invalid(
                        &node,
                        format!("`{key}` goes with `daily_users`, not `rate`"),
                        None,
                    );
                }
            }
            cx.reader.rate(&rate).map(OpenRate::PerSecond)
        }
        (None, Some(_)) => DailyRate::read_keys(cx, table).map(OpenRate::Daily),
        (Some(_), Some(daily)) => {
            cx.reader
                .invalid(&daily, "give `rate` or `daily_users`, not both", None);
            None
        }
        (None, None) => {
            cx.reader.push(
                Diagnostic::error("an open workload needs `rate` (or `daily_users`)")
                    .at(table.span.clone())
                    .path(table.path.clone())
                    .help("for example: arrivals = { kind = \"open\", rate = \"1200/s\" }"),
            );
            None
        }
    }
}

fn read_profile(cx: &mut Cx, node: &Node) -> Option<Vec<RateChange>> {
    let items = cx.reader.array(node)?;
    let mut changes = Vec::with_capacity(items.len());
    let mut ok = true;
    let mut free_from = SimDuration::ZERO;
    for item in &items {
        let Some(change) = RateChange::read(cx, item) else {
            ok = false;
            continue;
        };
        if change.at < free_from {
            cx.reader.invalid(
                item,
                "this profile change starts before the previous one has finished",
                Some(
                    "list changes in time order; a change lasts `over` (plus `for`, for a spike)".to_owned(),
                ),
            );
            ok = false;
        }
        free_from = change.at + change.over + change.hold.unwrap_or(SimDuration::ZERO);
        changes.push(change);
    }
    ok.then_some(changes)
}

fn read_mix(cx: &mut Cx, node: &Node) -> Option<Vec<Class>> {
    let items = cx.reader.array(node)?;
    if items.is_empty() {
        cx.reader
            .invalid(node, "the mix is empty: add at least one request class", None);
        return None;
    }
    let mut classes = Vec::with_capacity(items.len());
    let mut ok = true;
    for item in &items {
        let Some(mut table) = cx.reader.table(item) else {
            ok = false;
            continue;
        };
        let class = table
            .require(&mut cx.reader, "class", "\"view_item\"")
            .and_then(|node| super::read_name(&mut cx.reader, &node));
        let keys = ClassKeys::read_keys(cx, &mut table);
        let call = table
            .require(&mut cx.reader, "call", "\"web/home\"")
            .and_then(|node| read_entry(cx, &node));
        let key = table.get("key").map(|node| {
            super::read_reference(cx, &node, RefKind::Keyspace).map(|name| cx.names.keyspace(&name))
        });
        table.finish(&mut cx.reader);
        match (class, keys, call, super::super::reader::optional(key)) {
            (Some(name), Some(keys), Some(call), Some(key)) => {
                if classes.iter().any(|other: &Class| other.name == name) {
                    cx.reader
                        .invalid(item, format!("class `{name}` appears twice in the mix"), None);
                    ok = false;
                }
                classes.push(Class {
                    name,
                    call,
                    key,
                    keys,
                });
            }
            _ => ok = false,
        }
    }
    if ok && classes.iter().all(|class| class.weight == 0.0) {
        cx.reader.invalid(
            node,
            "every class of the mix has weight 0: no request would be sent",
            Some("give at least one class a weight above 0".to_owned()),
        );
        ok = false;
    }
    ok.then_some(classes)
}

/// A class's `call`: `component/endpoint`, or a CDN's name alone.
fn read_entry(cx: &mut Cx, node: &Node) -> Option<ClassCall> {
    let text = cx.reader.string(node)?;
    // A CDN takes any path (or none) after its name: only a label.
    let (name, label) = match text.split_once('/') {
        Some((name, label)) => (name, Some(label.to_owned())),
        None => (text, None),
    };
    if let Some(cdn) = cx.names.cdn(name) {
        let read = match label {
            Some(_) => read_target(cx, node, RefKind::Entry).map(|_| ()),
            None => super::read_reference(cx, node, RefKind::Entry).map(|_| ()),
        };
        return read.map(|()| ClassCall::Cdn { cdn, label });
    }
    if label.is_some() {
        return read_target(cx, node, RefKind::Entry).map(ClassCall::Endpoint);
    }
    super::read_reference(cx, node, RefKind::Entry).map(|component| {
        ClassCall::Endpoint(Target {
            entry: cx.names.entry(&component),
            endpoint: EndpointId::from_index(u16::MAX as usize),
        })
    })
}
