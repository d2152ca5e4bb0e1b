//! The sweep grid as a TOML file, e.g.
//!
//! ```toml
//! mem = ["64M", "256M"]
//! device = ["ssd", "hdd"]
//! readahead = ["none", "linux:max=64"]
//! model = ["dragonfly", "lru"]
//! profile = ["dragonfly", "linux:read_ahead_kb=512"]
//! final_sync = true
//! [set]
//! "vm.prefault_pages" = "0"
//! [set_grid]
//! "vfs.max_readahead" = ["0", "2M"]
//! ```
//!
//! Decoded by serde into [`GridFile`] (`deny_unknown_fields`: a misspelt key is an
//! error listing the valid ones, with the line and column the toml crate reports);
//! values that parse but do not make sense (a bad size, an unknown model) are errors
//! naming the key and its line too.

use super::Grid;
use crate::run::ModelKind;
use crate::units::parse_size;
use serde::Deserialize;
use toml::Spanned;

/// A scalar the file may give where a string is meant (`mem = 1024` is fine).
#[derive(Deserialize, Debug)]
#[serde(untagged)]
enum Scalar {
    Str(String),
    Int(i64),
}

/// One value or a list of them.
#[derive(Deserialize, Debug)]
#[serde(untagged)]
enum OneOrMany {
    One(Scalar),
    Many(Vec<Scalar>),
}

impl OneOrMany {
    fn strings(self) -> Vec<String> {
        let text = |s: Scalar| match s {
            Scalar::Str(s) => s,
            Scalar::Int(i) => i.to_string(),
        };
        match self {
            OneOrMany::One(s) => vec![text(s)],
            OneOrMany::Many(v) => v.into_iter().map(text).collect(),
        }
    }
}

type Field = Option<Spanned<OneOrMany>>;

/// The keys a grid file may hold.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct GridFile {
    model: Field,
    profile: Field,
    mem: Field,
    device: Field,
    readahead: Field,
    cluster: Field,
    sync: Field,
    unavailable: Field,
    final_sync: Option<bool>,
    /// Knobs fixed for every configuration.
    set: Option<toml::Table>,
    /// Knob dimensions, in key order (the toml crate's table sorts its keys): the
    /// order of the grid's dimensions, so of its configuration ids.
    set_grid: Option<toml::Table>,
}

/// "line L, column C" of byte offset `at` in `text`.
fn place(text: &str, at: usize) -> String {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {column}")
}

/// The strings of a field, and a function naming its place for errors.
fn field(text: &str, key: &str, f: Field) -> Option<(Vec<String>, String)> {
    f.map(|s| {
        let at = format!("grid file: {key} ({})", place(text, s.span().start));
        (s.into_inner().strings(), at)
    })
}

/// The values of one `[set]` or `[set_grid]` entry as strings.
fn table_values(key: &str, v: toml::Value) -> Result<Vec<String>, String> {
    OneOrMany::deserialize(v)
        .map(OneOrMany::strings)
        .map_err(|e| format!("grid file: {key}: expected a string or a list of strings ({e})"))
}

/// Decode a grid file; flags given as well add to it afterwards.
pub fn parse(text: &str) -> Result<Grid, String> {
    let f: GridFile = toml::from_str(text).map_err(|e| format!("grid file: {e}"))?;
    let mut g = Grid::default();
    if let Some((v, at)) = field(text, "model", f.model) {
        g.models = v
            .iter()
            .map(|m| ModelKind::parse(m))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{at}: {e}"))?;
    }
    if let Some((v, _)) = field(text, "profile", f.profile) {
        g.profiles = v;
    }
    if let Some((v, at)) = field(text, "mem", f.mem) {
        g.mems = v
            .iter()
            .map(|m| parse_size(m))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{at}: {e}"))?;
    }
    for (key, value, dst) in [
        ("device", f.device, &mut g.devices),
        ("readahead", f.readahead, &mut g.readahead),
        ("cluster", f.cluster, &mut g.cluster),
        ("sync", f.sync, &mut g.sync),
    ] {
        if let Some((v, at)) = field(text, key, value) {
            // An element may be a comma list, split as the flags split it.
            *dst = crate::run::config::split_family(key, &v).map_err(|e| format!("{at}: {e}"))?;
        }
    }
    if let Some((v, at)) = field(text, "unavailable", f.unavailable) {
        g.unavailable = parse_size(&v.join("")).map_err(|e| format!("{at}: {e}"))?;
    }
    if let Some(b) = f.final_sync {
        g.final_sync = b;
    }
    for (k, v) in f.set.unwrap_or_default() {
        for s in table_values(&k, v)? {
            g.fixed_sets.push(format!("{k}={s}"));
        }
    }
    for (k, v) in f.set_grid.unwrap_or_default() {
        let vals = table_values(&k, v)?;
        g.knob_dims.push((k, vals));
    }
    g.validate()?;
    Ok(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A misspelt key names itself, the valid keys and where it is; a bad value names
    /// its key and line; [set_grid] dimensions come in key order whatever the file's
    /// order (as they always have: configuration ids of old grid files stay valid).
    #[test]
    fn errors_say_where_and_order_is_kept() {
        let e = parse("mem = \"64M\"\nreadahed = [\"none\"]\n").unwrap_err();
        assert!(
            e.contains("line 2") && e.contains("readahed") && e.contains("readahead"),
            "{e}"
        );
        let e = parse("device = \"ssd\"\nmem = [\"64M\", \"64Q\"]\n").unwrap_err();
        assert!(e.starts_with("grid file: mem (line 2, column 7): "), "{e}");
        let e = parse("model = \"lru\"\nmodel = \"opt\"\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        let g = parse(
            "mem = 1073741824\n[set_grid]\n\"vfs.write_behind\" = [\"0\", \"1\"]\n\"vfs.max_readahead\" = [\"0\", \"2M\"]\n",
        )
        .unwrap();
        assert_eq!(g.mems, [1 << 30]);
        let dims: Vec<&str> = g.knob_dims.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(dims, ["vfs.max_readahead", "vfs.write_behind"]);
    }
}
