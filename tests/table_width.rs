//! The `compare` and `sweep` tables of the README's examples fit 100 columns, and
//! `--wide` keeps every table whole (issue 19.4). The commands are read from
//! README.md itself (every `` `vpsim compare traces/...` `` and `` `vpsim sweep
//! traces/...` `` span), so an example added there is checked here; the `--profile`
//! examples, which the README gives as flags only, are added by hand.

mod common;

use common::{assert_code, root, stdout, vpsim};
use std::path::Path;

/// The README's runnable compare and sweep commands, as argument lists without the
/// leading `vpsim`.
fn readme_commands() -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let mut cmds = Vec::new();
    for span in text.split('`').skip(1).step_by(2) {
        let words: Vec<String> = span.split_whitespace().map(String::from).collect();
        let runnable = words.len() > 2
            && words[0] == "vpsim"
            && (words[1] == "compare" || words[1] == "sweep")
            && words[2].starts_with("traces/");
        if runnable {
            cmds.push(words[1..].to_vec());
        }
    }
    cmds
}

/// Run `args`, expecting exit 0; `--output` goes to `dir`, `--plots` is left out
/// (it changes no printed byte and costs the most time in a debug build).
fn run(args: &[String], dir: &Path) -> String {
    let mut a: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "--plots" => {
                it.next();
            }
            "--output" | "-o" => {
                let name = it.next().map_or("out", String::as_str);
                a.push(w.clone());
                a.push(dir.join(name).to_string_lossy().into_owned());
            }
            _ => a.push(w.clone()),
        }
    }
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let o = vpsim(&refs);
    assert_code(&o, 0);
    stdout(&o)
}

#[track_caller]
fn fits(cmd: &str, t: &str) {
    for l in t.lines() {
        assert!(
            l.chars().count() <= 100,
            "{cmd}: a line of {} columns:\n{l}\n--- the output:\n{t}",
            l.chars().count()
        );
    }
}

/// The four compare tables' headings, each on one line in --wide.
const COMPARE_HEADS: [(&str, &[&str]); 4] = [
    (
        "device I/O",
        &["reads", "read bytes", "writes", "write bytes"],
    ),
    (
        "pager",
        &["v_vnodein", "v_vnodepgsin", "v_vnodeout", "v_vnodepgsout"],
    ),
    ("page cache", &["page hits", "page misses", "RA accuracy"]),
    ("p99 latency (us)", &["read", "fault", "write", "fsync"]),
];

/// `--wide` compare: each table once, whole — its heading line holds every column,
/// and each configuration has one line in it.
#[track_caller]
fn compare_wide_is_whole(cmd: &str, t: &str, configs: usize) {
    assert!(!t.contains("(cont.)"), "{cmd} --wide split a table:\n{t}");
    for (title, cols) in COMPARE_HEADS {
        let heads: Vec<&str> = t.lines().filter(|l| l.starts_with(title)).collect();
        assert_eq!(heads.len(), 1, "{cmd} --wide: table {title}:\n{t}");
        for c in cols {
            assert!(
                heads[0].contains(c),
                "{cmd} --wide: {title} lacks {c}:\n{t}"
            );
        }
    }
    for i in 0..configs {
        let n = t
            .lines()
            .filter(|l| l.starts_with(&format!("#{i} ")))
            .count();
        assert_eq!(
            n, 4,
            "{cmd} --wide: #{i} should have one line per table:\n{t}"
        );
    }
}

/// How many configurations a compare printed (`N configurations; ...`).
fn configs_of(t: &str) -> usize {
    t.lines()
        .find_map(|l| l.strip_suffix(" configurations; changes in % are against #0"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn readme_compare_and_sweep_examples_fit_100_columns_and_wide_keeps_all() {
    let dir = std::env::temp_dir().join(format!("vpsim-table-width-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut cmds = readme_commands();
    assert!(
        cmds.iter().filter(|c| c[0] == "compare").count() >= 2
            && cmds.iter().any(|c| c[0] == "sweep"),
        "the README's examples were not found: {cmds:?}"
    );
    let extra = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
    cmds.push(extra(
        "compare traces/pyio.events.csv.zst --profile dragonfly --profile linux \
         --profile linux:read_ahead_kb=8192 --mem 64M",
    ));
    cmds.push(extra(
        "sweep traces/pyio.events.csv.zst --profile dragonfly --profile linux \
         --profile linux:read_ahead_kb=8192 --mem 64M,1G",
    ));
    for (k, args) in cmds.iter().enumerate() {
        let cmd = format!("vpsim {}", args.join(" "));
        let sub = dir.join(k.to_string());
        std::fs::create_dir_all(&sub).expect("temp dir");
        let mut args = args.clone();
        if args[0] == "sweep" && !args.iter().any(|a| a == "--output") {
            args.extend(["--output".into(), "results.parquet".into()]);
        }
        args.extend(["--jobs".into(), "2".into()]);
        let t = run(&args, &sub);
        fits(&cmd, &t);
        if args[0] == "compare" {
            let n = configs_of(&t);
            assert!(n >= 3, "{cmd}: {n} configurations?\n{t}");
            // Every row labelled with its given specs: #N and something after it.
            assert!(
                t.lines().any(|l| l.starts_with(&format!("#{} ", n - 1))),
                "{t}"
            );
            args.push("--wide".into());
            compare_wide_is_whole(&cmd, &run(&args, &sub), n);
        } else {
            // --resume of the finished sweep prints its table without replaying.
            args.extend(["--resume".into(), "--wide".into()]);
            let w = run(&args, &sub);
            let n: usize = w
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            assert!(n >= 6, "{cmd} --wide: {n} configurations?\n{w}");
            let head = w
                .lines()
                .find(|l| l.starts_with("id "))
                .unwrap_or_else(|| panic!("{cmd} --wide: no heading:\n{w}"));
            for m in ["reads", "bytes", "writes", "misses", "us"] {
                assert!(head.contains(m), "{cmd} --wide: heading lacks {m}:\n{w}");
            }
            let after: Vec<&str> = w.lines().skip_while(|l| !l.starts_with("id ")).collect();
            assert_eq!(after.len(), 1 + n, "{cmd} --wide: one line a row:\n{w}");
            assert_eq!(w.matches("\nid ").count(), 1, "{cmd} --wide split:\n{w}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
