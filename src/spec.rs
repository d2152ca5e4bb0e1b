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

/// Split a flag value that may be a plain comma list (`none,linux,dragonfly`): only
/// when no element has keys; a spec with keys is taken whole.
pub fn split_list(value: &str) -> Vec<String> {
    if value.contains(':') {
        vec![value.trim().to_string()]
    } else {
        value
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    }
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
        assert_eq!(
            split_list("none,linux, dragonfly"),
            vec!["none", "linux", "dragonfly"]
        );
        assert_eq!(split_list("linux:max=64,x=1"), vec!["linux:max=64,x=1"]);
    }
}
