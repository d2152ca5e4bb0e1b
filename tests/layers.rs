//! The library's layers point one way: trace → engine → stats → report, with
//! policies and models as plug-ins over small shared types (`stats`, `device`,
//! `params`, `model`, `spec`). This test reads `src/` and fails if a top-level module
//! uses one it may not — a back-edge such as `policies → engine` or `engine → models`
//! — or if the modules' uses form a cycle. A new edge that is right goes into
//! `ALLOWED` on purpose, never by accident.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module and the modules it may use (`crate::X`).
const ALLOWED: &[(&str, &[&str])] = &[
    ("units", &[]),
    ("atomic", &[]),
    ("chunkmap", &[]),
    ("interrupt", &[]),
    ("progress", &[]),
    ("trace", &["atomic", "units", "interrupt"]),
    ("spec", &[]),
    ("params", &["units"]),
    ("stats", &["trace", "units"]),
    ("device", &["stats", "units"]),
    // The Model trait hands out its simulated disk for --io-log (device is below it).
    ("model", &["device", "stats", "trace"]),
    // Plug-ins: only the shared types below them, never the engine or each other.
    ("policies", &["params", "spec", "units"]),
    (
        "models",
        &[
            "chunkmap", "device", "model", "params", "stats", "trace", "units",
        ],
    ),
    ("workloads", &["spec", "trace", "units"]),
    ("import", &["trace", "units", "interrupt"]),
    // The DragonFly kernel model: its policies, never the other models.
    (
        "engine",
        &[
            "chunkmap", "device", "model", "params", "policies", "stats", "trace", "units",
        ],
    ),
    // Composition and results.
    (
        "run",
        &[
            "device",
            "engine",
            "interrupt",
            "model",
            "models",
            "params",
            "policies",
            "spec",
            "stats",
            "trace",
            "units",
        ],
    ),
    ("error", &["interrupt", "run", "trace"]),
    (
        "info",
        &[
            "device", "model", "models", "params", "stats", "trace", "units",
        ],
    ),
    (
        "report",
        &[
            "atomic", "device", "info", "params", "run", "stats", "trace", "units",
        ],
    ),
    (
        "sweep",
        &[
            "device", "models", "params", "report", "run", "spec", "stats", "units",
        ],
    ),
    // The commands' flows, over everything else; nothing uses them but the binary.
    (
        "app",
        &[
            "atomic",
            "error",
            "import",
            "interrupt",
            "progress",
            "report",
            "run",
            "sweep",
            "trace",
            "units",
            "workloads",
        ],
    ),
];

/// The top-level module a source file belongs to (`src/engine/ffs.rs` → `engine`).
fn module_of(rel: &Path) -> Option<String> {
    let first = rel
        .components()
        .next()?
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    let m = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (m != "lib" && m != "bin").then_some(m)
}

/// Every `crate::X` a source file's code (not its comments) names.
fn uses(text: &str, known: &BTreeSet<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            // `crate::{a, b::c}` names several.
            let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                group[..end]
                    .split(',')
                    .map(|x| x.trim().split("::").next().unwrap_or(""))
                    .collect()
            } else {
                vec![
                    rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                        .unwrap_or(""),
                ]
            };
            for n in names {
                if known.contains(n) {
                    out.insert(n.to_string());
                }
            }
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src").flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Module → modules it uses, read from `src/`.
fn edges() -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let src = common::root().join("src");
    let known: BTreeSet<&str> = ALLOWED.iter().map(|(m, _)| *m).collect();
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut e: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).expect("under src").to_path_buf();
        let Some(m) = module_of(&rel) else { continue };
        let text = std::fs::read_to_string(&f).expect("read source");
        for u in uses(&text, &known) {
            if u != m {
                e.entry(m.clone())
                    .or_default()
                    .entry(u)
                    .or_default()
                    .push(rel.display().to_string());
            }
        }
    }
    e
}

#[test]
fn every_module_is_listed_and_uses_only_what_it_may() {
    let src = common::root().join("src");
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    // Every top-level module has a row (a new one must say what it may use).
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    for line in lib.lines() {
        if let Some(m) = line.trim().strip_prefix("pub mod ") {
            let m = m.trim_end_matches(';');
            assert!(
                allowed.contains_key(m),
                "module {m} is missing from ALLOWED"
            );
        }
    }
    let mut bad = Vec::new();
    for (m, us) in edges() {
        let ok = allowed.get(m.as_str()).copied().unwrap_or(&[]);
        for (u, files) in us {
            if !ok.contains(&u.as_str()) {
                bad.push(format!("{m} → {u} (in {})", files.join(", ")));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "uses against the layering:\n{}",
        bad.join("\n")
    );
}

#[test]
fn modules_form_no_cycle() {
    let e = edges();
    // Depth-first search for a back edge.
    fn visit<'a>(
        n: &'a str,
        e: &'a BTreeMap<String, BTreeMap<String, Vec<String>>>,
        state: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
    ) -> Option<String> {
        match state.get(n) {
            Some(1) => return Some(format!("{} → {n}", path.join(" → "))),
            Some(2) => return None,
            _ => {}
        }
        state.insert(n, 1);
        path.push(n);
        if let Some(us) = e.get(n) {
            for u in us.keys() {
                if let Some(c) = visit(u, e, state, path) {
                    return Some(c);
                }
            }
        }
        path.pop();
        state.insert(n, 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in e.keys() {
        let mut path = Vec::new();
        if let Some(c) = visit(m, &e, &mut state, &mut path) {
            panic!("dependency cycle: {c}");
        }
    }
}

/// The scanner sees what it must: a back-edge written in any of the forms Rust allows
/// is found, one in a comment is not.
#[test]
fn the_scanner_finds_back_edges_in_every_form() {
    let known: BTreeSet<&str> = ["engine", "params", "models"].into_iter().collect();
    let found = uses(
        "use crate::engine::params::Knobs;\nlet x = crate::models::Lru::new();\n\
         use crate::{params, engine::stats};\n// crate::models in a comment\n",
        &known,
    );
    let want: BTreeSet<String> = ["engine", "models", "params"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(found, want);
    let none = uses("/// see [`crate::engine`]\n", &known);
    assert!(none.is_empty());
}
