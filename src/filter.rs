//! rclone's filter rules: `--include`/`--exclude` globs in command-line order (first match
//! wins; any include adds a final "exclude everything"), `--min-age`/`--max-age` and
//! `--min-size`/`--max-size`.
//!
//! Globs: `*` matches within one path segment, `**` across segments, `?` one character, `[a-z]`
//! and `[!a-z]` classes, `{csv,gz}` alternatives, `\` escapes. A pattern starting with `/` is
//! anchored at the root; otherwise it matches the end of the path at a segment boundary
//! (`*.csv` matches `a/b/x.csv`). A pattern ending with `/` matches directories: it applies to
//! every object below a matching directory.

use jiff::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Include,
    Exclude,
}

#[derive(Debug, Clone)]
struct Rule {
    action: Action,
    glob: Glob,
    anchored: bool,
    dir_only: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    rules: Vec<Rule>,
    has_include: bool,
    /// Objects modified after this are excluded (`--min-age`).
    pub modified_before: Option<Timestamp>,
    /// Objects modified before this are excluded (`--max-age`).
    pub modified_after: Option<Timestamp>,
    pub min_size: Option<u64>,
    pub max_size: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("filter pattern {pattern:?}: {message}")]
pub struct PatternError {
    pub pattern: String,
    pub message: String,
}

impl Filter {
    pub fn add(&mut self, action: Action, pattern: &str) -> Result<(), PatternError> {
        let err = |m: &str| PatternError {
            pattern: pattern.to_string(),
            message: m.to_string(),
        };
        let (anchored, rest) = match pattern.strip_prefix('/') {
            Some(r) => (true, r),
            None => (false, pattern),
        };
        let (dir_only, body) = match rest.strip_suffix('/') {
            Some(b) => (true, b),
            None => (false, rest),
        };
        if body.is_empty() {
            return Err(err("empty pattern"));
        }
        let glob = Glob::compile(body).map_err(|m| err(&m))?;
        self.has_include |= action == Action::Include;
        self.rules.push(Rule {
            action,
            glob,
            anchored,
            dir_only,
        });
        Ok(())
    }

    /// Whether there is anything to filter on.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
            && self.modified_before.is_none()
            && self.modified_after.is_none()
            && self.min_size.is_none()
            && self.max_size.is_none()
    }

    /// Whether the path passes the include/exclude rules.
    pub fn path_included(&self, path: &str) -> bool {
        for rule in &self.rules {
            let hit = if rule.dir_only {
                ancestors(path).any(|dir| rule.matches(dir))
            } else {
                rule.matches(path)
            };
            if hit {
                return rule.action == Action::Include;
            }
        }
        !self.has_include
    }

    /// Whether an object passes every rule.
    pub fn included(&self, path: &str, size: u64, mtime: Option<Timestamp>) -> bool {
        if self.min_size.is_some_and(|m| size < m) || self.max_size.is_some_and(|m| size > m) {
            return false;
        }
        if let Some(t) = mtime
            && (self.modified_before.is_some_and(|b| t > b)
                || self.modified_after.is_some_and(|a| t < a))
        {
            return false;
        }
        self.path_included(path)
    }
}

/// `a/b/c.csv` → `a`, `a/b`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

impl Rule {
    fn matches(&self, path: &str) -> bool {
        let chars: Vec<char> = path.chars().collect();
        if self.anchored {
            return self.glob.matches(&chars);
        }
        // Unanchored: the pattern must match a suffix that starts a segment.
        std::iter::once(0)
            .chain(
                chars
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c == '/')
                    .map(|(i, _)| i + 1),
            )
            .any(|start| self.glob.matches(&chars[start..]))
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Char(char),
    /// `*`: anything but `/`.
    Star,
    /// `**`: anything.
    DoubleStar,
    /// `?`: one character but `/`.
    Any,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    Alt(Vec<Vec<Token>>),
}

#[derive(Debug, Clone)]
struct Glob(Vec<Token>);

impl Glob {
    fn compile(pattern: &str) -> Result<Glob, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut pos = 0;
        let tokens = parse_seq(&chars, &mut pos, false)?;
        if pos != chars.len() {
            return Err("unexpected '}'".into());
        }
        Ok(Glob(tokens))
    }

    fn matches(&self, s: &[char]) -> bool {
        match_tokens(&self.0, s)
    }
}

fn parse_seq(p: &[char], pos: &mut usize, in_alt: bool) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    while *pos < p.len() {
        let c = p[*pos];
        match c {
            '}' | ',' if in_alt => return Ok(out),
            '}' => return Err("unmatched '}'".into()),
            '\\' => {
                *pos += 1;
                let e = *p.get(*pos).ok_or("pattern ends with '\\'")?;
                out.push(Token::Char(e));
                *pos += 1;
            }
            '*' => {
                if p.get(*pos + 1) == Some(&'*') {
                    out.push(Token::DoubleStar);
                    *pos += 2;
                } else {
                    out.push(Token::Star);
                    *pos += 1;
                }
            }
            '?' => {
                out.push(Token::Any);
                *pos += 1;
            }
            '[' => {
                *pos += 1;
                let negated = matches!(p.get(*pos), Some('!') | Some('^'));
                if negated {
                    *pos += 1;
                }
                let mut ranges = Vec::new();
                let mut first = true;
                loop {
                    let c = *p.get(*pos).ok_or("unterminated '['")?;
                    if c == ']' && !first {
                        *pos += 1;
                        break;
                    }
                    first = false;
                    let lo = if c == '\\' {
                        *pos += 1;
                        *p.get(*pos).ok_or("unterminated '['")?
                    } else {
                        c
                    };
                    *pos += 1;
                    if p.get(*pos) == Some(&'-') && p.get(*pos + 1).is_some_and(|c| *c != ']') {
                        ranges.push((lo, p[*pos + 1]));
                        *pos += 2;
                    } else {
                        ranges.push((lo, lo));
                    }
                }
                out.push(Token::Class { negated, ranges });
            }
            '{' => {
                *pos += 1;
                if in_alt {
                    return Err("nested '{' is not supported".into());
                }
                let mut alts = Vec::new();
                loop {
                    alts.push(parse_seq(p, pos, true)?);
                    match p.get(*pos) {
                        Some(',') => *pos += 1,
                        Some('}') => {
                            *pos += 1;
                            break;
                        }
                        _ => return Err("unterminated '{'".into()),
                    }
                }
                out.push(Token::Alt(alts));
            }
            c => {
                out.push(Token::Char(c));
                *pos += 1;
            }
        }
    }
    if in_alt {
        return Err("unterminated '{'".into());
    }
    Ok(out)
}

fn match_tokens(t: &[Token], s: &[char]) -> bool {
    let Some((first, rest)) = t.split_first() else {
        return s.is_empty();
    };
    match first {
        Token::Char(c) => s.first() == Some(c) && match_tokens(rest, &s[1..]),
        Token::Any => s.first().is_some_and(|c| *c != '/') && match_tokens(rest, &s[1..]),
        Token::Class { negated, ranges } => {
            s.first().is_some_and(|c| {
                *c != '/' && ranges.iter().any(|(lo, hi)| (lo..=hi).contains(&c)) != *negated
            }) && match_tokens(rest, &s[1..])
        }
        Token::Star => {
            let limit = s.iter().position(|c| *c == '/').unwrap_or(s.len());
            (0..=limit).any(|n| match_tokens(rest, &s[n..]))
        }
        Token::DoubleStar => (0..=s.len()).any(|n| match_tokens(rest, &s[n..])),
        Token::Alt(alts) => alts.iter().any(|alt| {
            let joined: Vec<Token> = alt.iter().chain(rest.iter()).cloned().collect();
            match_tokens(&joined, s)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(rules: &[(Action, &str)]) -> Filter {
        let mut f = Filter::default();
        for (a, p) in rules {
            f.add(*a, p).unwrap();
        }
        f
    }

    #[test]
    fn globs_follow_rclone() {
        let f = filter(&[(Action::Include, "*.csv")]);
        assert!(f.path_included("a.csv"));
        assert!(
            f.path_included("reports/cost-csv/a.csv"),
            "unanchored matches at any depth"
        );
        assert!(
            !f.path_included("a.csv.gz"),
            "include rules imply exclude everything else"
        );
        let f = filter(&[(Action::Include, "/reports/*.gz")]);
        assert!(f.path_included("reports/x.gz"));
        assert!(
            !f.path_included("reports/cost-csv/x.gz"),
            "* does not cross /"
        );
        assert!(!f.path_included("other/reports/x.gz"), "anchored");
        let f = filter(&[(Action::Include, "/reports/**")]);
        assert!(f.path_included("reports/cost-csv/x.gz"));
        assert!(!f.path_included("FOCUS Reports/2026/x.csv"));
        let f = filter(&[(Action::Include, "file?.{csv,gz}")]);
        assert!(f.path_included("file1.csv") && f.path_included("fileA.gz"));
        assert!(!f.path_included("file12.csv") && !f.path_included("file1.txt"));
        let f = filter(&[(Action::Exclude, "[0-9]*.tmp")]);
        assert!(!f.path_included("d/7x.tmp"));
        assert!(
            f.path_included("d/x7.tmp"),
            "excludes only: the rest is included"
        );
        let f = filter(&[(Action::Exclude, "[!a-c]*")]);
        assert!(f.path_included("b") && !f.path_included("z"));
    }

    #[test]
    fn first_match_wins_in_order() {
        let f = filter(&[(Action::Exclude, "secret.csv"), (Action::Include, "*.csv")]);
        assert!(!f.path_included("x/secret.csv"));
        assert!(f.path_included("x/public.csv"));
        let f = filter(&[(Action::Include, "*.csv"), (Action::Exclude, "secret.csv")]);
        assert!(f.path_included("x/secret.csv"));
    }

    #[test]
    fn directory_rules_cover_everything_below() {
        let f = filter(&[(Action::Exclude, "tmp/")]);
        assert!(!f.path_included("tmp/a"));
        assert!(!f.path_included("x/tmp/deep/a"));
        assert!(f.path_included("tmpfile"));
        let f = filter(&[(Action::Exclude, "/FOCUS Reports/")]);
        assert!(!f.path_included("FOCUS Reports/2026/11/x.csv"));
        assert!(f.path_included("reports/cost-csv/x.csv.gz"));
    }

    #[test]
    fn escapes_and_errors() {
        let f = filter(&[(Action::Include, "a\\*b")]);
        assert!(f.path_included("a*b") && !f.path_included("axb"));
        let mut f = Filter::default();
        assert!(f.add(Action::Include, "[abc").is_err());
        assert!(f.add(Action::Include, "{a,b").is_err());
        assert!(f.add(Action::Include, "/").is_err());
    }

    #[test]
    fn age_and_size() {
        let now = Timestamp::now();
        let f = Filter {
            modified_after: Some(now - jiff::SignedDuration::from_hours(24)),
            max_size: Some(100),
            ..Filter::default()
        };
        assert!(f.included("a", 10, Some(now)));
        assert!(!f.included("a", 10, Some(now - jiff::SignedDuration::from_hours(48))));
        assert!(!f.included("a", 101, Some(now)));
        assert!(f.included("a", 10, None), "unknown times pass");
    }
}
