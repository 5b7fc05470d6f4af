//! A strict parser for the subset of Graphviz DOT that `capsim graph
//! --format dot` writes, so the tests check that output without Graphviz.
//!
//! It follows the grammar of <https://graphviz.org/doc/info/lang.html>:
//! `[strict] (graph|digraph) [ID] { stmt_list }`, with node, edge and
//! attribute statements, `ID = ID`, and subgraphs (`subgraph [ID] { … }`,
//! also anonymous `{ … }`); IDs are identifiers, numerals or quoted strings
//! (where the lexer turns `\"` into `"` and keeps `\\` as a pair, as
//! Graphviz's does). Outside the subset, and so errors: comments, ports,
//! HTML strings, `+` concatenation, subgraphs as edge ends. Every error
//! names the line and column; anything after the closing brace is one.

use std::collections::BTreeMap;

/// A parsed graph: statements flattened, in order.
#[derive(Debug, Default)]
pub struct Graph {
    pub directed: bool,
    pub name: Option<String>,
    /// `ID = ID` and `graph [..]` statements at the top level.
    pub attributes: BTreeMap<String, String>,
    /// `node [..]` defaults at the top level.
    pub node_defaults: BTreeMap<String, String>,
    /// `edge [..]` defaults at the top level.
    pub edge_defaults: BTreeMap<String, String>,
    /// Every node statement, in order (a node stated twice appears twice).
    pub nodes: Vec<Node>,
    /// Every edge (a chain `a -> b -> c` gives two), in order.
    pub edges: Vec<Edge>,
    /// Every subgraph, in order of their opening braces.
    pub subgraphs: Vec<Subgraph>,
}

#[derive(Debug)]
pub struct Node {
    pub id: String,
    pub attributes: BTreeMap<String, String>,
    /// The innermost named subgraph the statement is in.
    pub subgraph: Option<String>,
}

#[derive(Debug)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug)]
pub struct Subgraph {
    pub name: Option<String>,
    pub attributes: BTreeMap<String, String>,
}

impl Graph {
    /// The node statement of `id` (the first, if there are several).
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|node| node.id == id)
    }
}

/// A label's text as Graphviz shows it: `\n`, `\l` and `\r` end lines,
/// `\\` is a backslash.
pub fn label_text(escaped: &str) -> String {
    let mut text = String::new();
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            text.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'l' | 'r') => text.push('\n'),
            Some(other) => text.push(other),
            None => text.push('\\'),
        }
    }
    text
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    /// An identifier, numeral or quoted string (its value) and whether it
    /// was quoted (a quoted `node` is an ID, not a keyword).
    Id(String, bool),
    Punct(&'static str),
}

struct Lexed {
    token: Token,
    line: usize,
    column: usize,
}

const KEYWORDS: [&str; 6] = ["strict", "graph", "digraph", "node", "edge", "subgraph"];

fn lex(text: &str) -> Result<Vec<Lexed>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let (mut i, mut line, mut column) = (0, 1, 1);
    let advance = |i: &mut usize, line: &mut usize, column: &mut usize, c: char| {
        *i += 1;
        if c == '\n' {
            *line += 1;
            *column = 1;
        } else {
            *column += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let (start_line, start_column) = (line, column);
        let at = |what: &str| format!("{start_line}:{start_column}: {what}");
        if c.is_whitespace() {
            advance(&mut i, &mut line, &mut column, c);
            continue;
        }
        let token = if c == '"' {
            advance(&mut i, &mut line, &mut column, c);
            let mut value = String::new();
            loop {
                let Some(&c) = chars.get(i) else {
                    return Err(at("unterminated string"));
                };
                advance(&mut i, &mut line, &mut column, c);
                match c {
                    '"' => break,
                    '\\' => match chars.get(i) {
                        Some('"') => {
                            value.push('"');
                            advance(&mut i, &mut line, &mut column, '"');
                        }
                        Some('\\') => {
                            value.push_str("\\\\");
                            advance(&mut i, &mut line, &mut column, '\\');
                        }
                        Some('\n') => advance(&mut i, &mut line, &mut column, '\n'),
                        _ => value.push('\\'),
                    },
                    c => value.push(c),
                }
            }
            Token::Id(value, true)
        } else if c.is_ascii_alphabetic() || c == '_' || !c.is_ascii() {
            let mut value = String::new();
            while let Some(&c) = chars.get(i) {
                if !(c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii()) {
                    break;
                }
                value.push(c);
                advance(&mut i, &mut line, &mut column, c);
            }
            Token::Id(value, false)
        } else if c.is_ascii_digit()
            || c == '.'
            || (c == '-' && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit() || *n == '.'))
        {
            let mut value = String::new();
            while let Some(&c) = chars.get(i) {
                if !(c.is_ascii_digit() || c == '.' || (c == '-' && value.is_empty())) {
                    break;
                }
                value.push(c);
                advance(&mut i, &mut line, &mut column, c);
            }
            let digits = value.trim_start_matches('-');
            if digits.matches('.').count() > 1 || digits == "." {
                return Err(at(&format!("malformed numeral `{value}`")));
            }
            if chars.get(i).is_some_and(|c| c.is_ascii_alphabetic() || *c == '_') {
                return Err(at(&format!("a numeral `{value}` runs into a name")));
            }
            Token::Id(value, false)
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let punct = ["->", "--"]
                .into_iter()
                .find(|p| rest.starts_with(p))
                .or_else(|| {
                    ["{", "}", "[", "]", ";", ",", "="]
                        .into_iter()
                        .find(|p| rest.starts_with(p))
                })
                .ok_or_else(|| at(&format!("unexpected character `{c}` (outside the DOT subset)")))?;
            for c in punct.chars() {
                advance(&mut i, &mut line, &mut column, c);
            }
            Token::Punct(punct)
        };
        tokens.push(Lexed {
            token,
            line: start_line,
            column: start_column,
        });
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Lexed>,
    next: usize,
    graph: Graph,
    /// Named subgraphs enclosing the current statement.
    scopes: Vec<Option<String>>,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|lexed| &lexed.token)
    }

    fn error(&self, what: &str) -> String {
        match self.tokens.get(self.next) {
            Some(lexed) => format!("{}:{}: {what}, found {:?}", lexed.line, lexed.column, lexed.token),
            None => format!("end of input: {what}"),
        }
    }

    fn is_punct(&self, punct: &str) -> bool {
        matches!(self.peek(), Some(Token::Punct(p)) if *p == punct)
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Id(word, false)) if word.eq_ignore_ascii_case(keyword))
    }

    fn expect(&mut self, punct: &str) -> Result<(), String> {
        if self.is_punct(punct) {
            self.next += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected `{punct}`")))
        }
    }

    /// An ID: not a keyword unless quoted.
    fn id(&mut self) -> Result<String, String> {
        match self.peek() {
            Some(Token::Id(word, quoted))
                if *quoted || !KEYWORDS.iter().any(|k| word.eq_ignore_ascii_case(k)) =>
            {
                let word = word.clone();
                self.next += 1;
                Ok(word)
            }
            _ => Err(self.error("expected an ID")),
        }
    }

    fn graph(&mut self) -> Result<(), String> {
        if self.is_keyword("strict") {
            self.next += 1;
        }
        self.graph.directed = if self.is_keyword("digraph") {
            true
        } else if self.is_keyword("graph") {
            false
        } else {
            return Err(self.error("expected `graph` or `digraph`"));
        };
        self.next += 1;
        if !self.is_punct("{") {
            self.graph.name = Some(self.id()?);
        }
        self.expect("{")?;
        self.statements()?;
        self.expect("}")?;
        if self.next < self.tokens.len() {
            return Err(self.error("expected the end of input after the graph"));
        }
        Ok(())
    }

    /// Statements up to (not including) the closing `}`.
    fn statements(&mut self) -> Result<(), String> {
        while !self.is_punct("}") {
            if self.peek().is_none() {
                return Err(self.error("expected `}`"));
            }
            self.statement()?;
            if self.is_punct(";") {
                self.next += 1;
            }
        }
        Ok(())
    }

    fn statement(&mut self) -> Result<(), String> {
        for (keyword, which) in [("graph", 0), ("node", 1), ("edge", 2)] {
            if self.is_keyword(keyword) {
                self.next += 1;
                if !self.is_punct("[") {
                    return Err(self.error(&format!("expected `[` after `{keyword}`")));
                }
                let attributes = self.attribute_lists()?;
                let top = self.scopes.is_empty();
                let target = match which {
                    0 if top => &mut self.graph.attributes,
                    0 => &mut self.graph.subgraphs.last_mut().expect("inside one").attributes,
                    1 if top => &mut self.graph.node_defaults,
                    2 if top => &mut self.graph.edge_defaults,
                    _ => return Ok(()),
                };
                target.extend(attributes);
                return Ok(());
            }
        }
        if self.is_keyword("subgraph") || self.is_punct("{") {
            self.subgraph()?;
            if self.is_punct("->") || self.is_punct("--") {
                return Err(self.error("a subgraph as an edge end is outside the DOT subset"));
            }
            return Ok(());
        }
        let first = self.id()?;
        if self.is_punct("=") {
            self.next += 1;
            let value = self.id()?;
            match self.scopes.is_empty() {
                true => self.graph.attributes.insert(first, value),
                false => self
                    .graph
                    .subgraphs
                    .last_mut()
                    .expect("inside one")
                    .attributes
                    .insert(first, value),
            };
            return Ok(());
        }
        let mut ends = vec![first];
        while self.is_punct("->") || self.is_punct("--") {
            let directed = self.is_punct("->");
            if directed != self.graph.directed {
                let wanted = if self.graph.directed { "->" } else { "--" };
                return Err(self.error(&format!("this graph's edges are `{wanted}`")));
            }
            self.next += 1;
            if self.is_keyword("subgraph") || self.is_punct("{") {
                return Err(self.error("a subgraph as an edge end is outside the DOT subset"));
            }
            ends.push(self.id()?);
        }
        let attributes = if self.is_punct("[") {
            self.attribute_lists()?
        } else {
            BTreeMap::new()
        };
        if ends.len() == 1 {
            let subgraph = self.scopes.iter().rev().flatten().next().cloned();
            self.graph.nodes.push(Node {
                id: ends.pop().expect("one"),
                attributes,
                subgraph,
            });
        } else {
            for pair in ends.windows(2) {
                self.graph.edges.push(Edge {
                    from: pair[0].clone(),
                    to: pair[1].clone(),
                    attributes: attributes.clone(),
                });
            }
        }
        Ok(())
    }

    fn subgraph(&mut self) -> Result<(), String> {
        let mut name = None;
        if self.is_keyword("subgraph") {
            self.next += 1;
            if !self.is_punct("{") {
                name = Some(self.id()?);
            }
        }
        self.expect("{")?;
        self.graph.subgraphs.push(Subgraph {
            name: name.clone(),
            attributes: BTreeMap::new(),
        });
        self.scopes.push(name);
        self.statements()?;
        self.scopes.pop();
        self.expect("}")
    }

    /// One or more `[a = b, c = d; …]`.
    fn attribute_lists(&mut self) -> Result<BTreeMap<String, String>, String> {
        let mut attributes = BTreeMap::new();
        while self.is_punct("[") {
            self.next += 1;
            while !self.is_punct("]") {
                let key = self.id()?;
                self.expect("=")?;
                let value = self.id()?;
                attributes.insert(key, value);
                if self.is_punct(",") || self.is_punct(";") {
                    self.next += 1;
                    if self.is_punct("]") {
                        return Err(self.error("expected an attribute after the separator"));
                    }
                }
            }
            self.next += 1;
        }
        Ok(attributes)
    }
}

/// Parses `text` as DOT (the subset above), or says where it is malformed.
pub fn parse(text: &str) -> Result<Graph, String> {
    let mut parser = Parser {
        tokens: lex(text)?,
        next: 0,
        graph: Graph::default(),
        scopes: Vec::new(),
    };
    parser.graph()?;
    Ok(parser.graph)
}

#[test]
fn the_parser_reads_the_subset() {
    let graph = parse(
        "strict digraph g {\n  rankdir=LR;\n  node [shape=box, fontsize=11];\n  \
         subgraph \"cluster_a\" {\n    label=\"A \\\"quoted\\\"\";\n    \"x\" [label=\"x\\nline\"];\n  }\n  \
         y; x -> y -> z [label=\"two\"]\n  { w }\n}\n",
    )
    .unwrap();
    assert!(graph.directed);
    assert_eq!(graph.name.as_deref(), Some("g"));
    assert_eq!(graph.attributes["rankdir"], "LR");
    assert_eq!(graph.node_defaults["fontsize"], "11");
    assert_eq!(graph.subgraphs[0].name.as_deref(), Some("cluster_a"));
    assert_eq!(graph.subgraphs[0].attributes["label"], "A \"quoted\"");
    let x = graph.node("x").unwrap();
    assert_eq!(x.subgraph.as_deref(), Some("cluster_a"));
    assert_eq!(label_text(&x.attributes["label"]), "x\nline");
    let ids: Vec<&str> = graph.nodes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["x", "y", "w"]);
    let edges: Vec<(&str, &str)> = graph
        .edges
        .iter()
        .map(|e| (e.from.as_str(), e.to.as_str()))
        .collect();
    assert_eq!(edges, [("x", "y"), ("y", "z")]);
    assert!(graph.edges.iter().all(|e| e.attributes["label"] == "two"));
    // A backslash pair stays a pair, so a label may end in a backslash.
    let slash = parse("graph { a [label=\"ends\\\\\"] }").unwrap();
    assert_eq!(label_text(&slash.nodes[0].attributes["label"]), "ends\\");
}

#[test]
fn the_parser_rejects_malformed_dot() {
    for bad in [
        "",
        "digraph {",
        "digraph { a -> b ",
        "digraph { a -> }",
        "digraph { a -- b }",
        "graph { a -> b }",
        "digraph { \"a }",
        "digraph { a [label=] }",
        "digraph { a [label=\"x\",] }",
        "digraph { a [label \"x\"] }",
        "digraph { a [label=\"x\" }",
        "digraph { node }",
        "digraph { edge -> a }",
        "digraph { a -> b } trailing",
        "digraph { a } }",
        "digraph { subgraph { a } -> b }",
        "digraph { a:port -> b }",
        "digraph { a -> <b> }",
        "digraph { 1.2.3 }",
        "digraph { 2abc }",
        "digraph { // comment\n a }",
        "flowchart LR\n a --> b",
        "digraph { a = }",
    ] {
        assert!(parse(bad).is_err(), "accepted malformed DOT: {bad:?}");
    }
}
