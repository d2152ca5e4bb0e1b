//! The command line's help for the three policy flags, built from the registries so a
//! new policy shows up in `--help` without touching the CLI.

use super::PolicyInfo;

/// One policy family as the command line presents it: its flag, what it decides, its
/// registry and an example spec.
pub struct Family {
    pub flag: &'static str,
    pub what: &'static str,
    pub all: fn() -> Vec<&'static PolicyInfo>,
    pub example: &'static str,
}

pub const READAHEAD: Family = Family {
    flag: "readahead",
    what: "Read-ahead policy: how much to read when a read or a pagein misses",
    all: super::readahead::infos,
    example: "fixed:pages=16",
};
pub const CLUSTER: Family = Family {
    flag: "cluster",
    what: "Write clustering policy: how dirty blocks and pages are merged into device writes",
    all: super::cluster::infos,
    example: "contiguous:max=16",
};
pub const SYNC: Family = Family {
    flag: "sync",
    what: "Sync policy: when dirty data is written back",
    all: super::sync::infos,
    example: "linux:background=5,ratio=10",
};

impl Family {
    /// `-h` text: the spec syntax, the policy names and an example. `many` adds how
    /// `compare` takes several specs.
    pub fn help(&self, many: bool) -> String {
        let names: Vec<&str> = (self.all)().iter().map(|p| p.name).collect();
        let mut s = format!(
            "{} (dragonfly model only). SPEC is name[:key=value,...]; names: {} (default dragonfly). Example: --{} {}",
            self.what,
            names.join(", "),
            self.flag,
            self.example
        );
        if many {
            s.push_str(&format!(
                ". Repeatable, and a comma list gives several: a spec starts at each policy name and key=value elements belong to the spec before them (--{} {},{}:{}=1,{})",
                self.flag,
                names[0],
                names[1 % names.len()],
                (self.all)()[1 % names.len()].keys.first().map_or("x", |k| k.0),
                names[2 % names.len()],
            ));
        }
        s
    }

    /// `--help` text: the short help, then every policy with what it does and one
    /// line per key with its default and meaning.
    pub fn long_help(&self, many: bool) -> String {
        let mut s = self.help(many);
        s.push_str(".\n\nPolicies:");
        for p in (self.all)() {
            s.push_str(&format!("\n  {}: {}", p.name, p.help));
            for (k, d, m) in p.keys {
                s.push_str(&format!("\n      {k}={d}  {m}"));
            }
        }
        s
    }
}
