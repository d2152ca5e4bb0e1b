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
            // Two other policies around the example spec, e.g. `dragonfly,fixed:pages=16,none`.
            let own = self.example.split(':').next().unwrap_or(self.example);
            let others: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| *n != own)
                .take(2)
                .collect();
            s.push_str(&format!(
                ". Repeatable, and a comma list gives several: a spec starts at each policy name and key=value elements belong to the spec before them (--{} {},{},{})",
                self.flag,
                others.first().copied().unwrap_or(own),
                self.example,
                others.get(1).copied().unwrap_or(own),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Knobs;
    use crate::policies::PolicySet;
    use crate::spec::split_specs;

    /// Each family's `--help` example list splits into three specs that all build.
    #[test]
    fn help_examples_are_valid_lists() {
        for f in [READAHEAD, CLUSTER, SYNC] {
            let h = f.help(true);
            let (_, tail) = h
                .rsplit_once(&format!("(--{} ", f.flag))
                .expect("an example");
            let example = tail.trim_end_matches(')');
            let names: Vec<&str> = (f.all)().iter().map(|p| p.name).collect();
            let specs = split_specs(example, &names).expect("the example splits");
            assert_eq!(specs.len(), 3, "{example}");
            for s in &specs {
                let d = "dragonfly";
                let (ra, cl, sy) = match f.flag {
                    "readahead" => (s.as_str(), d, d),
                    "cluster" => (d, s.as_str(), d),
                    _ => (d, d, s.as_str()),
                };
                let built = PolicySet::parse(ra, cl, sy, &mut Knobs::default());
                assert!(built.is_ok(), "--{} {s}: {:?}", f.flag, built.err());
            }
        }
    }
}
