//! The topology as a diagram inside report.html: an inline SVG, drawn with
//! no script and no font fetched, laid out from `graph::Topology`.
//!
//! The layout is a plain layered drawing, left to right (Sugiyama's scheme
//! in its simplest form):
//! 1. Edges that close a cycle (found by a depth-first search in node
//!    order) are set aside; the rest form a DAG.
//! 2. Layers by longest path over that DAG, each kind with a floor
//!    (`users` first, stores never beside the users), so requests flow
//!    users → DNS → balancers → pools → caches, databases and queues.
//! 3. Data centers are horizontal bands (components outside any data
//!    center first, then each data center in order of first appearance);
//!    a band's box spans the layers its components occupy, so no two
//!    groups overlap.
//! 4. Within each layer and band, nodes are ordered by barycenters of
//!    their neighbours, sweeping down and up a few times; ties keep the
//!    scenario's order (stable sorts), so the drawing is deterministic.
//! 5. Boxes are stacked in their cell and centred in the band; edges are
//!    cubic curves between ports spread over a box's side, ordered by the
//!    other end's height, with their label at the curve's midpoint.
//!
//! A layered-layout crate was considered (`rust-sugiyama`): it places
//! points, not boxes of different heights, and knows neither groups nor
//! edge labels, so what is left is this much code anyway.
//!
//! Text widths are estimated (the page's font is the reader's), with room
//! to spare; detail text wraps inside its box. Four layers fit the page's
//! width at their natural size; the page scales a wider drawing down to
//! fit, so no part of it is out of sight. Everything is written in a
//! fixed order with one decimal, so the same topology gives the same bytes.

use std::fmt::Write;

use super::graph::Topology;
use super::html::escape;

/// Width of every node box.
const NODE_WIDTH: f64 = 160.0;
/// Horizontal space between layers, where edge labels sit.
const LAYER_GAP: f64 = 100.0;
/// Vertical space between boxes of one cell.
const NODE_GAP: f64 = 16.0;
/// Space between bands.
const BAND_GAP: f64 = 22.0;
/// Around the drawing.
const MARGIN: f64 = 12.0;
/// Inside a group's box, around its nodes.
const GROUP_PAD: f64 = 10.0;
/// Above a group's nodes, for its label.
const GROUP_LABEL: f64 = 18.0;
/// Inside a node box.
const NODE_PAD: f64 = 8.0;
/// One line of node text.
const LINE: f64 = 14.0;
/// Estimated advance of one character at 11 px (generous for sans fonts).
const CHAR_WIDTH: f64 = 6.2;
/// The same for a 10 px edge label.
const LABEL_CHAR_WIDTH: f64 = 5.4;
/// The same for the 12 px bold name.
const NAME_CHAR_WIDTH: f64 = 7.4;
/// Down and up sweeps of the barycentric ordering.
const SWEEPS: usize = 4;
/// How far below its boxes an edge that runs backwards curves.
const BACK_DIP: f64 = 40.0;

/// A box's place and text.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeBox {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// Lines of the name (bold), then lines of the detail.
    name: Vec<String>,
    detail: Vec<String>,
}

/// A data center's box.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupBox {
    pub label: String,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// The laid-out diagram: one box per node (in the topology's order), one
/// per data center, and the drawing's size.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub layers: Vec<usize>,
    pub boxes: Vec<NodeBox>,
    pub groups: Vec<GroupBox>,
    pub width: f64,
    pub height: f64,
}

/// The topology as an inline `<svg>` element with id `topology-diagram`.
pub fn svg(topology: &Topology) -> String {
    Layout::of(topology).svg(topology)
}

/// Each edge as node indices, self-edges included.
fn edge_ends(topology: &Topology) -> Vec<(usize, usize)> {
    let index = |id: &str| {
        topology
            .nodes
            .iter()
            .position(|node| node.id == id)
            .expect("an edge joins nodes of its topology")
    };
    topology
        .edges
        .iter()
        .map(|edge| (index(&edge.from), index(&edge.to)))
        .collect()
}

/// Which edges close a cycle: those a depth-first search (nodes and edges
/// in order) meets going to a node still on its path. Self-edges too.
fn back_edges(nodes: usize, ends: &[(usize, usize)]) -> Vec<bool> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        OnPath,
        Done,
    }
    let mut state = vec![State::New; nodes];
    let mut back = vec![false; ends.len()];
    for root in 0..nodes {
        if state[root] != State::New {
            continue;
        }
        // An explicit stack of (node, next edge to look at).
        let mut stack = vec![(root, 0usize)];
        state[root] = State::OnPath;
        while let Some(top) = stack.len().checked_sub(1) {
            let (node, next) = stack[top];
            match (next..ends.len()).find(|&e| ends[e].0 == node) {
                Some(edge) => {
                    stack[top].1 = edge + 1;
                    let to = ends[edge].1;
                    match state[to] {
                        State::OnPath => back[edge] = true,
                        State::New => {
                            state[to] = State::OnPath;
                            stack.push((to, 0));
                        }
                        State::Done => {}
                    }
                }
                None => {
                    state[node] = State::Done;
                    stack.pop();
                }
            }
        }
    }
    back
}

/// The lowest layer a kind may take: the users first; a store (or queue)
/// never beside the users, even when nothing calls it.
fn floor(kind: &str) -> usize {
    match kind {
        "users" => 0,
        "queue" | "cache" | "database" => 2,
        _ => 1,
    }
}

/// Longest-path layers over the forward edges (a DAG), each at least its
/// kind's floor.
fn layers(topology: &Topology, ends: &[(usize, usize)], back: &[bool]) -> Vec<usize> {
    let n = topology.nodes.len();
    let forward: Vec<(usize, usize)> = ends
        .iter()
        .zip(back)
        .filter(|(_, back)| !**back)
        .map(|(ends, _)| *ends)
        .collect();
    let mut incoming = vec![0usize; n];
    for &(_, to) in &forward {
        incoming[to] += 1;
    }
    let mut layer: Vec<usize> = topology.nodes.iter().map(|node| floor(node.kind)).collect();
    // Kahn's order, lowest index first among the ready.
    let mut ready: std::collections::BTreeSet<usize> = (0..n).filter(|&v| incoming[v] == 0).collect();
    while let Some(node) = ready.pop_first() {
        for &(from, to) in &forward {
            if from == node {
                layer[to] = layer[to].max(layer[node] + 1);
                incoming[to] -= 1;
                if incoming[to] == 0 {
                    ready.insert(to);
                }
            }
        }
    }
    layer
}

/// `text` broken into lines of at most `width` characters, at spaces
/// where it can, inside words where it must.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|word| !word.is_empty()) {
        let mut word: Vec<char> = word.chars().collect();
        let length = line.chars().count();
        if length > 0 && length + 1 + word.len() <= width {
            line.push(' ');
            line.extend(&word);
            continue;
        }
        if length > 0 {
            lines.push(std::mem::take(&mut line));
        }
        while word.len() > width {
            lines.push(word.drain(..width).collect());
        }
        line = word.into_iter().collect();
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

impl Layout {
    pub fn of(topology: &Topology) -> Layout {
        let nodes = &topology.nodes;
        let ends = edge_ends(topology);
        let back = back_edges(nodes.len(), &ends);
        let layers = layers(topology, &ends, &back);
        let layer_count = layers.iter().max().map_or(0, |top| top + 1);

        // Bands: outside any data center first, then each data center.
        let mut bands: Vec<Option<&str>> = Vec::new();
        if nodes.iter().any(|node| node.group.is_none()) {
            bands.push(None);
        }
        for node in nodes {
            if let Some(group) = node.group.as_deref()
                && !bands.contains(&Some(group))
            {
                bands.push(Some(group));
            }
        }
        let band_of: Vec<usize> = nodes
            .iter()
            .map(|node| {
                bands
                    .iter()
                    .position(|band| *band == node.group.as_deref())
                    .expect("every group has a band")
            })
            .collect();

        // cells[layer][band]: node indices, scenario order to start.
        let mut cells = vec![vec![Vec::<usize>::new(); bands.len()]; layer_count];
        for (node, (&layer, &band)) in layers.iter().zip(&band_of).enumerate() {
            cells[layer][band].push(node);
        }
        order_by_barycenters(&mut cells, &ends, &back, nodes.len());

        // Each box's text and height.
        let name_width = ((NODE_WIDTH - 2.0 * NODE_PAD) / NAME_CHAR_WIDTH) as usize;
        let detail_width = ((NODE_WIDTH - 2.0 * NODE_PAD) / CHAR_WIDTH) as usize;
        let mut boxes: Vec<NodeBox> = nodes
            .iter()
            .map(|node| {
                let name = wrap(&node.name, name_width);
                let detail = wrap(&node.detail, detail_width);
                let height = 2.0 * NODE_PAD + LINE * (name.len() + detail.len()) as f64;
                NodeBox {
                    x: 0.0,
                    y: 0.0,
                    width: NODE_WIDTH,
                    height,
                    name,
                    detail,
                }
            })
            .collect();
        let stack_height = |cell: &[usize], boxes: &[NodeBox]| {
            let heights: f64 = cell.iter().map(|&node| boxes[node].height).sum();
            heights + NODE_GAP * cell.len().saturating_sub(1) as f64
        };
        let column_x = |layer: usize| MARGIN + GROUP_PAD + layer as f64 * (NODE_WIDTH + LAYER_GAP);

        let mut groups = Vec::new();
        let mut top = MARGIN;
        for (band, group) in bands.iter().enumerate() {
            let inner = (0..layer_count)
                .map(|layer| stack_height(&cells[layer][band], &boxes))
                .fold(0.0, f64::max);
            let label = if group.is_some() { GROUP_LABEL } else { 0.0 };
            let inner_top = top + GROUP_PAD + label;
            for (layer, row) in cells.iter().enumerate() {
                let cell = &row[band];
                // Each cell's stack centred in its band.
                let mut y = inner_top + (inner - stack_height(cell, &boxes)) / 2.0;
                for &node in cell {
                    boxes[node].x = column_x(layer);
                    boxes[node].y = y;
                    y += boxes[node].height + NODE_GAP;
                }
            }
            let height = inner + 2.0 * GROUP_PAD + label;
            if let Some(group) = group {
                let occupied = (0..layer_count).filter(|&layer| !cells[layer][band].is_empty());
                let (first, last) = occupied.fold((usize::MAX, 0), |(first, last), layer| {
                    (first.min(layer), last.max(layer))
                });
                let x = column_x(first) - GROUP_PAD;
                groups.push(GroupBox {
                    label: (*group).to_owned(),
                    x,
                    y: top,
                    width: column_x(last) + NODE_WIDTH + GROUP_PAD - x,
                    height,
                });
            }
            top += height + BAND_GAP;
        }
        // Room under the lowest boxes for edges that run backwards.
        let dip = if back.iter().any(|&b| b) { BACK_DIP } else { 0.0 };
        let height = top - BAND_GAP + MARGIN + dip;
        let width = column_x(layer_count.max(1) - 1) + NODE_WIDTH + GROUP_PAD + MARGIN;
        Layout {
            layers,
            boxes,
            groups,
            width,
            height,
        }
    }

    /// The drawing as an `<svg>` element: groups, edges, nodes, then edge
    /// labels on top so none is hidden.
    pub fn svg(&self, topology: &Topology) -> String {
        let ends = edge_ends(topology);
        let ports = self.ports(&ends);
        let mut svg = format!(
            "<svg id=\"topology-diagram\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" \
             viewBox=\"0 0 {w:.0} {h:.0}\" role=\"img\" aria-labelledby=\"topology-diagram-title\" \
             font-size=\"11\" fill=\"#1d1d1f\">\n<title id=\"topology-diagram-title\">Topology: {} components, {} connections</title>\n",
            topology.nodes.len(),
            topology.edges.len(),
            w = self.width.ceil(),
            h = self.height.ceil(),
        );
        svg.push_str("<g class=\"groups\">\n");
        for group in &self.groups {
            let _ = writeln!(
                svg,
                "<rect class=\"group\" data-group=\"{}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"8\" \
                 fill=\"#f3f6fa\" stroke=\"#8a94a6\" stroke-dasharray=\"5 3\"/>\n\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-weight=\"600\" fill=\"#5f6368\">data center {}</text>",
                escape(&group.label),
                group.x,
                group.y,
                group.width,
                group.height,
                group.x + 8.0,
                group.y + 14.0,
                escape(&group.label),
            );
        }
        svg.push_str("</g>\n<g class=\"edges\" fill=\"none\" stroke=\"#5f6368\" stroke-width=\"1.3\">\n");
        let mut labels = String::new();
        for (edge, (path, arrow, mid)) in topology.edges.iter().zip(&ports) {
            let _ = writeln!(
                svg,
                "<path class=\"edge\" data-from=\"{}\" data-to=\"{}\" d=\"{path}\"/>\
                 <path d=\"{arrow}\" fill=\"#5f6368\" stroke=\"none\"/>",
                escape(&edge.from),
                escape(&edge.to),
            );
            if !edge.label.is_empty() {
                // On a white patch, so the curve does not show through.
                let width = LABEL_CHAR_WIDTH * edge.label.chars().count() as f64 + 6.0;
                let _ = writeln!(
                    labels,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"13\" rx=\"3\" fill=\"#fff\" fill-opacity=\"0.9\"/>\
                     <text class=\"edge-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\" \
                     fill=\"#3c4043\">{}</text>",
                    mid.0 - width / 2.0,
                    mid.1 - 6.5,
                    mid.0,
                    mid.1 + 3.5,
                    escape(&edge.label)
                );
            }
        }
        svg.push_str("</g>\n<g class=\"nodes\">\n");
        for (node, placed) in topology.nodes.iter().zip(&self.boxes) {
            let (fill, stroke) = colours(node.kind);
            let _ = write!(
                svg,
                "<g class=\"node\" data-id=\"{}\" data-kind=\"{}\"><title>{} — {}</title>\
                 <rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"{}\" fill=\"{fill}\" stroke=\"{stroke}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\">",
                escape(&node.id),
                node.kind,
                escape(&node.name),
                escape(&node.detail),
                placed.x,
                placed.y,
                placed.width,
                placed.height,
                if node.kind == "users" { 14 } else { 4 },
                placed.x + NODE_PAD,
                placed.y + NODE_PAD - 3.0,
            );
            for line in &placed.name {
                let _ = write!(
                    svg,
                    "<tspan x=\"{:.1}\" dy=\"{LINE}\" font-size=\"12\" font-weight=\"700\">{}</tspan>",
                    placed.x + NODE_PAD,
                    escape(line)
                );
            }
            for line in &placed.detail {
                let _ = write!(
                    svg,
                    "<tspan x=\"{:.1}\" dy=\"{LINE}\" fill=\"#3c4043\">{}</tspan>",
                    placed.x + NODE_PAD,
                    escape(line)
                );
            }
            svg.push_str("</text></g>\n");
        }
        svg.push_str("</g>\n<g class=\"labels\">\n");
        svg.push_str(&labels);
        svg.push_str("</g>\n</svg>\n");
        svg
    }

    /// Each edge's curve, arrowhead and midpoint. A forward edge leaves
    /// its source's right side and enters its target's left side, at ports
    /// spread over the side in the order of the other ends' heights; an
    /// edge that runs backwards (or stays in its layer) leaves the bottom
    /// of its source and enters the bottom of its target from below.
    fn ports(&self, ends: &[(usize, usize)]) -> Vec<(String, String, (f64, f64))> {
        let forward = |&(from, to): &(usize, usize)| self.layers[to] > self.layers[from];
        let centre_y = |node: usize| self.boxes[node].y + self.boxes[node].height / 2.0;
        // The port's height on a side: the k-th of m, spread evenly.
        let port = |node: usize, edge: usize, outgoing: bool| {
            let mut siblings: Vec<usize> = (0..ends.len())
                .filter(|&e| forward(&ends[e]))
                .filter(|&e| {
                    if outgoing {
                        ends[e].0 == node
                    } else {
                        ends[e].1 == node
                    }
                })
                .collect();
            siblings.sort_by(|&a, &b| {
                let other = |e: usize| if outgoing { ends[e].1 } else { ends[e].0 };
                centre_y(other(a)).total_cmp(&centre_y(other(b)))
            });
            let k = siblings.iter().position(|&e| e == edge).unwrap_or(0);
            let placed = &self.boxes[node];
            placed.y + placed.height * (k + 1) as f64 / (siblings.len() + 1) as f64
        };
        ends.iter()
            .enumerate()
            .map(|(edge, &(from, to))| {
                let (a, b) = (&self.boxes[from], &self.boxes[to]);
                let (start, c1, c2, end, arrow) = if forward(&(from, to)) {
                    let start = (a.x + a.width, port(from, edge, true));
                    let end = (b.x, port(to, edge, false));
                    let bend = ((end.0 - start.0) / 2.0).max(20.0);
                    let arrow = format!(
                        "M{:.1},{:.1}L{:.1},{:.1}L{:.1},{:.1}Z",
                        end.0,
                        end.1,
                        end.0 - 8.0,
                        end.1 - 4.0,
                        end.0 - 8.0,
                        end.1 + 4.0
                    );
                    (
                        start,
                        (start.0 + bend, start.1),
                        (end.0 - bend, end.1),
                        end,
                        arrow,
                    )
                } else {
                    // A self-edge leaves and enters the same bottom apart.
                    let apart = if from == to { 30.0 } else { 0.0 };
                    let start = (a.x + a.width / 2.0 - apart, a.y + a.height);
                    let end = (b.x + b.width / 2.0 + apart, b.y + b.height);
                    let low = start.1.max(end.1) + BACK_DIP - 4.0;
                    let arrow = format!(
                        "M{:.1},{:.1}L{:.1},{:.1}L{:.1},{:.1}Z",
                        end.0,
                        end.1,
                        end.0 - 4.0,
                        end.1 + 8.0,
                        end.0 + 4.0,
                        end.1 + 8.0
                    );
                    (start, (start.0, low), (end.0, low), end, arrow)
                };
                let path = format!(
                    "M{:.1},{:.1}C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
                    start.0, start.1, c1.0, c1.1, c2.0, c2.1, end.0, end.1
                );
                // The cubic's point at t = 1/2.
                let mid = (
                    (start.0 + 3.0 * c1.0 + 3.0 * c2.0 + end.0) / 8.0,
                    (start.1 + 3.0 * c1.1 + 3.0 * c2.1 + end.1) / 8.0,
                );
                (path, arrow, mid)
            })
            .collect()
    }
}

/// Orders each cell by the mean position of its nodes' neighbours in the
/// layers before (down sweeps) or after (up sweeps); a node without such
/// neighbours keeps its place. Stable sorts: ties keep the order they had.
fn order_by_barycenters(cells: &mut [Vec<Vec<usize>>], ends: &[(usize, usize)], back: &[bool], nodes: usize) {
    // A node's position: its rank down its whole layer, band by band.
    let positions = |cells: &[Vec<Vec<usize>>]| {
        let mut position = vec![0.0; nodes];
        for layer in cells {
            for (rank, &node) in layer.iter().flatten().enumerate() {
                position[node] = rank as f64;
            }
        }
        position
    };
    let forward: Vec<(usize, usize)> = ends
        .iter()
        .zip(back)
        .filter(|(_, back)| !**back)
        .map(|(ends, _)| *ends)
        .filter(|(from, to)| from != to)
        .collect();
    for sweep in 0..SWEEPS {
        let down = sweep % 2 == 0;
        let order: Vec<usize> = if down {
            (1..cells.len()).collect()
        } else {
            (0..cells.len().saturating_sub(1)).rev().collect()
        };
        for layer in order {
            let position = positions(cells);
            for cell in &mut cells[layer] {
                let key = |node: usize| {
                    let neighbours: Vec<f64> = forward
                        .iter()
                        .filter_map(|&(from, to)| match down {
                            true if to == node => Some(position[from]),
                            false if from == node => Some(position[to]),
                            _ => None,
                        })
                        .collect();
                    if neighbours.is_empty() {
                        position[node]
                    } else {
                        neighbours.iter().sum::<f64>() / neighbours.len() as f64
                    }
                };
                let mut keyed: Vec<(f64, usize)> = cell.iter().map(|&node| (key(node), node)).collect();
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
                *cell = keyed.into_iter().map(|(_, node)| node).collect();
            }
        }
    }
}

/// Fill and outline by kind (the charts' Okabe–Ito hues, lightened).
fn colours(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "users" => ("#eef1f5", "#5f6368"),
        "dns" | "cdn" => ("#e8f3fb", "#0072b2"),
        "balancer" => ("#e9f6f2", "#009e73"),
        "pool" => ("#fff6e0", "#b07d00"),
        "queue" => ("#f7ecf3", "#cc79a7"),
        "cache" => ("#fdeee5", "#d55e00"),
        "database" => ("#eceaf6", "#56509e"),
        _ => ("#ffffff", "#5f6368"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::graph::{Edge, Node};

    fn loaded(text: &str) -> Topology {
        Topology::of(&crate::scenario::load_str(text).unwrap().scenario)
    }

    const QUEUED: &str = r#"
[scenario]
duration = "1m"
[workload]
arrivals = { kind = "open", rate = "100/s", users = 1000 }
mix = [{ class = "upload", call = "www/upload" }]
[dns.www]
target = "lb"
ttl = "60s"
[balancer.lb]
pool = "web"
[pool.web]
workers = 8
[pool.web.endpoint.upload]
service = "1ms"
steps = [{ write = "photos" }, { enqueue = "thumbs" }]
[pool.imagers]
workers = 2
[pool.imagers.endpoint.make]
service = "10ms"
steps = [{ write = "photos" }]
[queue.thumbs]
consumer = "imagers/make"
[database.photos]
"#;

    fn overlap(a: &NodeBox, b: &NodeBox) -> bool {
        a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
    }

    #[test]
    fn requests_flow_left_to_right_in_layers() {
        let topology = loaded(QUEUED);
        let layout = Layout::of(&topology);
        let layer = |name: &str| {
            let node = topology.nodes.iter().position(|n| n.name == name).unwrap();
            layout.layers[node]
        };
        assert_eq!(layer("users"), 0);
        assert_eq!(layer("www"), 1);
        assert_eq!(layer("lb"), 2);
        assert_eq!(layer("web"), 3);
        assert_eq!(layer("thumbs"), 4);
        assert_eq!(layer("imagers"), 5);
        // The database is after both pools that write to it.
        assert_eq!(layer("photos"), 6);
        for (i, a) in layout.boxes.iter().enumerate() {
            for b in &layout.boxes[i + 1..] {
                assert!(!overlap(a, b), "{a:?} overlaps {b:?}");
            }
            assert!(a.x + a.width <= layout.width && a.y + a.height <= layout.height);
        }
    }

    #[test]
    fn the_svg_has_one_box_per_node_and_one_curve_per_edge_and_is_deterministic() {
        let topology = loaded(QUEUED);
        let svg = svg(&topology);
        assert_eq!(svg.matches("<g class=\"node\"").count(), topology.nodes.len());
        assert_eq!(svg.matches("<path class=\"edge\"").count(), topology.edges.len());
        assert!(svg.contains("data-from=\"queue_thumbs\" data-to=\"pool_imagers\""));
        assert!(svg.contains(">make</text>"), "the edge's label");
        assert!(!svg.contains("url("), "nothing referenced, not even a marker");
        assert_eq!(svg, super::svg(&loaded(QUEUED)));
    }

    #[test]
    fn cycles_and_self_edges_are_drawn_backwards() {
        let mut topology = Topology::default();
        for (id, kind) in [("users", "users"), ("a", "pool"), ("b", "pool")] {
            topology.nodes.push(Node {
                id: id.into(),
                kind,
                name: id.into(),
                detail: "pool".into(),
                group: None,
            });
        }
        for (from, to) in [("users", "a"), ("a", "b"), ("b", "a"), ("b", "b")] {
            topology.edges.push(Edge {
                from: from.into(),
                to: to.into(),
                label: String::new(),
            });
        }
        let layout = Layout::of(&topology);
        assert_eq!(layout.layers, [0, 1, 2]);
        let svg = layout.svg(&topology);
        assert_eq!(svg.matches("<path class=\"edge\"").count(), 4);
    }

    #[test]
    fn data_centers_are_bands_that_do_not_overlap() {
        let mut topology = Topology::default();
        let mut add = |id: &str, kind: &'static str, group: Option<&str>| {
            topology.nodes.push(Node {
                id: id.into(),
                kind,
                name: id.into(),
                detail: "a rather long description that has to wrap over several lines".into(),
                group: group.map(str::to_owned),
            })
        };
        add("users", "users", None);
        add("lb_us", "balancer", Some("dc-us (us)"));
        add("web_us", "pool", Some("dc-us (us)"));
        add("lb_eu", "balancer", Some("dc-eu (eu)"));
        add("web_eu", "pool", Some("dc-eu (eu)"));
        add("db", "database", Some("dc-us (us)"));
        for (from, to) in [
            ("users", "lb_us"),
            ("users", "lb_eu"),
            ("lb_us", "web_us"),
            ("lb_eu", "web_eu"),
            ("web_us", "db"),
            ("web_eu", "db"),
        ] {
            topology.edges.push(Edge {
                from: from.into(),
                to: to.into(),
                label: "x".into(),
            });
        }
        let layout = Layout::of(&topology);
        assert_eq!(layout.groups.len(), 2);
        let (us, eu) = (&layout.groups[0], &layout.groups[1]);
        assert!(us.y + us.height < eu.y, "bands one above the other");
        for (node, placed) in topology.nodes.iter().zip(&layout.boxes) {
            let inside = |g: &GroupBox| {
                placed.x >= g.x
                    && placed.x + placed.width <= g.x + g.width
                    && placed.y >= g.y
                    && placed.y + placed.height <= g.y + g.height
            };
            match node.group.as_deref() {
                Some("dc-us (us)") => assert!(inside(us) && !inside(eu)),
                Some(_) => assert!(inside(eu) && !inside(us)),
                None => assert!(!inside(us) && !inside(eu)),
            }
            assert!(placed.height > 2.0 * NODE_PAD + 3.0 * LINE, "the detail wraps");
        }
    }

    #[test]
    fn wrapping_keeps_words_and_breaks_long_ones() {
        assert_eq!(
            wrap("pool, 8 × m5.large, 64 workers", 12),
            ["pool, 8 ×", "m5.large, 64", "workers"]
        );
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert!(wrap("", 4).is_empty());
    }
}
