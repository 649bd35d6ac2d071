//! `NAME:bucket/prefix`, `NAME:`, `:s3,region=us-east-2:bucket/p` and plain local paths, parsed
//! the way rclone parses them.

use std::fmt;

/// Which remote a path refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteRef {
    /// A configured remote, maybe with connection-string overrides (`name,key=value:`).
    Named(String),
    /// An on-the-fly backend (`:s3,key=value:`).
    Backend(String),
    /// A local path (no `NAME:`).
    Local,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePath {
    pub remote: RemoteRef,
    /// `key=value` pairs from a connection string, in order.
    pub params: Vec<(String, String)>,
    /// What follows the colon (or the whole local path).
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("remote path {input:?}: {message}")]
pub struct ParseError {
    pub input: String,
    pub message: String,
}

/// `input` as it may appear in a message: connection-string parameters (which may hold keys)
/// replaced by `…`, whether or not the input parses. `:s3,secret_access_key=X:bucket/p` →
/// `:s3,…:bucket/p`.
pub fn redact_input(input: &str) -> String {
    let (lead, rest) = match input.strip_prefix(':') {
        Some(r) => (":", r),
        None => ("", input),
    };
    let Some(comma) = rest.find(',') else {
        return input.to_string();
    };
    let name = &rest[..comma];
    // A local path with a comma in it (`/data/a,b`) has no parameters.
    if name.contains(['/', '\\', ':']) || (lead.is_empty() && !is_remote_name(name)) {
        return input.to_string();
    }
    match split_head(rest) {
        Some((_, path)) => format!("{lead}{name},…:{path}"),
        None => format!("{lead}{name},…"),
    }
}

impl RemotePath {
    pub fn parse(input: &str) -> Result<RemotePath, ParseError> {
        // Never the raw input in an error: it may carry keys in its parameters.
        let err = |message: &str| ParseError {
            input: redact_input(input),
            message: message.to_string(),
        };
        if input.is_empty() {
            return Err(err("empty path"));
        }
        if let Some(rest) = input.strip_prefix(':') {
            let (head, path) =
                split_head(rest).ok_or_else(|| err("expected :backend[,key=value...]:path"))?;
            let (backend, params) = parse_params(head).map_err(|m| err(&m))?;
            if backend.is_empty() {
                return Err(err("missing backend name after ':'"));
            }
            return Ok(RemotePath {
                remote: RemoteRef::Backend(backend),
                params,
                path: path.to_string(),
            });
        }
        if let Some((head, path)) = split_head(input) {
            let name_end = head.find(',').unwrap_or(head.len());
            if is_remote_name(&head[..name_end]) {
                let (name, params) = parse_params(head).map_err(|m| err(&m))?;
                return Ok(RemotePath {
                    remote: RemoteRef::Named(name),
                    params,
                    path: path.to_string(),
                });
            }
        }
        Ok(RemotePath {
            remote: RemoteRef::Local,
            params: Vec::new(),
            path: input.to_string(),
        })
    }

    /// The remote's name for messages: `aws_s3`, `:s3`, `local`.
    pub fn remote_name(&self) -> String {
        match &self.remote {
            RemoteRef::Named(n) => n.clone(),
            RemoteRef::Backend(b) => format!(":{b}"),
            RemoteRef::Local => "local".into(),
        }
    }
}

impl fmt::Display for RemotePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.remote {
            RemoteRef::Local => f.write_str(&self.path),
            _ => write!(f, "{}:{}", self.remote_name(), self.path),
        }
    }
}

/// rclone's remote names: letters, digits, `_ - . + @` and spaces, not starting with `-` or a
/// space. A single letter is a Windows drive, not a remote — kept for the same meaning.
fn is_remote_name(s: &str) -> bool {
    !(s.is_empty()
        || s.starts_with(['-', ' '])
        || s.ends_with(' ')
        || (cfg!(windows) && s.len() == 1))
        && s.chars()
            .all(|c| c.is_alphanumeric() || "_-.+@ ".contains(c))
}

/// Splits at the colon that ends `name[,params]`, skipping colons inside quoted values.
fn split_head(s: &str) -> Option<(&str, &str)> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ':') => return Some((&s[..i], &s[i + 1..])),
            (None, '/' | '\\') => return None,
            _ => {}
        }
    }
    None
}

/// `name,key=value,flag,key2="a,b"` → name and pairs (`flag` alone means `flag=true`). Quotes
/// are doubled to escape them, as in rclone.
fn parse_params(head: &str) -> Result<(String, Vec<(String, String)>), String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = head.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '"' | '\'') if cur.ends_with('=') => quote = Some(c),
            (Some(q), c) if c == q => {
                if chars.peek() == Some(&q) {
                    cur.push(q);
                    chars.next();
                } else {
                    quote = None;
                }
            }
            (None, ',') => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    if quote.is_some() {
        return Err("unterminated quote in connection string".into());
    }
    parts.push(cur);
    let name = parts.remove(0);
    let params = parts
        .into_iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) => Ok((k.trim().replace('-', "_"), v.to_string())),
            None if !p.is_empty() => Ok((p.trim().replace('-', "_"), "true".to_string())),
            None => Err("empty parameter in connection string".to_string()),
        })
        .collect::<Result<_, _>>()?;
    Ok((name, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> RemotePath {
        RemotePath::parse(s).unwrap()
    }

    #[test]
    fn named_remotes() {
        let r = p("aws_s3:my-bucket/oci-sync");
        assert_eq!(r.remote, RemoteRef::Named("aws_s3".into()));
        assert_eq!(r.path, "my-bucket/oci-sync");
        assert_eq!(p("oci_usage:").path, "");
        assert_eq!(
            p("oci_usage:ocid1.tenancy.oc1..aaaa").path,
            "ocid1.tenancy.oc1..aaaa"
        );
        let r = p("aws_s3,region=eu-west-1:b");
        assert_eq!(r.params, vec![("region".into(), "eu-west-1".into())]);
    }

    #[test]
    fn connection_strings() {
        let r = p(":s3,region=us-east-2,provider=AWS:bucket/p");
        assert_eq!(r.remote, RemoteRef::Backend("s3".into()));
        assert_eq!(
            r.params,
            vec![
                ("region".into(), "us-east-2".into()),
                ("provider".into(), "AWS".into())
            ]
        );
        assert_eq!(r.path, "bucket/p");
        let r = p(":s3,endpoint=\"http://127.0.0.1:9000\",env-auth:b");
        assert_eq!(
            r.params[0],
            ("endpoint".into(), "http://127.0.0.1:9000".into())
        );
        assert_eq!(r.params[1], ("env_auth".into(), "true".into()));
        assert_eq!(r.path, "b");
        let r = p(":local:/tmp/x");
        assert_eq!(
            (r.remote, r.path.as_str()),
            (RemoteRef::Backend("local".into()), "/tmp/x")
        );
        assert!(RemotePath::parse(":s3,region=\"x:b").is_err());
    }

    #[test]
    fn parameters_never_reach_a_message() {
        for (input, shown) in [
            (
                ":s3,access_key_id=AKIAX,secret_access_key=S3CRET:bucket/p",
                ":s3,…:bucket/p",
            ),
            ("aws,session_token=S3CRET:b", "aws,…:b"),
            // Unparsable: an unterminated quote hides where the path starts.
            (":s3,secret_access_key=\"S3CRET:b", ":s3,…"),
            (":s3,secret_access_key=S3CRET", ":s3,…"),
            ("/data/a,b:c", "/data/a,b:c"),
            ("aws_s3:bucket", "aws_s3:bucket"),
        ] {
            assert_eq!(redact_input(input), shown, "{input}");
        }
        let e = RemotePath::parse(":s3,secret_access_key=\"S3CRET:b").unwrap_err();
        assert!(!e.to_string().contains("S3CRET"), "{e}");
        let e = RemotePath::parse(":,secret_access_key=S3CRET:b").unwrap_err();
        assert!(!e.to_string().contains("S3CRET"), "{e}");
    }

    #[test]
    fn local_paths() {
        for s in ["/tmp/a:b", "./dir:x", "relative/dir", "file.csv", "/data"] {
            assert_eq!(p(s).remote, RemoteRef::Local, "{s}");
            assert_eq!(p(s).path, s);
        }
        assert!(RemotePath::parse("").is_err());
    }
}
