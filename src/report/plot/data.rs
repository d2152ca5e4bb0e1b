//! Results rows → what tells configurations apart: the varying dimensions, short
//! labels, metric names and formats (shared with the HTML report).

use super::*;

/// A row of a configuration that failed (it has a non-empty `error` cell).
pub(crate) fn failed(r: &Row) -> bool {
    r.txt("error").is_some()
}

/// A human name of a results column, for axis titles and table headers.
pub(crate) fn dim_name(col: &str) -> String {
    match col {
        "config.model" => "model".into(),
        "config.mem" => "memory".into(),
        "config.device" => "device".into(),
        "config.readahead" => "read-ahead".into(),
        "config.cluster" => "write clustering".into(),
        "config.sync" => "sync policy".into(),
        "config.unavailable" => "unavailable memory".into(),
        "config.final_sync" => "final sync".into(),
        c => match c.strip_prefix("config.knobs.") {
            Some(k) => k.to_string(),
            None => c.strip_prefix("config.").unwrap_or(c).to_string(),
        },
    }
}

/// The config columns worth labelling by, most important first.
pub(super) const PREFERRED_DIMS: [&str; 8] = [
    "config.model",
    "config.mem",
    "config.device",
    "config.readahead",
    "config.cluster",
    "config.sync",
    "config.unavailable",
    "config.final_sync",
];

/// Whether `col` takes a value not determined by the values of `chosen` (two rows
/// agree on every chosen column but differ on `col`). Used to leave out columns
/// that only restate another (`config.mem_h`, `config.derived.*`, a knob a policy
/// spec sets).
pub(super) fn adds_information(rows: &[Row], chosen: &[String], col: &str) -> bool {
    let mut seen: Vec<(Vec<String>, String)> = Vec::new();
    for r in rows {
        let key: Vec<String> = chosen
            .iter()
            .map(|c| r.txt(c).unwrap_or_default())
            .collect();
        let v = r.txt(col).unwrap_or_default();
        match seen.iter().find(|(k, _)| *k == key) {
            Some((_, v0)) if *v0 != v => return true,
            Some(_) => {}
            None => seen.push((key, v)),
        }
    }
    false
}

pub(super) fn distinct(rows: &[Row], col: &str) -> usize {
    let mut v: Vec<String> = rows.iter().filter_map(|r| r.txt(col)).collect();
    v.sort();
    v.dedup();
    v.len()
}

/// The columns that tell the configurations apart: the `dims` cells of a sweep
/// (those that vary among `rows`), or else the config columns that vary, minus those
/// that only restate another one.
pub(crate) fn varying_dims(rows: &[Row]) -> Vec<String> {
    let mut dims: Vec<String> = Vec::new();
    for r in rows {
        if let Some(d) = r.txt("dims") {
            for c in d.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                if !dims.iter().any(|x| x == c) {
                    dims.push(c.to_string());
                }
            }
        }
    }
    let dims: Vec<String> = dims.into_iter().filter(|c| distinct(rows, c) > 1).collect();
    if !dims.is_empty() {
        return dims;
    }
    let cols = crate::report::results::columns(rows);
    let mut candidates: Vec<String> = PREFERRED_DIMS
        .iter()
        .filter(|c| cols.iter().any(|x| x == *c))
        .map(|c| c.to_string())
        .collect();
    candidates.extend(
        cols.iter()
            .filter(|c| c.starts_with("config.knobs."))
            .cloned(),
    );
    let mut chosen: Vec<String> = Vec::new();
    for c in candidates {
        if distinct(rows, &c) > 1 && adds_information(rows, &chosen, &c) {
            chosen.push(c);
        }
    }
    chosen
}

/// Split a policy spec `name:k=v,k=v` into its name and parameters.
pub(super) fn split_spec(s: &str) -> (&str, Vec<&str>) {
    match s.split_once(':') {
        Some((n, rest)) => (n, rest.split(',').filter(|p| !p.is_empty()).collect()),
        None => (s, Vec::new()),
    }
}

/// The spec of a policy family (`readahead`, `cluster`, `sync`, `device`) as the
/// user wrote it, from a sweep's `config_key` (`model=…;mem=…;readahead=linux;…`).
pub(super) fn spec_from_key(r: &Row, family: &str) -> Option<String> {
    let key = r.txt("config_key")?;
    key.split(';')
        .find_map(|part| part.strip_prefix(family)?.strip_prefix('='))
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Short labels for the values of one column: sizes in binary units, and policy
/// specs as the sweep's user wrote them (from `config_key`), or else reduced to
/// their name plus the parameters that tell same-named specs apart
/// (`dragonfly:max_readahead=2M,seq_unit=16K,...` → `dragonfly`; a short spec
/// whose name is unique, like `fixed:pages=16`, is kept whole).
pub(crate) fn short_values(rows: &[Row], col: &str) -> Vec<Option<String>> {
    let vals: Vec<Option<String>> = rows.iter().map(|r| r.txt(col)).collect();
    if let Some(family) = col.strip_prefix("config.")
        && matches!(family, "readahead" | "cluster" | "sync" | "device")
        && rows
            .iter()
            .all(|r| r.txt(col).is_none() || spec_from_key(r, family).is_some())
    {
        return rows
            .iter()
            .map(|r| r.txt(col).and_then(|_| spec_from_key(r, family)))
            .collect();
    }
    if col == "config.mem" || col == "config.unavailable" {
        return rows
            .iter()
            .map(|r| match r.get(col) {
                Some(Cell::Int(i)) if *i >= 0 => Some(crate::units::format_size(*i as u64)),
                other => other.map(Cell::text),
            })
            .collect();
    }
    let is_spec = vals
        .iter()
        .flatten()
        .any(|v| v.contains(':') && v.contains('='));
    if !is_spec {
        // A bare knob value ("0") means nothing on its own: name it.
        if let Some(knob) = col.strip_prefix("config.knobs.") {
            return vals
                .into_iter()
                .map(|v| v.map(|v| format!("{knob}={v}")))
                .collect();
        }
        return vals;
    }
    let mut uniq: Vec<&String> = vals.iter().flatten().collect();
    uniq.sort();
    uniq.dedup();
    vals.iter()
        .map(|v| {
            let v = v.as_ref()?;
            let (name, params) = split_spec(v);
            let same_name: Vec<Vec<&str>> = uniq
                .iter()
                .map(|o| split_spec(o))
                .filter(|(n, _)| *n == name)
                .map(|(_, p)| p)
                .collect();
            let keep: Vec<&str> = params
                .iter()
                .copied()
                .filter(|p| !same_name.iter().all(|o| o.contains(p)))
                .collect();
            Some(if same_name.len() == 1 && v.len() <= 24 {
                v.clone()
            } else if keep.is_empty() {
                name.to_string()
            } else {
                format!("{name}:{}", keep.join(","))
            })
        })
        .collect()
}

/// A label per row from the given columns' short values, joined with " · " (rows
/// that agree on those columns get the same label: this is how lines are grouped).
pub(super) fn raw_labels(rows: &[Row], dims: &[String]) -> Vec<String> {
    let cols: Vec<Vec<Option<String>>> = dims.iter().map(|d| short_values(rows, d)).collect();
    (0..rows.len())
        .map(|i| {
            cols.iter()
                .filter_map(|c| c[i].clone())
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .collect()
}

/// A label per configuration from the given columns, unique (duplicates get their
/// `config_id`).
pub(super) fn labels_for(rows: &[Row], dims: &[String]) -> Vec<String> {
    let mut labels = raw_labels(rows, dims);
    // Nothing varies (or not for this row): say what the configuration is.
    for (i, (l, r)) in labels.iter_mut().zip(rows).enumerate() {
        if l.is_empty() {
            *l = {
                let mut parts: Vec<String> = Vec::new();
                let model = r.txt("config.model");
                if let Some(m) = model.as_deref().filter(|m| *m != "dragonfly") {
                    parts.push(m.to_string());
                }
                if let Some(Cell::Int(mem)) = r.get("config.mem") {
                    parts.push(crate::units::format_size((*mem).max(0) as u64));
                }
                for (c, name) in [
                    ("config.readahead", "read-ahead"),
                    ("config.cluster", "cluster"),
                    ("config.sync", "sync"),
                ] {
                    if let Some(v) = r.txt(c) {
                        parts.push(format!("{name} {}", split_spec(&v).0));
                    }
                }
                if !parts.is_empty() {
                    parts.join(" · ")
                } else if let Some(k) = r.txt("config_key") {
                    k
                } else {
                    format!("configuration #{i}")
                }
            };
        }
    }
    // Make duplicates distinguishable by their id.
    let dup: Vec<bool> = labels
        .iter()
        .map(|l| labels.iter().filter(|m| *m == l).count() > 1)
        .collect();
    for (i, l) in labels.iter_mut().enumerate() {
        if dup[i] {
            let id = rows[i]
                .get("config_id")
                .or_else(|| rows[i].get("config_index"))
                .map(Cell::text)
                .unwrap_or_else(|| i.to_string());
            *l = format!("{l} #{id}");
        }
    }
    labels
}

/// The successful rows of a results set and what labels them.
pub(crate) struct Prepared {
    pub rows: Vec<Row>,
    /// Each row's position among all rows (failed ones included).
    pub index: Vec<usize>,
    pub dims: Vec<String>,
    pub labels: Vec<String>,
    pub subtitle: String,
}

/// Put rows in grid order (`config_id`, or `config_index` of compare) when every row
/// has one: a sweep writes rows as configurations finish, so file order varies
/// from run to run, and plots and tables should not.
pub fn grid_order(rows: &mut [Row]) {
    for key in ["config_id", "config_index"] {
        if rows
            .iter()
            .all(|r| matches!(r.get(key), Some(Cell::Int(_))))
        {
            rows.sort_by_key(|r| match r.get(key) {
                Some(Cell::Int(i)) => *i,
                _ => i64::MAX,
            });
            return;
        }
    }
}

/// Keep the successful configurations and label them; an error when none is left.
pub(crate) fn prepare(all: &[Row]) -> Result<Prepared, String> {
    if all.is_empty() {
        return Err("the results contain no configurations".into());
    }
    let index: Vec<usize> = (0..all.len()).filter(|&i| !failed(&all[i])).collect();
    let rows: Vec<Row> = index.iter().map(|&i| all[i].clone()).collect();
    let failed = all.len() - rows.len();
    if rows.is_empty() {
        return Err(format!(
            "no successful configurations to plot (all {failed} failed)"
        ));
    }
    let dims = varying_dims(&rows);
    let labels = labels_for(&rows, &dims);
    let mut traces: Vec<String> = rows.iter().filter_map(|r| r.txt("trace.path")).collect();
    traces.dedup();
    let trace = match traces.len() {
        0 => String::new(),
        1 => format!("trace {}", traces[0]),
        n => format!("{n} traces"),
    };
    let mut subtitle = format!(
        "{}{} configuration{}",
        if trace.is_empty() {
            String::new()
        } else {
            format!("{trace} · ")
        },
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
    if failed > 0 {
        subtitle.push_str(&format!(" ({failed} failed, not shown)"));
    }
    Ok(Prepared {
        rows,
        index,
        dims,
        labels,
        subtitle,
    })
}

pub(super) fn dims_desc(dims: &[String]) -> String {
    if dims.is_empty() {
        "configuration".into()
    } else {
        format!(
            "configuration ({})",
            dims.iter()
                .map(|d| dim_name(d))
                .collect::<Vec<_>>()
                .join(" · ")
        )
    }
}

/// Resolve a metric name the way `sort_rows` does: exact column, `_` for the first
/// dot, or a unique suffix.
pub(crate) fn resolve_metric(rows: &[Row], metric: &str) -> Result<String, String> {
    let cols = crate::report::results::columns(rows);
    let numeric = |c: &String| rows.iter().any(|r| r.num(c).is_some());
    if let Some(c) = cols.iter().find(|c| *c == metric && numeric(c)) {
        return Ok(c.clone());
    }
    if let Some(c) = cols
        .iter()
        .find(|c| c.replacen('.', "_", 1) == metric && numeric(c))
    {
        return Ok(c.clone());
    }
    if let Some(c) = cols
        .iter()
        .find(|c| c.ends_with(&format!(".{metric}")) && numeric(c))
    {
        return Ok(c.clone());
    }
    Err(format!(
        "no numeric metric \"{metric}\" in the results; try device.reads, device.writes, counters.page_misses, latency_ns.read.p99"
    ))
}

pub(super) fn metric_fmt(col: &str) -> Fmt {
    if col.starts_with("latency_ns.") && !col.ends_with(".count") {
        Fmt::Ns
    } else if col.ends_with("bytes") || col.ends_with("bufspace") {
        Fmt::Bytes
    } else {
        Fmt::Count
    }
}

pub(super) fn metric_name(col: &str) -> String {
    match col {
        "device.reads" => "device reads".into(),
        "device.writes" => "device writes".into(),
        "device.read_bytes" => "bytes read from the device".into(),
        "device.write_bytes" => "bytes written to the device".into(),
        "counters.page_misses" => "page misses".into(),
        c => {
            if let Some(rest) = c.strip_prefix("latency_ns.")
                && let Some((op, p)) = rest.split_once('.')
            {
                return format!("{op} latency {p}");
            }
            c.strip_prefix("counters.").unwrap_or(c).replace('_', " ")
        }
    }
}

pub(super) fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub(super) fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
