//! Sweep axes: `--vary PATH=v1,v2,...` and `--vary PATH=start..end:step`.
//!
//! A value is override text, exactly what `--set PATH=VALUE` takes, so an
//! axis can vary any field. A range is read as decimal numbers with a unit
//! (`100/s..1000/s:100/s`, `1..8`, `0.5..2:0.5`) and stepped in exact
//! decimal arithmetic, so `0.1..0.3:0.1` gives `0.1, 0.2, 0.3` and never
//! `0.30000000000000004`; its three parts must share one unit. Each value
//! keeps the unit and the number of decimals it was written with.

/// Largest number of values on one axis, and of points in a sweep.
pub const MAX_POINTS: usize = 10_000;

/// One varied field and its values, in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Axis {
    pub path: String,
    pub values: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AxisError {
    #[error("invalid `--vary {spec}`: expected PATH=v1,v2,... or PATH=start..end:step")]
    Shape { spec: String },
    #[error("invalid `--vary {spec}`: the value list has an empty entry")]
    EmptyValue { spec: String },
    #[error("invalid `--vary {spec}`: `{part}` is not a number with an optional unit, like `100/s` or `4`")]
    NotANumber { spec: String, part: String },
    #[error(
        "invalid `--vary {spec}`: mixed units {units}; write the start, end and step of a range in one unit"
    )]
    MixedUnits { spec: String, units: String },
    #[error("invalid `--vary {spec}`: the step must be more than zero")]
    ZeroStep { spec: String },
    #[error("invalid `--vary {spec}`: the end is below the start")]
    Backwards { spec: String },
    #[error("invalid `--vary {spec}`: {count} values; an axis may have at most {MAX_POINTS}")]
    TooManyValues { spec: String, count: u128 },
    #[error("`{path}` is varied twice; give each field one `--vary`")]
    Repeated { path: String },
    #[error("the sweep has {count} points; at most {MAX_POINTS} are allowed (split it into several sweeps)")]
    TooManyPoints { count: u128 },
}

/// A decimal number `mantissa / 10^scale` followed by a unit.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Quantity {
    mantissa: i128,
    scale: u32,
    unit: String,
}

/// Splits `12.50ms` into 1250 (scale 2) and `ms`. Only plain decimals
/// (digits, at most one point, optional leading minus) are numbers here.
fn quantity(text: &str) -> Option<Quantity> {
    let text = text.trim();
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let end = body
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '.'))
        .map_or(body.len(), |(index, _)| index);
    let (number, unit) = body.split_at(end);
    // Exponents (`1e3`) are not decimals; refuse them rather than read `e3`
    // as a unit.
    let mut unit_chars = unit.chars();
    if matches!(unit_chars.next(), Some('e' | 'E'))
        && unit_chars
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '+')
    {
        return None;
    }
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() || whole.contains('.') || fraction.contains('.') || number.ends_with('.') {
        return None;
    }
    let digits = format!("{whole}{fraction}");
    if digits.len() > 30 {
        return None;
    }
    let mantissa: i128 = digits.parse().ok()?;
    Some(Quantity {
        mantissa: if negative { -mantissa } else { mantissa },
        scale: fraction.len() as u32,
        unit: unit.trim().to_owned(),
    })
}

fn rescale(quantity: &Quantity, scale: u32) -> i128 {
    quantity.mantissa * 10i128.pow(scale - quantity.scale)
}

fn format_decimal(mantissa: i128, scale: u32, unit: &str) -> String {
    let sign = if mantissa < 0 { "-" } else { "" };
    let digits = mantissa.unsigned_abs().to_string();
    if scale == 0 {
        return format!("{sign}{digits}{unit}");
    }
    let digits = format!("{digits:0>width$}", width = scale as usize + 1);
    let (whole, fraction) = digits.split_at(digits.len() - scale as usize);
    format!("{sign}{whole}.{fraction}{unit}")
}

/// Parses one `--vary` argument.
pub fn parse_axis(spec: &str) -> Result<Axis, AxisError> {
    let shape = || AxisError::Shape {
        spec: spec.to_owned(),
    };
    let (path, values) = spec.split_once('=').ok_or_else(shape)?;
    let path = path.trim();
    if path.is_empty() || values.trim().is_empty() {
        return Err(shape());
    }
    let values = if values.contains("..") && !values.contains(',') {
        range(spec, values)?
    } else {
        list(spec, values)?
    };
    Ok(Axis {
        path: path.to_owned(),
        values,
    })
}

fn list(spec: &str, values: &str) -> Result<Vec<String>, AxisError> {
    let values: Vec<String> = values.split(',').map(|value| value.trim().to_owned()).collect();
    if values.iter().any(String::is_empty) {
        return Err(AxisError::EmptyValue {
            spec: spec.to_owned(),
        });
    }
    if values.len() > MAX_POINTS {
        return Err(AxisError::TooManyValues {
            spec: spec.to_owned(),
            count: values.len() as u128,
        });
    }
    Ok(values)
}

fn range(spec: &str, text: &str) -> Result<Vec<String>, AxisError> {
    let (start, rest) = text.split_once("..").expect("checked by the caller");
    let (end, step) = match rest.rsplit_once(':') {
        Some((end, step)) => (end, Some(step)),
        None => (rest, None),
    };
    let parse = |part: &str| {
        quantity(part).ok_or_else(|| AxisError::NotANumber {
            spec: spec.to_owned(),
            part: part.trim().to_owned(),
        })
    };
    let start = parse(start)?;
    let end = parse(end)?;
    let step = match step {
        Some(step) => parse(step)?,
        None => Quantity {
            mantissa: 1,
            scale: 0,
            unit: start.unit.clone(),
        },
    };
    let units = [&start.unit, &end.unit, &step.unit];
    if units.iter().any(|unit| *unit != &start.unit) {
        let listed: Vec<String> = units
            .iter()
            .map(|unit| {
                if unit.is_empty() {
                    "(none)".to_owned()
                } else {
                    format!("`{unit}`")
                }
            })
            .collect();
        return Err(AxisError::MixedUnits {
            spec: spec.to_owned(),
            units: listed.join(", "),
        });
    }
    let scale = start.scale.max(end.scale).max(step.scale);
    let (first, last, stride) = (
        rescale(&start, scale),
        rescale(&end, scale),
        rescale(&step, scale),
    );
    if stride <= 0 {
        return Err(AxisError::ZeroStep {
            spec: spec.to_owned(),
        });
    }
    if last < first {
        return Err(AxisError::Backwards {
            spec: spec.to_owned(),
        });
    }
    let count = ((last - first) / stride) as u128 + 1;
    if count > MAX_POINTS as u128 {
        return Err(AxisError::TooManyValues {
            spec: spec.to_owned(),
            count,
        });
    }
    Ok((0..count as i128)
        .map(|i| format_decimal(first + i * stride, scale, &start.unit))
        .collect())
}

/// Parses every axis and checks the grid they make.
pub fn parse_axes(specs: &[String]) -> Result<Vec<Axis>, AxisError> {
    let mut axes: Vec<Axis> = Vec::with_capacity(specs.len());
    for spec in specs {
        let axis = parse_axis(spec)?;
        if axes.iter().any(|other| other.path == axis.path) {
            return Err(AxisError::Repeated { path: axis.path });
        }
        axes.push(axis);
    }
    let count = axes
        .iter()
        .map(|axis| axis.values.len() as u128)
        .product::<u128>();
    if count > MAX_POINTS as u128 {
        return Err(AxisError::TooManyPoints { count });
    }
    Ok(axes)
}

/// What a varied field is, for reading a sweep along it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AxisKind {
    /// The workload's arrival rate: the sweep looks for a knee.
    Load,
    /// A field that buys capacity (`capacity_knob`): the sweep looks for
    /// the smallest value that meets the SLOs.
    Capacity,
    /// Anything else (a policy, a timeout): a knee, as for load.
    Other,
}

/// The capacity fields a sweep can vary, by section and field: servers,
/// their size and threads; a database's replicas, shards, connections and
/// node size; a cache's nodes, size, capacity, connections and threads; a
/// balancer's cores and connections; an instance size's cores, speed and
/// memory. (A queue's consumers are its consumer pool's instances.)
const CAPACITY_FIELDS: [(&str, &[&str]); 5] = [
    ("pool", &["instances", "size", "workers"]),
    ("database", &["replicas", "shards", "connections", "size"]),
    ("cache", &["nodes", "size", "capacity", "connections", "threads"]),
    ("balancer", &["cores", "max_connections"]),
    ("size", &["cores", "speed", "memory"]),
];

/// Whether `path` (`pool.web.instances`) is a field that buys capacity.
pub fn capacity_knob(path: &str) -> bool {
    let parts: Vec<&str> = path.split('.').collect();
    let [section, _, field] = parts.as_slice() else {
        return false;
    };
    CAPACITY_FIELDS
        .iter()
        .any(|(known, fields)| known == section && fields.contains(field))
}

/// The kind of the varied field `path`.
pub fn kind(path: &str) -> AxisKind {
    if path.ends_with("arrivals.rate") {
        AxisKind::Load
    } else if capacity_knob(path) {
        AxisKind::Capacity
    } else {
        AxisKind::Other
    }
}

/// The values of an axis as numbers for a chart, with their shared unit,
/// when every value is a decimal in one unit (`None` otherwise).
pub fn numeric_values(axis: &Axis) -> Option<(Vec<f64>, String)> {
    let quantities: Vec<Quantity> = axis.values.iter().map(|v| quantity(v)).collect::<Option<_>>()?;
    let unit = quantities.first()?.unit.clone();
    if quantities.iter().any(|q| q.unit != unit) {
        return None;
    }
    let numbers = quantities
        .iter()
        .map(|q| q.mantissa as f64 / 10f64.powi(q.scale as i32))
        .collect();
    Some((numbers, unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(spec: &str) -> Vec<String> {
        parse_axis(spec).unwrap().values
    }

    #[test]
    fn lists_are_override_text() {
        let axis = parse_axis("pool.web.size=m5.large, m5.xlarge").unwrap();
        assert_eq!(axis.path, "pool.web.size");
        assert_eq!(axis.values, ["m5.large", "m5.xlarge"]);
        assert_eq!(values("pool.web.instances=4"), ["4"]);
    }

    #[test]
    fn ranges_keep_unit_and_decimals() {
        assert_eq!(
            values("workload.arrivals.rate=100/s..500/s:100/s"),
            ["100/s", "200/s", "300/s", "400/s", "500/s"]
        );
        assert_eq!(values("pool.web.instances=1..4"), ["1", "2", "3", "4"]);
        assert_eq!(values("x=0.1..0.3:0.1"), ["0.1", "0.2", "0.3"]);
        assert_eq!(values("x=0.5..2:0.5"), ["0.5", "1.0", "1.5", "2.0"]);
        assert_eq!(
            values("x=1ms..2ms:0.25ms"),
            ["1.00ms", "1.25ms", "1.50ms", "1.75ms", "2.00ms"]
        );
        // The end is included only when a step lands on it.
        assert_eq!(values("x=1..6:2"), ["1", "3", "5"]);
        assert_eq!(values("x=-1..1"), ["-1", "0", "1"]);
    }

    #[test]
    fn mixed_units_are_rejected_by_name() {
        let error = parse_axis("workload.arrivals.rate=100/s..1k/s:100/s").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid `--vary workload.arrivals.rate=100/s..1k/s:100/s`: mixed units `/s`, `k/s`, `/s`; \
             write the start, end and step of a range in one unit"
        );
        assert!(matches!(
            parse_axis("x=1..5ms:1ms"),
            Err(AxisError::MixedUnits { .. })
        ));
    }

    #[test]
    fn bad_axes_say_why() {
        let message = |spec: &str| parse_axis(spec).unwrap_err().to_string();
        assert!(message("pool.web.instances").contains("expected PATH=v1,v2"));
        assert!(message("=1,2").contains("expected PATH=v1,v2"));
        assert!(message("x=1,,2").contains("empty entry"));
        assert!(message("x=a..b").contains("`a` is not a number"));
        assert!(message("x=1e3..2e3:1").contains("is not a number"));
        assert!(message("x=1..5:0").contains("step must be more than zero"));
        assert!(message("x=5..1").contains("end is below the start"));
        assert!(message("x=0..1000000").contains("at most 10000"));
        let twice = parse_axes(&["x=1,2".into(), "x=3".into()]).unwrap_err();
        assert_eq!(
            twice.to_string(),
            "`x` is varied twice; give each field one `--vary`"
        );
        let grid = parse_axes(&["x=1..200".into(), "y=1..200".into()]).unwrap_err();
        assert!(grid.to_string().contains("40000 points"));
    }

    #[test]
    fn capacity_knobs_are_told_from_load() {
        assert_eq!(kind("workload.arrivals.rate"), AxisKind::Load);
        for path in [
            "pool.web.instances",
            "pool.web.size",
            "database.db.replicas",
            "database.db.connections",
            "cache.sessions.nodes",
            "balancer.lb.cores",
            "size.big.cores",
        ] {
            assert_eq!(kind(path), AxisKind::Capacity, "{path}");
        }
        for path in [
            "pool.web.concurrency",
            "balancer.lb.policy",
            "pool.web.endpoint.x.service",
            "instances",
        ] {
            assert_eq!(kind(path), AxisKind::Other, "{path}");
        }
    }

    #[test]
    fn numeric_values_for_charts() {
        let axis = parse_axis("r=100/s..300/s:100/s").unwrap();
        assert_eq!(
            numeric_values(&axis),
            Some((vec![100.0, 200.0, 300.0], "/s".to_owned()))
        );
        let sizes = parse_axis("pool.web.size=m5.large,m5.xlarge").unwrap();
        assert_eq!(numeric_values(&sizes), None);
        let mixed = parse_axis("r=100/s,1k/s").unwrap();
        assert_eq!(numeric_values(&mixed), None);
    }
}
