//! rclone's filter rules (fs/filter): `--include`, `--exclude`, `--filter`, `--min-age`/`--max-age`
//! and `--min-size`/`--max-size`, with rclone 1.75's semantics.
//!
//! Order: whatever the command line says, rclone adds every `--include` first, then every
//! `--exclude`, then the `--filter` rules in their order, then (when there was an include) a final
//! "exclude everything"; the first rule that matches decides. Giving both `--include` and
//! `--exclude` logs rclone's ERROR "Using --filter is recommended…", because the order the user
//! wrote is not the order used.
//!
//! Rules are file rules, directory rules or both, as in rclone's `Filter.Add`: a pattern ending in
//! `/` is a directory rule (an excluded `dir/` becomes `dir/**`); a pattern with `**` is both; an
//! include's directories (`a/b/*.csv` → `a/`, `a/b/`) become directory includes. An object is
//! selected when its path passes the file rules and each directory above it passes the
//! directory rules — the directories rclone's sync would descend into.
//!
//! Globs ([`glob`]): `*` within a segment, `**` across segments, `?`, Go character classes
//! (`[a-z]`, `[^a-z]`, `[[:alpha:]]`), `{a,b}` alternatives (nestable), `\` escapes. A leading
//! `/` anchors at the root; otherwise the pattern matches the end of the path at a segment
//! boundary (`*.csv` matches `a/b/x.csv`). Matching is linear in the path's length.

mod glob;

use jiff::Timestamp;

pub use glob::Glob;

/// Which flag a rule came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Include,
    Exclude,
    /// A `--filter` rule: `+ glob`, `- glob` or `!` (clear the rules so far).
    Filter,
}

/// rclone's warning when both `--include` and `--exclude` are given (filter.go, `parseRules`).
pub const MIXED_RULES_WARNING: &str = "Using --filter is recommended instead of both --include and --exclude as the order they are parsed in is indeterminate";

#[derive(Debug, Clone)]
struct Rule {
    include: bool,
    glob: Glob,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    includes: Vec<String>,
    excludes: Vec<String>,
    filters: Vec<String>,
    /// Compiled from the three lists above, in rclone's order.
    file_rules: Vec<Rule>,
    dir_rules: Vec<Rule>,
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
    /// Adds a rule from `--include`, `--exclude` or `--filter`. Rules are re-ordered the way
    /// rclone orders them (see the module docs), whatever the order of the calls.
    pub fn add(&mut self, action: Action, pattern: &str) -> Result<(), PatternError> {
        let mixed_before = !self.includes.is_empty() && !self.excludes.is_empty();
        match action {
            Action::Include => self.includes.push(pattern.to_string()),
            Action::Exclude => self.excludes.push(pattern.to_string()),
            Action::Filter => self.filters.push(pattern.to_string()),
        }
        if let Err(e) = self.compile() {
            match action {
                Action::Include => self.includes.pop(),
                Action::Exclude => self.excludes.pop(),
                Action::Filter => self.filters.pop(),
            };
            self.compile()?;
            return Err(e);
        }
        if !mixed_before && !self.includes.is_empty() && !self.excludes.is_empty() {
            tracing::error!("{MIXED_RULES_WARNING}");
        }
        Ok(())
    }

    /// Whether both `--include` and `--exclude` were given (rclone's warning case).
    pub fn mixes_include_and_exclude(&self) -> bool {
        !self.includes.is_empty() && !self.excludes.is_empty()
    }

    /// Rebuilds the rule lists from the flags' patterns (rclone's `parseRules`).
    fn compile(&mut self) -> Result<(), PatternError> {
        let mut rules = Rules::default();
        for p in &self.includes {
            rules.add(true, p)?;
        }
        for p in &self.excludes {
            rules.add(false, p)?;
        }
        for f in &self.filters {
            match f.as_str() {
                "!" => rules = Rules::default(),
                _ => match (f.strip_prefix("+ "), f.strip_prefix("- ")) {
                    (Some(p), _) => rules.add(true, p)?,
                    (_, Some(p)) => rules.add(false, p)?,
                    _ => {
                        return Err(PatternError {
                            pattern: f.clone(),
                            message: "malformed rule: use \"+ PATTERN\", \"- PATTERN\" or \"!\""
                                .into(),
                        });
                    }
                },
            }
        }
        if !self.includes.is_empty() {
            rules.add(false, "/**")?;
        }
        self.file_rules = rules.file;
        self.dir_rules = rules.dir;
        Ok(())
    }

    /// Whether there is anything to filter on.
    pub fn is_empty(&self) -> bool {
        self.file_rules.is_empty()
            && self.dir_rules.is_empty()
            && self.modified_before.is_none()
            && self.modified_after.is_none()
            && self.min_size.is_none()
            && self.max_size.is_none()
    }

    /// Whether an object at `path` passes the include/exclude rules: the file rules, and the
    /// directory rules for each directory above it.
    pub fn path_included(&self, path: &str) -> bool {
        self.parents_included(path) && first_match(&self.file_rules, path)
    }

    /// Whether the directory `dir` (no trailing `/`) is listed: it and each directory above it
    /// pass the directory rules.
    pub fn dir_included(&self, dir: &str) -> bool {
        let dir = dir.trim_end_matches('/');
        if dir.is_empty() {
            return true;
        }
        if self.dir_rules.is_empty() {
            return true;
        }
        self.parents_included(dir) && first_match(&self.dir_rules, &format!("{dir}/"))
    }

    /// `a/`, `a/b/` for `a/b/c`: each must pass the directory rules.
    fn parents_included(&self, path: &str) -> bool {
        self.dir_rules.is_empty()
            || path
                .match_indices('/')
                .all(|(i, _)| first_match(&self.dir_rules, &path[..=i]))
    }

    /// Whether an object passes every rule.
    pub fn included(&self, path: &str, size: u64, mtime: Option<Timestamp>) -> bool {
        if let Some(t) = mtime
            && (self.modified_before.is_some_and(|b| t > b)
                || self.modified_after.is_some_and(|a| t < a))
        {
            return false;
        }
        if self.min_size.is_some_and(|m| size < m) || self.max_size.is_some_and(|m| size > m) {
            return false;
        }
        self.path_included(path)
    }
}

/// The first matching rule decides; no match includes (rclone's `rules.include`).
fn first_match(rules: &[Rule], path: &str) -> bool {
    rules
        .iter()
        .find(|r| r.glob.matches(path))
        .is_none_or(|r| r.include)
}

#[derive(Default)]
struct Rules {
    file: Vec<Rule>,
    dir: Vec<Rule>,
}

impl Rules {
    /// rclone's `Filter.Add`: which lists a pattern joins.
    fn add(&mut self, include: bool, pattern: &str) -> Result<(), PatternError> {
        let err = |message: String| PatternError {
            pattern: pattern.to_string(),
            message,
        };
        if pattern.is_empty() {
            return Err(err("empty pattern".into()));
        }
        let mut glob_text = pattern.to_string();
        let mut is_dir_rule = glob_text.ends_with('/');
        let mut is_file_rule = !is_dir_rule;
        if is_dir_rule && !include {
            glob_text.push_str("**");
        }
        if glob_text.contains("**") {
            is_dir_rule = true;
            is_file_rule = true;
        }
        let glob = compile(&glob_text).map_err(err)?;
        if is_file_rule {
            self.file.push(Rule {
                include,
                glob: glob.clone(),
            });
            if include || glob_text == "*" {
                for dir_glob in dir_globs(&glob_text) {
                    if dir_glob != "/" {
                        self.dir.push(Rule {
                            include,
                            glob: compile(&dir_glob).map_err(err)?,
                        });
                    }
                }
            }
        }
        if is_dir_rule {
            self.dir.push(Rule { include, glob });
        }
        Ok(())
    }
}

fn compile(pattern: &str) -> Result<Glob, String> {
    match pattern.strip_prefix('/') {
        Some(body) => Glob::compile(body, true),
        None => Glob::compile(pattern, false),
    }
}

/// The directories a file glob could be in (rclone's `globToDirGlobs`): `a/b/*.csv` →
/// `a/b/`, `a/`; anything it cannot work out (a `/` or `**` inside braces, nested braces)
/// → `/**`, every directory.
fn dir_globs(glob: &str) -> Vec<String> {
    if too_hard(glob) {
        return vec!["/**".into()];
    }
    let mut glob = squash_slashes(glob);
    let mut out: Vec<String> = Vec::new();
    loop {
        let slash = glob.rfind('/');
        let stars = glob.rfind("**");
        let (i, what) = match (slash, stars) {
            (s, Some(j)) if s.is_none_or(|s| j > s) => (Some(j), "**"),
            (s, _) => (s, ""),
        };
        let Some(i) = i else {
            if out.is_empty() {
                out.push("/**".into());
            }
            break;
        };
        glob.truncate(i);
        let new = format!("{glob}{what}/");
        if out.last() != Some(&new) {
            out.push(new);
        }
    }
    out
}

/// rclone's `tooHardRe`: `{…**…}` or `{…/…}`, `{{`, `}}`, or nested braces.
fn too_hard(glob: &str) -> bool {
    if glob.contains("{{") || glob.contains("}}") {
        return true;
    }
    let mut depth = 0usize;
    let mut group = String::new();
    for c in glob.chars() {
        match c {
            '{' => {
                if depth > 0 {
                    return true;
                }
                depth += 1;
                group.clear();
            }
            '}' if depth > 0 => {
                depth -= 1;
                if group.contains("**") || group.contains('/') {
                    return true;
                }
            }
            c if depth > 0 => group.push(c),
            _ => {}
        }
    }
    false
}

fn squash_slashes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
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
        let f = filter(&[(Action::Exclude, "[^a-c]*")]);
        assert!(f.path_included("b") && !f.path_included("z"));
    }

    #[test]
    fn includes_come_before_excludes_whatever_the_order() {
        // rclone 1.75: `--exclude 'a/**' --include 'a/b.csv'` selects a/b.csv.
        let f = filter(&[(Action::Exclude, "a/**"), (Action::Include, "a/b.csv")]);
        assert!(f.mixes_include_and_exclude());
        assert!(f.path_included("a/b.csv"));
        assert!(!f.path_included("a/c.csv") && !f.path_included("b1"));
        let f = filter(&[(Action::Include, "*.csv"), (Action::Exclude, "secret.csv")]);
        assert!(f.path_included("x/secret.csv"), "the include matched first");
        // --filter keeps its order, after includes and excludes.
        let f = filter(&[
            (Action::Filter, "- secret.csv"),
            (Action::Filter, "+ *.csv"),
            (Action::Filter, "- **"),
        ]);
        assert!(!f.path_included("x/secret.csv") && f.path_included("x/public.csv"));
        assert!(!f.path_included("x/public.txt"));
        let f = filter(&[
            (Action::Filter, "- *.csv"),
            (Action::Filter, "!"),
            (Action::Filter, "+ a.csv"),
            (Action::Filter, "- **"),
        ]);
        assert!(
            f.path_included("a.csv") && !f.path_included("b.csv"),
            "! clears"
        );
        assert!(Filter::default().add(Action::Filter, "*.csv").is_err());
    }

    #[test]
    fn directory_rules_are_rclones() {
        let f = filter(&[(Action::Exclude, "tmp/")]);
        assert!(!f.path_included("tmp/a"));
        assert!(!f.path_included("x/tmp/deep/a"));
        assert!(f.path_included("tmpfile"));
        let f = filter(&[(Action::Exclude, "/FOCUS Reports/")]);
        assert!(!f.path_included("FOCUS Reports/2026/11/x.csv"));
        assert!(f.path_included("reports/cost-csv/x.csv.gz"));
        // An included `dir/` is a directory rule only: no file rule includes anything.
        let f = filter(&[(Action::Include, "keep/")]);
        assert!(!f.path_included("keep/x.csv"));
        let f = filter(&[(Action::Include, "keep/"), (Action::Include, "*.csv")]);
        assert!(f.path_included("keep/x.csv") && f.path_included("other/y.csv"));
        assert!(!f.path_included("keep/z.txt"));
        // Directories pruned by a directory rule hide what file rules would include.
        let f = filter(&[(Action::Filter, "- /skip/"), (Action::Filter, "+ **")]);
        assert!(!f.path_included("skip/a.csv") && f.path_included("keep/a.csv"));
        assert!(!f.dir_included("skip") && f.dir_included("keep"));
        let f = filter(&[(Action::Include, "/reports/*.gz")]);
        assert!(f.dir_included("reports") && !f.dir_included("other"));
    }

    #[test]
    fn dir_globs_are_rclones() {
        assert_eq!(dir_globs("*.csv"), ["/**"]);
        assert_eq!(dir_globs("/reports/*.gz"), ["/reports/", "/"]);
        assert_eq!(dir_globs("a/b/*.csv"), ["a/b/", "a/"]);
        assert_eq!(dir_globs("**/x.csv"), ["**/"]);
        assert_eq!(dir_globs("a//b/c"), ["a/b/", "a/"]);
        assert_eq!(dir_globs("{a/b,c}"), ["/**"]);
    }

    #[test]
    fn escapes_and_errors() {
        let f = filter(&[(Action::Include, "a\\*b")]);
        assert!(f.path_included("a*b") && !f.path_included("axb"));
        let mut f = Filter::default();
        assert!(f.add(Action::Include, "[abc").is_err());
        assert!(f.add(Action::Include, "{a,b").is_err());
        assert!(f.add(Action::Include, "***").is_err());
        assert!(f.add(Action::Include, "").is_err());
        assert!(f.is_empty(), "a refused pattern leaves no rule behind");
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
