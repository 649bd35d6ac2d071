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
//! (`[a-z]`, `[^a-z]`, `[[:alpha:]]`), `{a,b}` alternatives (nestable), `\` escapes, and
//! `{{regexp}}` sections ([`regexp`]). A leading `/` anchors at the root; otherwise the pattern
//! matches the end of the path at a segment boundary (`*.csv` matches `a/b/x.csv`). Matching is
//! linear in the path's length. `--ignore-case` makes every rule case-insensitive.
//!
//! Rules can also come from files (`--include-from`, `--exclude-from`, `--filter-from`, read by
//! [`files`]), in rclone's order: includes, include files, excludes, exclude files, filters,
//! filter files. `--files-from` replaces every other rule with a list of paths (and refuses to
//! be mixed with them, as rclone). `--max-depth`, `--hash-filter` and `--exclude-if-present`
//! (whose directories the caller finds by listing: [`Filter::set_marked_dirs`]) apply on top.

pub mod files;
mod glob;
mod regexp;

use std::collections::HashSet;

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
    /// Lines of `--include-from`, `--exclude-from` and `--filter-from` files, each in order.
    include_lines: Vec<String>,
    exclude_lines: Vec<String>,
    filter_lines: Vec<String>,
    /// An `--include-from` file was given (even an empty one adds the final "exclude all").
    include_file_given: bool,
    /// `--exclude-from` was given (for the mixed include/exclude warning).
    exclude_file_given: bool,
    /// `--ignore-case`.
    ignore_case: bool,
    /// `--files-from` paths (then nothing else decides) and the directories above them.
    files: Option<HashSet<Box<str>>>,
    file_dirs: HashSet<Box<str>>,
    /// `--max-depth`: objects at most this many levels down (1: the top level only).
    pub max_depth: Option<usize>,
    /// `--hash-filter K/N`: (K, N).
    hash_filter: Option<(u64, u64)>,
    /// `--exclude-if-present` names, and the directories found holding one.
    marker_names: Vec<String>,
    marked_dirs: HashSet<Box<str>>,
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
        (!self.includes.is_empty() || self.include_file_given)
            && (!self.excludes.is_empty() || self.exclude_file_given)
    }

    /// Adds the lines of an `--include-from` (`Include`), `--exclude-from` (`Exclude`) or
    /// `--filter-from` (`Filter`) file, as [`files::read_lines`] gave them.
    pub fn add_from_file(
        &mut self,
        action: Action,
        lines: Vec<String>,
    ) -> Result<(), PatternError> {
        let mixed_before = self.mixes_include_and_exclude();
        let saved = self.clone();
        match action {
            Action::Include => {
                self.include_lines.extend(lines);
                self.include_file_given = true;
            }
            Action::Exclude => {
                self.exclude_lines.extend(lines);
                self.exclude_file_given = true;
            }
            Action::Filter => self.filter_lines.extend(lines),
        }
        if let Err(e) = self.compile() {
            *self = saved;
            return Err(e);
        }
        if !mixed_before && self.mixes_include_and_exclude() {
            tracing::error!("{MIXED_RULES_WARNING}");
        }
        Ok(())
    }

    /// `--ignore-case`: every rule matches without regard to case.
    pub fn set_ignore_case(&mut self, on: bool) -> Result<(), PatternError> {
        self.ignore_case = on;
        self.compile()
    }

    /// `--files-from`: only these paths (leading and trailing `/` trimmed, as rclone). Refused
    /// when other filters are set, as rclone refuses it.
    pub fn set_files(&mut self, paths: impl IntoIterator<Item = String>) -> Result<(), String> {
        if self.has_rules()
            || self.modified_before.is_some()
            || self.modified_after.is_some()
            || self.min_size.is_some()
            || self.max_size.is_some()
            || self.hash_filter.is_some()
            || !self.marker_names.is_empty()
        {
            return Err(
                "the usage of --files-from overrides all other filters, it should be used \
                        alone or with --files-from-raw or --files-from0"
                    .into(),
            );
        }
        let files = self.files.get_or_insert_with(HashSet::new);
        for p in paths {
            let p = p.trim_matches('/');
            let mut dir = p;
            while let Some(i) = dir.rfind('/') {
                dir = &dir[..i];
                if !self.file_dirs.insert(dir.into()) {
                    break;
                }
            }
            files.insert(p.into());
        }
        Ok(())
    }

    /// Whether `--files-from` (or its variants) was given.
    pub fn has_files_from(&self) -> bool {
        self.files.is_some()
    }

    fn has_rules(&self) -> bool {
        !(self.file_rules.is_empty() && self.dir_rules.is_empty())
    }

    /// `--hash-filter K/N` (`@/N`: a random K), as rclone parses it.
    pub fn set_hash_filter(&mut self, spec: &str) -> Result<(), String> {
        let (k, n) = spec
            .split_once('/')
            .ok_or("--hash-filter: no / found".to_string())?;
        let n: u64 = n
            .parse()
            .map_err(|_| format!("--hash-filter: can't parse N={n:?}"))?;
        if n == 0 {
            return Err("--hash-filter: N must be greater than 0".into());
        }
        let k = if k == "@" {
            // Any partition will do; the clock is random enough for picking one.
            (jiff::Timestamp::now().subsec_nanosecond().unsigned_abs() as u64) % n
        } else {
            k.parse::<u64>()
                .map_err(|_| format!("--hash-filter: can't parse K={k:?}"))?
                % n
        };
        self.hash_filter = Some((k, n));
        Ok(())
    }

    /// `--exclude-if-present NAME`: directories holding an object called NAME are excluded.
    pub fn set_exclude_if_present(&mut self, names: Vec<String>) {
        self.marker_names = names;
    }

    /// The `--exclude-if-present` names (empty when not given).
    pub fn marker_names(&self) -> &[String] {
        &self.marker_names
    }

    /// The directories found (by listing) to hold an `--exclude-if-present` object. A copy of
    /// the filter is made for each side: a marker excludes the directory where it is.
    pub fn set_marked_dirs(&mut self, dirs: impl IntoIterator<Item = String>) {
        self.marked_dirs = dirs.into_iter().map(Into::into).collect();
    }

    /// The directory `path`'s marker object would make excluded, if `path` is one.
    pub fn marker_dir<'a>(&self, path: &'a str) -> Option<&'a str> {
        let (dir, name) = match path.rfind('/') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => ("", path),
        };
        self.marker_names.iter().any(|m| m == name).then_some(dir)
    }

    /// Whether `--max-depth`, `--hash-filter`, `--files-from` or a marked directory excludes
    /// the object at `path` (before rules, sizes and times).
    fn excluded_by_structure(&self, path: &str) -> bool {
        if self
            .max_depth
            .is_some_and(|d| path.matches('/').count() >= d)
        {
            return true;
        }
        if !self.marked_dirs.is_empty() && self.under_marked_dir(path) {
            return true;
        }
        false
    }

    /// Whether `path` is in (or below) a directory holding an `--exclude-if-present` object.
    fn under_marked_dir(&self, path: &str) -> bool {
        if self.marked_dirs.contains("") {
            return true;
        }
        path.match_indices('/')
            .any(|(i, _)| self.marked_dirs.contains(&path[..i]))
    }

    /// rclone's `--hash-filter` test: MD5 of the lower-cased name, its first 8 bytes as a
    /// little-endian number, modulo N.
    fn in_hash_partition(&self, path: &str) -> bool {
        let Some((k, n)) = self.hash_filter else {
            return true;
        };
        let digest = ocisync_backend::Md5::of(path.to_lowercase().as_bytes()).0;
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_le_bytes(first) % n == k
    }

    /// Rebuilds the rule lists from the flags' patterns (rclone's `parseRules`).
    fn compile(&mut self) -> Result<(), PatternError> {
        let mut rules = Rules {
            ignore_case: self.ignore_case,
            ..Rules::default()
        };
        for p in self.includes.iter().chain(&self.include_lines) {
            rules.add(true, p)?;
        }
        for p in self.excludes.iter().chain(&self.exclude_lines) {
            rules.add(false, p)?;
        }
        for f in self.filters.iter().chain(&self.filter_lines) {
            match f.as_str() {
                "!" => {
                    rules = Rules {
                        ignore_case: self.ignore_case,
                        ..Rules::default()
                    }
                }
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
        if !self.includes.is_empty() || self.include_file_given {
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
            && self.files.is_none()
            && self.max_depth.is_none()
            && self.hash_filter.is_none()
            && self.marker_names.is_empty()
            && self.modified_before.is_none()
            && self.modified_after.is_none()
            && self.min_size.is_none()
            && self.max_size.is_none()
    }

    /// Whether an object at `path` passes the include/exclude rules: the file rules, and the
    /// directory rules for each directory above it.
    pub fn path_included(&self, path: &str) -> bool {
        if self.excluded_by_structure(path) {
            return false;
        }
        if let Some(files) = &self.files {
            return files.contains(path);
        }
        self.parents_included(path)
            && self.in_hash_partition(path)
            && first_match(&self.file_rules, path)
    }

    /// rclone's `IncludeRemote`: `--files-from`, `--hash-filter` and the file rules only (no
    /// directory rules, sizes or times) — how `rmdirs` decides about `dir/`.
    pub fn remote_included(&self, remote: &str) -> bool {
        if let Some(files) = &self.files {
            return files.contains(remote);
        }
        self.in_hash_partition(remote) && first_match(&self.file_rules, remote)
    }

    /// Whether the directory `dir` (no trailing `/`) is listed: it and each directory above it
    /// pass the directory rules.
    pub fn dir_included(&self, dir: &str) -> bool {
        let dir = dir.trim_end_matches('/');
        if dir.is_empty() {
            return true;
        }
        if self
            .max_depth
            .is_some_and(|d| dir.matches('/').count() >= d)
        {
            return false;
        }
        if !self.marked_dirs.is_empty()
            && (self.marked_dirs.contains(dir) || self.under_marked_dir(dir))
        {
            return false;
        }
        if self.files.is_some() {
            return self.file_dirs.contains(dir);
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
        if self.files.is_some() {
            // --files-from decides alone (rclone: it overrides every other filter).
            return self.path_included(path);
        }
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
    ignore_case: bool,
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
        let ic = self.ignore_case;
        let glob = compile(&glob_text, ic).map_err(err)?;
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
                            glob: compile(&dir_glob, ic).map_err(err)?,
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

fn compile(pattern: &str, ignore_case: bool) -> Result<Glob, String> {
    match pattern.strip_prefix('/') {
        Some(body) => Glob::compile_with(body, true, ignore_case),
        None => Glob::compile_with(pattern, false, ignore_case),
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
    fn rules_from_files_keep_rclones_order() {
        // --exclude and an --include-from file: includes (and their files) come first.
        let mut f = filter(&[(Action::Exclude, "a/**")]);
        f.add_from_file(Action::Include, vec!["a/keep.csv".into()])
            .unwrap();
        assert!(f.mixes_include_and_exclude());
        assert!(f.path_included("a/keep.csv") && !f.path_included("a/other.csv"));
        assert!(
            !f.path_included("b.txt"),
            "an include file adds exclude-all"
        );
        // An empty include file still does.
        let mut f = Filter::default();
        f.add_from_file(Action::Include, Vec::new()).unwrap();
        assert!(!f.path_included("x"));
        // Filter files run after --filter rules, "!" clears.
        let mut f = filter(&[(Action::Filter, "- *.tmp")]);
        f.add_from_file(Action::Filter, vec!["+ *.tmp".into(), "- **".into()])
            .unwrap();
        assert!(!f.path_included("x.tmp") && !f.path_included("x.csv"));
        let mut f = filter(&[(Action::Filter, "- *.tmp")]);
        f.add_from_file(Action::Filter, vec!["!".into(), "+ *.tmp".into()])
            .unwrap();
        assert!(f.path_included("x.tmp"));
        let mut f = Filter::default();
        assert!(
            f.add_from_file(Action::Filter, vec!["*.csv".into()])
                .is_err()
        );
        assert!(f.is_empty(), "a refused file leaves no rule behind");
    }

    #[test]
    fn files_from_decides_alone() {
        let mut f = Filter::default();
        f.set_files(["/a/b.csv".to_string(), "top.csv".to_string()])
            .unwrap();
        assert!(f.included("a/b.csv", 1, None) && f.included("top.csv", 1, None));
        assert!(!f.included("a/c.csv", 1, None));
        assert!(f.dir_included("a") && !f.dir_included("z"));
        let mut f = filter(&[(Action::Include, "*.csv")]);
        let e = f.set_files(["a".to_string()]).unwrap_err();
        assert!(e.contains("overrides all other filters"), "{e}");
    }

    #[test]
    fn depth_hash_and_marked_directories() {
        let f = Filter {
            max_depth: Some(1),
            ..Filter::default()
        };
        assert!(f.path_included("top.csv") && !f.path_included("a/b.csv"));
        assert!(f.dir_included("a") && !f.dir_included("a/b"));
        let mut f = Filter::default();
        f.set_exclude_if_present(vec![".ignore".into()]);
        assert_eq!(f.marker_dir("a/b/.ignore"), Some("a/b"));
        assert_eq!(f.marker_dir(".ignore"), Some(""));
        assert_eq!(f.marker_dir("a/x"), None);
        f.set_marked_dirs(["a/b".to_string()]);
        assert!(!f.path_included("a/b/x") && !f.path_included("a/b/c/x"));
        assert!(f.path_included("a/x") && f.path_included("a/bb/x"));
        assert!(!f.dir_included("a/b") && f.dir_included("a"));
        // Every name lands in exactly one of N partitions.
        let names: Vec<String> = (0..300).map(|i| format!("dir/report-{i}.csv")).collect();
        let mut total = 0;
        for k in 0..3 {
            let mut f = Filter::default();
            f.set_hash_filter(&format!("{k}/3")).unwrap();
            let n = names.iter().filter(|p| f.path_included(p)).count();
            assert!(n > 50, "partition {k}: {n}");
            total += n;
        }
        assert_eq!(total, names.len());
        assert!(Filter::default().set_hash_filter("1/0").is_err());
        // --ignore-case applies to rules compiled before and after it.
        let mut f = filter(&[(Action::Include, "*.CSV")]);
        f.set_ignore_case(true).unwrap();
        assert!(f.path_included("a.csv"));
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
