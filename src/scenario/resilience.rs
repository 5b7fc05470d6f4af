//! The keys of the resilience mechanisms that live on a call step or an
//! endpoint: a call's `hedge`. Declared here, with their own kinds, so the
//! section declarations in `types.rs` hold one line each.

use schemars::{JsonSchema, SchemaGenerator};
use serde_json::Value;

use super::parse::Cx;
use super::reader::Node;
use super::section::{self, Kind, section};
use super::units::format_duration;
use super::words::words;
use crate::engine::SimDuration;

/// When a hedged call sends its extra attempt.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HedgeAfter {
    /// A fixed delay.
    Fixed(SimDuration),
    /// This percentile (0–100, exclusive) of the callee endpoint's `service`
    /// distribution, on the callee pool's size.
    Percentile(f64),
}

words! {
    /// What becomes of a hedged call's losing attempt.
    pub enum Loser {
        /// It stops at its next step (a loser still queued never starts); what it did is wasted.
        Cancel = "cancel",
        /// It runs to its end; all its work is wasted.
        Waste = "waste",
    }
}

section! {
    /// `hedge`: after a delay without a reply, send another attempt; the first reply wins.
    #[derive(Copy)]
    pub struct Hedge {
        /// `"p95"` (that percentile of the callee endpoint's `service` distribution, divided by
        /// its pool's size speed: a delay fixed at load) or a duration (`"20ms"`).
        after: HedgeAfter = required("\"p95\" or \"20ms\""), HedgeDelay;
        /// Extra attempts at most: the k-th goes `k` × `after` after the attempt it hedges.
        max: u32 = default(1), section::Count32 { min: 1, max: 3 };
        /// `cancel`: the losing attempt stops at its next step; `waste`: it runs to its end.
        loser: Loser = default(Loser::Cancel), section::word::<Loser>();
    }
}

impl section::Inline for Hedge {
    fn read_inline(cx: &mut Cx, node: &Node) -> Option<Self> {
        Hedge::read(cx, node)
    }

    fn dump_inline(&self) -> String {
        Hedge::dump_inline(self)
    }
}

section! {
    /// `rate_limit`: a token bucket.
    #[derive(Copy)]
    pub struct RateLimit {
        /// Tokens gained per second: the sustained rate allowed.
        rate: f64 = required("\"500/s\""), section::Rate;
        /// Tokens the bucket holds at most (it starts full): the burst allowed.
        burst: u32 = required("100"), section::Count32 { min: 1, max: 100_000_000 };
    }
}

impl section::Inline for RateLimit {
    fn read_inline(cx: &mut Cx, node: &Node) -> Option<Self> {
        RateLimit::read(cx, node)
    }

    fn dump_inline(&self) -> String {
        RateLimit::dump_inline(self)
    }
}

/// `"p95"`, `"p99.9"` or a duration longer than zero.
pub(crate) struct HedgeDelay;

/// The schema of a hedge's `after`.
#[derive(JsonSchema)]
#[schemars(untagged)]
#[allow(dead_code)]
pub enum HedgeAfterSchema {
    /// A percentile of the callee's service distribution.
    Percentile(PercentileText),
    /// A fixed delay.
    After(super::schema::units::Duration),
}

/// `p` and a percentile (`p95`, `p99.9`).
#[derive(JsonSchema)]
#[schemars(transparent)]
#[allow(dead_code)]
pub struct PercentileText(#[schemars(regex(pattern = r"^p[0-9]+(\.[0-9]+)?$"))] String);

impl Kind for HedgeDelay {
    type Value = HedgeAfter;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<HedgeAfter> {
        if let toml::de::DeValue::String(text) = node.value
            && let Some(number) = text.strip_prefix('p')
        {
            return match number.parse::<f64>() {
                Ok(percentile) if percentile > 0.0 && percentile < 100.0 => {
                    Some(HedgeAfter::Percentile(percentile))
                }
                _ => {
                    cx.reader.invalid(
                        node,
                        format!("invalid percentile for `{}`: `{text}`", node.key()),
                        Some("a percentile above 0 and below 100, such as \"p95\" or \"p99.9\"".to_owned()),
                    );
                    None
                }
            };
        }
        cx.reader.positive_duration(node).map(HedgeAfter::Fixed)
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        generator.subschema_for::<HedgeAfterSchema>().to_value()
    }

    fn toml(&self, value: &HedgeAfter) -> String {
        let text = match value {
            HedgeAfter::Fixed(delay) => format_duration(*delay),
            HedgeAfter::Percentile(percentile) => format!("p{percentile}"),
        };
        toml::Value::String(text).to_string()
    }
}
