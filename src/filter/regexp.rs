//! Globs with `{{regexp}}` sections: turned into one regular expression exactly as rclone's
//! `globToRegexp` does (fs/filter/glob.go, path mode), then compiled by the `regex` crate —
//! RE2 semantics like Go's `regexp`, so matching stays linear in the name's length.
//!
//! Globs without `{{` never come here: [`super::glob`] matches them with its own automaton.
//! Inside `{{ }}` the text is Go regexp syntax; `\d`, `\w` and `\s` there are Unicode-aware
//! (Go's are ASCII), the one known difference.

/// rclone's translation of `glob` (its leading `/` already stripped when `anchored`).
pub fn to_regex(glob: &str, anchored: bool, ignore_case: bool) -> Result<String, String> {
    let mut re = String::new();
    if ignore_case {
        re.push_str("(?i)");
    }
    re.push_str(if anchored { "^" } else { "(^|/)" });
    let mut stars = 0usize;
    let mut brace_depth = 0usize;
    let mut in_brackets = 0usize;
    let mut slashed = false;
    let mut in_regexp = false;
    let mut in_regexp_end = false;
    // The previous character of the glob (rclone's `last`).
    let mut last: Option<char>;
    let mut next: Option<char> = None;
    let insert_stars = |re: &mut String, stars: &mut usize| -> Result<(), String> {
        match *stars {
            0 => {}
            1 => re.push_str("[^/]*"),
            2 => re.push_str(".*"),
            _ => return Err("too many stars".into()),
        }
        *stars = 0;
        Ok(())
    };
    for c in glob.chars() {
        (next, last) = (Some(c), next);
        if slashed {
            re.push(c);
            slashed = false;
            continue;
        }
        if in_regexp_end {
            if c == '}' {
                // `}}}`: the regexp ends with a `}` — the longest run closes it.
                re.pop();
                re.push('}');
                re.push(')');
                continue;
            }
            in_regexp_end = false;
        }
        if in_regexp {
            if c == '}' && last == Some('}') {
                in_regexp = false;
                in_regexp_end = true;
                re.pop();
                re.push(')');
            } else {
                re.push(c);
            }
            continue;
        }
        if c != '*' {
            insert_stars(&mut re, &mut stars)?;
        }
        if in_brackets > 0 {
            re.push(c);
            match c {
                '[' => in_brackets += 1,
                ']' => in_brackets -= 1,
                _ => {}
            }
            continue;
        }
        match c {
            '\\' => {
                re.push(c);
                slashed = true;
            }
            '*' => stars += 1,
            '?' => re.push_str("[^/]"),
            '[' => {
                re.push(c);
                in_brackets += 1;
            }
            ']' => return Err("mismatched ']'".into()),
            '{' if brace_depth > 0 && last == Some('{') => {
                // `{{` opens a regexp: the `(` the first `{` wrote wraps it.
                in_regexp = true;
                brace_depth -= 1;
            }
            '{' => {
                brace_depth += 1;
                re.push('(');
            }
            '}' => {
                if brace_depth == 0 {
                    return Err("mismatched '{' and '}'".into());
                }
                re.push(')');
                brace_depth -= 1;
            }
            ',' if brace_depth > 0 => re.push('|'),
            '.' | '+' | '(' | ')' | '|' | '^' | '$' => {
                re.push('\\');
                re.push(c);
            }
            c => re.push(c),
        }
    }
    insert_stars(&mut re, &mut stars)?;
    if in_brackets > 0 {
        return Err("mismatched '[' and ']'".into());
    }
    if brace_depth != 0 {
        return Err("mismatched '{' and '}'".into());
    }
    if in_regexp {
        return Err("mismatched '{{' and '}}'".into());
    }
    re.push('$');
    Ok(re)
}

/// Compiles `glob` (with `{{regexp}}` sections) into a matcher.
pub fn compile(glob: &str, anchored: bool, ignore_case: bool) -> Result<regex::Regex, String> {
    let text = to_regex(glob, anchored, ignore_case)?;
    regex::Regex::new(&text).map_err(|e| format!("bad regexp {text:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(glob: &str, path: &str) -> bool {
        let (anchored, body) = match glob.strip_prefix('/') {
            Some(b) => (true, b),
            None => (false, glob),
        };
        compile(body, anchored, false).unwrap().is_match(path)
    }

    #[test]
    fn translations_are_rclones() {
        // rclone 1.75's glob_test.go (TestGlobPathToRegexp) cases with {{ }}.
        for (glob, want) in [
            ("a{{.*}}b", "(^|/)a(.*)b$"),
            ("{{regexp}}", "(^|/)(regexp)$"),
            ("\\{{{regexp}}", "(^|/)\\{(regexp)$"),
            ("/{{regexp}}", "^(regexp)$"),
            ("/{{\\d{8}}}", "^(\\d{8})$"),
            ("/{{\\}}}", "^(\\})$"),
            ("{{(?i)regexp}}", "(^|/)((?i)regexp)$"),
        ] {
            let (anchored, body) = match glob.strip_prefix('/') {
                Some(b) => (true, b),
                None => (false, glob),
            };
            assert_eq!(to_regex(body, anchored, false).unwrap(), want, "{glob}");
        }
        let e = to_regex("a{{.*}", false, false).unwrap_err();
        assert!(e.contains("mismatched '{{' and '}}'"), "{e}");
        assert!(to_regex("{{a", false, false).is_err());
        assert_eq!(
            to_regex("*.csv", false, true).unwrap(),
            "(?i)(^|/)[^/]*\\.csv$"
        );
    }

    #[test]
    fn regexps_match() {
        assert!(m("{{\\d{4}}}-*.csv", "reports/2026-11.csv"));
        assert!(!m("{{\\d{4}}}-*.csv", "reports/26-11.csv"));
        assert!(m(
            "/reports/{{(cost|usage)}}-csv/**",
            "reports/cost-csv/a/b.gz"
        ));
        assert!(!m(
            "/reports/{{(cost|usage)}}-csv/**",
            "reports/focus-csv/a.gz"
        ));
        assert!(m("file{{[0-9]+}}.txt", "a/file123.txt"));
    }
}
