//! Spec strings `name[:key=value,...]`: how policies (and workloads) are named on the
//! command line. The parser sits below the policies and the workload generators so
//! that both can use it without depending on each other.

/// A parsed spec string: the policy name and its `key=value` settings, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    pub name: String,
    pub params: Vec<(String, String)>,
}

impl Spec {
    /// Parse `name[:key=value,...]`.
    pub fn parse(s: &str) -> Result<Spec, String> {
        let s = s.trim();
        let (name, rest) = match s.split_once(':') {
            Some((n, r)) => (n.trim(), Some(r)),
            None => (s, None),
        };
        if name.is_empty() {
            return Err(format!("empty policy name in \"{s}\""));
        }
        let mut params = Vec::new();
        if let Some(rest) = rest {
            for kv in rest.split(',').filter(|x| !x.trim().is_empty()) {
                let Some((k, v)) = kv.split_once('=') else {
                    return Err(format!("\"{kv}\" in \"{s}\" is not key=value"));
                };
                params.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        Ok(Spec {
            name: name.to_string(),
            params,
        })
    }

    /// The canonical form: `name` or `name:k=v,...`.
    pub fn render(name: &str, params: &[(&'static str, String)]) -> String {
        if params.is_empty() {
            return name.to_string();
        }
        let kv: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{name}:{}", kv.join(","))
    }
}

/// Split a comma list of specs the way people read it: every element that is not
/// `key=value` starts a new spec (`none`, `linux`, `fixed:pages=16`; an unknown name
/// too, so its own error names the valid ones), and a `key=value` element belongs to
/// the spec before it. So `none,fixed:pages=16,linux` is three specs and
/// `linux:background=5,ratio=10,periodic` two. `names` are the family's registered
/// names: a `key=value` before any spec, or one whose key is itself a name, is
/// ambiguous, and the error shows how the list was split.
pub fn split_specs(value: &str, names: &[&str]) -> Result<Vec<String>, String> {
    let mut specs: Vec<String> = Vec::new();
    for e in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let key_value = match e.split_once('=') {
            Some((k, _)) => !k.contains(':'),
            None => false,
        };
        if !key_value {
            specs.push(e.to_string());
            continue;
        }
        let key = e.split_once('=').map_or(e, |(k, _)| k.trim());
        match specs.last_mut() {
            Some(last) if !names.contains(&key) => {
                last.push(if last.contains(':') { ',' } else { ':' });
                last.push_str(e);
            }
            _ => {
                let shown: Vec<String> = specs.iter().map(|s| format!("\"{s}\"")).collect();
                return Err(format!(
                    "\"{e}\" in \"{value}\" belongs to no spec (a spec starts with one of: {}); split so far: [{}]",
                    names.join(", "),
                    shown.join(", ")
                ));
            }
        }
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_parsing() {
        let s = Spec::parse("linux:max=64, background=10").unwrap();
        assert_eq!(s.name, "linux");
        assert_eq!(
            s.params,
            vec![
                ("max".into(), "64".into()),
                ("background".into(), "10".into())
            ]
        );
        assert_eq!(Spec::parse("none").unwrap().params, vec![]);
        assert!(Spec::parse("fixed:pages").is_err());
        assert!(Spec::parse(":x=1").is_err());
    }

    /// The issue-18 examples: specs split where a policy name starts one.
    #[test]
    fn lists_split_where_a_spec_starts() {
        let names = ["none", "fixed", "linux", "dragonfly", "periodic"];
        let split = |v: &str| split_specs(v, &names);
        assert_eq!(
            split("none,fixed:pages=16,linux,dragonfly").unwrap(),
            ["none", "fixed:pages=16", "linux", "dragonfly"]
        );
        assert_eq!(
            split("linux:background=5,ratio=10,periodic").unwrap(),
            ["linux:background=5,ratio=10", "periodic"]
        );
        assert_eq!(
            split("none,linux, dragonfly").unwrap(),
            ["none", "linux", "dragonfly"]
        );
        assert_eq!(split("linux:max=64,x=1").unwrap(), ["linux:max=64,x=1"]);
        // A key after a bare name gives that name its keys.
        assert_eq!(
            split("fixed,pages=8,none").unwrap(),
            ["fixed:pages=8", "none"]
        );
        // An unknown name still starts a spec (its parser names the valid ones).
        assert_eq!(
            split("fixd:pages=8,none").unwrap(),
            ["fixd:pages=8", "none"]
        );
        let e = split("pages=8,none").unwrap_err();
        assert!(
            e.contains("\"pages=8\" in \"pages=8,none\" belongs to no spec"),
            "{e}"
        );
        assert!(e.contains("split so far: []"), "{e}");
        let e = split("none,linux=3").unwrap_err();
        assert!(e.contains("split so far: [\"none\"]"), "{e}");
    }
}
