//! Bad input end to end: the real `vpsim` binary on every file of the malformed-trace
//! corpus `tests/bad_input/`, checked against `tests/bad_input/EXPECTED.tsv` (exit code
//! and a substring of stdout or stderr naming file, line and column), plus the 10 MB
//! single-line traces, which are generated here rather than committed.
//!
//! Whatever the input: never a panic (no "panicked" on stderr, never exit 101); an
//! error exit prints nothing on stdout (no half-written result); a success prints a
//! result.

mod common;

use common::{root, stderr, stdout};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const CORPUS: &str = "tests/bad_input";
/// Files of the corpus directory that are not traces.
const NOT_TRACES: [&str; 3] = ["README.md", "EXPECTED.tsv", "make_corpus.py"];

#[derive(Debug)]
struct Row {
    line: usize,
    file: String,
    command: String,
    code: i32,
    stream: String,
    want: String,
}

fn manifest() -> Vec<Row> {
    let text = std::fs::read_to_string(root().join(CORPUS).join("EXPECTED.tsv")).unwrap();
    let mut rows = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.starts_with('#') || l.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = l.split('\t').collect();
        assert_eq!(f.len(), 5, "EXPECTED.tsv line {}: 5 columns: {l:?}", i + 1);
        assert!(
            f[3] == "stdout" || f[3] == "stderr",
            "EXPECTED.tsv line {}: stream must be stdout or stderr",
            i + 1
        );
        assert!(
            !f[4].is_empty(),
            "EXPECTED.tsv line {}: empty substring",
            i + 1
        );
        rows.push(Row {
            line: i + 1,
            file: f[0].to_string(),
            command: f[1].to_string(),
            code: f[2].parse().unwrap(),
            stream: f[3].to_string(),
            want: f[4].to_string(),
        });
    }
    rows
}

/// Run `vpsim COMMAND` on `path` (relative to the crate root, or absolute) from the
/// crate root: the path goes right after the subcommand, unless the command has a `-`
/// argument, in which case the file is piped to standard input.
fn run(command: &str, path: &Path) -> Output {
    let words: Vec<&str> = command.split_whitespace().collect();
    let stdin_data = words
        .contains(&"-")
        .then(|| std::fs::read(root().join(path)).unwrap());
    let mut args: Vec<String> = vec![words[0].to_string()];
    if stdin_data.is_none() {
        args.push(path.to_str().unwrap().to_string());
    }
    args.extend(words[1..].iter().map(|w| w.to_string()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_vpsim"))
        .args(&args)
        .current_dir(root())
        .stdin(if stdin_data.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run the vpsim binary");
    if let Some(data) = stdin_data {
        let mut sink = child.stdin.take().unwrap();
        // vpsim may stop reading at the first error: a broken pipe is fine.
        let _ = sink.write_all(&data);
    }
    child.wait_with_output().unwrap()
}

/// The invariants of every run, whatever the input.
#[track_caller]
fn assert_sane(o: &Output, what: &str) {
    let err = stderr(o);
    assert!(
        !err.contains("panicked") && o.status.code() != Some(101),
        "{what}: vpsim panicked\n{err}"
    );
    assert!(o.status.code().is_some(), "{what}: killed by a signal");
}

fn corpus_files() -> BTreeSet<String> {
    std::fs::read_dir(root().join(CORPUS))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !NOT_TRACES.contains(&n.as_str()))
        .collect()
}

#[test]
fn every_corpus_file_meets_its_expectations() {
    let rows = manifest();
    let files = corpus_files();
    assert!(files.len() >= 40, "only {} corpus files", files.len());
    let listed: BTreeSet<String> = rows.iter().map(|r| r.file.clone()).collect();
    let unlisted: Vec<&String> = files.difference(&listed).collect();
    assert!(unlisted.is_empty(), "not in EXPECTED.tsv: {unlisted:?}");
    let missing: Vec<&String> = listed.difference(&files).collect();
    assert!(
        missing.is_empty(),
        "in EXPECTED.tsv but missing: {missing:?}"
    );

    // One run per (file, command); several rows may check the same run.
    let mut runs: BTreeMap<(String, String), Output> = BTreeMap::new();
    let mut failures = Vec::new();
    for r in &rows {
        let key = (r.file.clone(), r.command.clone());
        let path = PathBuf::from(CORPUS).join(&r.file);
        let o = runs.entry(key).or_insert_with(|| run(&r.command, &path));
        let what = format!(
            "EXPECTED.tsv line {}: vpsim {} on {}",
            r.line, r.command, r.file
        );
        assert_sane(o, &what);
        let (out, err) = (stdout(o), stderr(o));
        let want = r.want.replace("{path}", path.to_str().unwrap());
        let text = if r.stream == "stdout" { &out } else { &err };
        let code = o.status.code().unwrap();
        if code != r.code || !text.contains(&want) {
            failures.push(format!(
                "{what}: expected exit {} and {} containing\n    {want}\n  got exit {code}\n  --- stdout:\n{}\n  --- stderr:\n{}",
                r.code,
                r.stream,
                out.chars().take(2000).collect::<String>(),
                err.chars().take(2000).collect::<String>()
            ));
            continue;
        }
        let check = r.command.starts_with("check");
        if code == 0 {
            assert!(!out.trim().is_empty(), "{what}: exit 0 without a result");
        } else if !check {
            assert!(
                out.is_empty(),
                "{what}: an error must not leave a partial result on stdout:\n{out}"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Write `data` to a file `name` in a fresh temporary directory: (directory, file).
fn temp_trace(name: &str, data: &[u8]) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("vpsim-bad-corpus-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    (dir, p)
}

const TEN_MB: usize = 10 << 20;

/// A 10 MB line in the middle of a trace (generated here: the corpus stays small). It is
/// rejected without reading it into memory whole; `check` resynchronises after it and
/// counts the good lines on either side.
#[test]
fn ten_megabyte_line_after_the_header() {
    let mut data = b"time_ns,pid,op,file,offset,length\n0,1,open,a,,4096\n1,1,read,".to_vec();
    data.resize(data.len() + TEN_MB, b'x');
    data.extend_from_slice(b",0,4096\n2,1,read,a,0,4096\n");
    let (dir, p) = temp_trace("long_line.csv", &data);
    let shown = p.to_str().unwrap();
    let want = format!("{shown}: line 3: line longer than 1048576 bytes, starting \"1,1,read,xxx");

    let o = run("check", &p);
    assert_sane(&o, "check");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains(&want), "{out}");
    assert!(out.contains(&format!("{shown}: 1 bad line\n")), "{out}");
    let count = |key: &str| -> Option<String> {
        out.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|w| w.len() == 2 && w[0] == key)
            .map(|w| w[1].to_string())
    };
    assert_eq!(count("events").as_deref(), Some("2"), "{out}");
    assert_eq!(count("lines").as_deref(), Some("4"), "{out}");
    // The message shows 80 bytes of the line, not 10 MB.
    assert!(out.len() < 4096, "{} bytes of output", out.len());

    for cmd in ["replay", "info", "replay --model opt"] {
        let o = run(cmd, &p);
        assert_sane(&o, cmd);
        assert_eq!(o.status.code(), Some(1), "{cmd}: {}", stderr(&o));
        assert!(stderr(&o).contains(&want), "{cmd}: {}", stderr(&o));
        assert!(stdout(&o).is_empty());
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// 10 MB without a single newline, where the header should be: a fatal error on line 1.
#[test]
fn ten_megabyte_line_instead_of_a_header() {
    let (dir, p) = temp_trace("one_line.csv", &vec![b'y'; TEN_MB]);
    let shown = p.to_str().unwrap();
    let want = format!("{shown}: line 1: line longer than 1048576 bytes, starting \"yyy");
    for cmd in ["check", "replay", "info"] {
        let o = run(cmd, &p);
        assert_sane(&o, cmd);
        assert_eq!(o.status.code(), Some(1), "{cmd}: {}", stderr(&o));
        let text = if cmd == "check" {
            stdout(&o)
        } else {
            stderr(&o)
        };
        assert!(text.contains(&want), "{cmd}: {text}");
        assert!(text.len() < 4096, "{cmd}: {} bytes of output", text.len());
    }
    std::fs::remove_dir_all(dir).unwrap();
}
