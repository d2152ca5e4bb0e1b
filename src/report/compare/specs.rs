//! The specs of a comparison's configurations: as the user gave them (the rows'
//! labels, short) and in effect, every key (the block above the tables).

use super::Comparison;
use crate::report::fit::{Width, deflist};
use crate::run::{ModelKind, RunConfig};

/// The three families, in configuration order, by their `config` JSON key (also the
/// name the table shows).
const FAMILIES: [&str; 3] = ["readahead", "cluster", "sync"];

/// The families a comparison's rows differ in: the personality too when any row runs
/// `--profile linux` (whose rows have no DragonFly policies).
pub(super) fn families(c: &Comparison) -> Vec<&'static str> {
    let linux = c.rows.iter().any(|r| r.config.model == ModelKind::Linux);
    let mut v = Vec::with_capacity(4);
    if linux {
        v.push("profile");
    }
    v.extend(FAMILIES);
    v
}

/// The spec the user gave for one family of `cfg` (short, for row labels); `-` for a
/// DragonFly family of a Linux row.
pub(super) fn given_spec(cfg: &RunConfig, family: &str) -> String {
    if family == "profile" {
        return given_profile(cfg);
    }
    if cfg.model == ModelKind::Linux {
        return "-".into();
    }
    match family {
        "readahead" => cfg.readahead.clone(),
        "cluster" => cfg.cluster.clone(),
        _ => cfg.sync.clone(),
    }
}

/// The personality of `cfg` as given: `dragonfly`, or `linux` with the keys that
/// differ from the defaults (`linux:read_ahead_kb=8192`). The configuration keeps the
/// parsed keys, not their text, so a key given at its default value is not shown.
fn given_profile(cfg: &RunConfig) -> String {
    if cfg.model != ModelKind::Linux {
        return "dragonfly".into();
    }
    // The defaults through `RunConfig` (report does not use models directly).
    let defaults = RunConfig::default().linux.entries();
    let set: Vec<String> = cfg
        .linux
        .entries()
        .into_iter()
        .zip(defaults)
        .filter(|((_, v), (_, d))| v != d)
        .map(|((k, v), _)| format!("{k}={v}"))
        .collect();
    if set.is_empty() {
        "linux".into()
    } else {
        format!("linux:{}", set.join(","))
    }
}

/// The effective spec of one family, every key included, as the replay JSON's `config`
/// shows it. When the three specs do not parse together (the row then carries the
/// error) the family's spec is parsed alone, so that one bad family does not make the
/// others look different from the other rows; the given spec if even that fails.
pub(super) fn effective_spec(cfg: &RunConfig, family: &str) -> String {
    if family == "profile" {
        return match cfg.model {
            ModelKind::Linux => cfg.linux.spec(),
            _ => "dragonfly".into(),
        };
    }
    if cfg.model == ModelKind::Linux {
        return given_spec(cfg, family);
    }
    cfg.family_spec(family)
        .unwrap_or_else(|| given_spec(cfg, family))
}

/// The families whose given specs differ between rows, in [`families`] order: what
/// the rows are labelled with (`-`, a Linux row's DragonFly policies, differs from
/// nothing).
pub(super) fn varying(c: &Comparison) -> Vec<&'static str> {
    families(c)
        .into_iter()
        .filter(|f| {
            // A Linux row's `-` for a DragonFly family is no difference.
            let mut specs = c
                .rows
                .iter()
                .map(|r| given_spec(&r.config, f))
                .filter(|s| s != "-");
            let first = specs.next();
            specs.any(|s| Some(s) != first)
        })
        .collect()
}

/// The block of specs above the tables: per family each spec as given and in effect,
/// once however many rows share it (a Linux row's DragonFly families, `-`, are left
/// out). A given spec in effect differently in some rows (it cannot today: a family's
/// effective spec depends on its given one alone) is listed once per effective spec,
/// tagged with its rows.
pub(super) fn spec_block(c: &Comparison, width: Width) -> Vec<String> {
    let mut entries: Vec<(String, String, String)> = Vec::new();
    for f in families(c) {
        // (given, effective, rows) in first-seen order.
        let mut seen: Vec<(String, String, Vec<usize>)> = Vec::new();
        for (i, r) in c.rows.iter().enumerate() {
            let given = given_spec(&r.config, f);
            if given == "-" {
                continue;
            }
            let eff = effective_spec(&r.config, f);
            match seen.iter_mut().find(|(g, e, _)| *g == given && *e == eff) {
                Some((_, _, rows)) => rows.push(i),
                None => seen.push((given, eff, vec![i])),
            }
        }
        for (given, eff, rows) in &seen {
            let ambiguous = seen.iter().filter(|(g, _, _)| g == given).count() > 1;
            let term = if ambiguous {
                let tags: Vec<String> = rows.iter().map(|i| format!("#{i}")).collect();
                format!("{given} ({})", tags.join(", "))
            } else {
                given.clone()
            };
            entries.push((f.to_string(), term, eff.clone()));
        }
    }
    deflist(&entries, width)
}
