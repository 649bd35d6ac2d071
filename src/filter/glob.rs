//! rclone's glob patterns (fs/filter/glob.go), matched in linear time.
//!
//! rclone turns a glob into a Go regular expression — `*` is `[^/]*`, `**` is `.*`, `?` is
//! `[^/]`, `[...]` is copied as a Go character class, `{a,b}` is `(a|b)` (and may nest) — and
//! Go's engine never backtracks. This module compiles the same pattern into a small automaton
//! and runs it as a set of live states (Thompson's construction), so a match costs at most
//! (name length + 1) × (pattern states) steps: `*a*a*a*a*b` against a 250-character name is a
//! few thousand steps, where the backtracking matcher this replaced took tens of seconds.
//!
//! Unanchored patterns match the end of the path at a segment boundary (rclone's `(^|/)`
//! prefix); anchored ones (a leading `/`, stripped by the caller) match the whole path.

use std::cell::Cell;

/// One instruction of the automaton.
#[derive(Debug, Clone)]
enum Inst {
    /// Consume this character.
    Char(char),
    /// Consume any character but `/` (`?`, and the body of `*`).
    NotSlash,
    /// Consume any character (the body of `**`).
    Any,
    /// Consume a character of the class.
    Class(Class),
    /// Continue at both targets.
    Split(usize, usize),
    /// Continue at the target.
    Jmp(usize),
    /// The whole input has been consumed: a match.
    Match,
}

/// A named class's test (`[:alpha:]`, `\d`).
type CharTest = fn(char) -> bool;

/// A Go-syntax character class: `[a-z]`, `[^abc]`, `[[:alpha:]]`, `[\d]`.
#[derive(Debug, Clone, Default)]
struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
    /// Named classes, each possibly negated.
    named: Vec<(CharTest, bool)>,
}

impl Class {
    fn matches(&self, c: char) -> bool {
        let hit = self.ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c))
            || self.named.iter().any(|(f, negated)| f(c) != *negated);
        hit != self.negated
    }
}

/// The parsed pattern, before it becomes instructions.
#[derive(Debug, Clone)]
enum Node {
    Char(char),
    NotSlash,
    /// `*`: any run of characters but `/`.
    Star,
    /// `**`: any run of characters.
    DoubleStar,
    Class(Class),
    /// `{a,b,...}`: one of the alternatives.
    Alt(Vec<Vec<Node>>),
}

/// A compiled glob.
#[derive(Debug, Clone)]
pub struct Glob {
    insts: Vec<Inst>,
    /// Matches only from the start of the path (the pattern began with `/`).
    anchored: bool,
    /// `--ignore-case`: characters and classes match either case (Go's `(?i)`).
    fold: bool,
    /// A pattern with `{{regexp}}` sections, as rclone's whole regular expression
    /// ([`super::regexp`]); `insts` is then unused.
    regex: Option<regex::Regex>,
}

impl Glob {
    /// Compiles `pattern` (without its leading `/`; `anchored` says whether it had one).
    pub fn compile(pattern: &str, anchored: bool) -> Result<Glob, String> {
        Glob::compile_with(pattern, anchored, false)
    }

    /// [`compile`](Self::compile), case-insensitively when `ignore_case` (`--ignore-case`).
    pub fn compile_with(pattern: &str, anchored: bool, ignore_case: bool) -> Result<Glob, String> {
        if pattern.contains("{{") {
            return Ok(Glob {
                insts: Vec::new(),
                anchored,
                fold: ignore_case,
                regex: Some(super::regexp::compile(pattern, anchored, ignore_case)?),
            });
        }
        let chars: Vec<char> = pattern.chars().collect();
        let mut pos = 0;
        let nodes = parse_seq(&chars, &mut pos, 0)?;
        if pos != chars.len() {
            return Err("mismatched '{' and '}'".into());
        }
        let mut insts = Vec::new();
        emit_seq(&nodes, &mut insts);
        insts.push(Inst::Match);
        Ok(Glob {
            insts,
            anchored,
            fold: ignore_case,
            regex: None,
        })
    }

    /// Whether the glob matches `path`.
    pub fn matches(&self, path: &str) -> bool {
        if let Some(re) = &self.regex {
            return re.is_match(path);
        }
        self.run(path, &Cell::new(0))
    }

    /// The same as [`matches`](Self::matches), also returning the steps taken (states visited):
    /// the measure of the matcher's cost that tests assert on.
    pub fn matches_counting(&self, path: &str) -> (bool, u64) {
        let steps = Cell::new(0);
        let hit = self.run(path, &steps);
        (hit, steps.get())
    }

    fn run(&self, path: &str, steps: &Cell<u64>) -> bool {
        let n = self.insts.len();
        // `seen[pc] == generation` marks a state already live at this position, so each state
        // is visited at most once per input character.
        let mut seen = vec![usize::MAX; n];
        let mut current: Vec<usize> = Vec::with_capacity(n);
        let mut next: Vec<usize> = Vec::with_capacity(n);
        let mut generation = 0;
        self.add(0, &mut current, &mut seen, generation, steps);
        let mut previous = None;
        for c in path.chars() {
            // Unanchored: the pattern may also start right after any `/`.
            if !self.anchored && previous == Some('/') {
                self.add(0, &mut current, &mut seen, generation, steps);
            }
            // Nothing alive and nothing can restart (anchored): an early "no".
            if current.is_empty() && self.anchored {
                return false;
            }
            generation += 1;
            next.clear();
            for &pc in &current {
                steps.set(steps.get() + 1);
                let consumed = match &self.insts[pc] {
                    Inst::Char(want) => *want == c || (self.fold && same_folded(*want, c)),
                    Inst::NotSlash => c != '/',
                    Inst::Any => true,
                    Inst::Class(class) => {
                        class.matches(c) || (self.fold && other_cases(c).any(|o| class.matches(o)))
                    }
                    _ => false,
                };
                if consumed {
                    self.add(pc + 1, &mut next, &mut seen, generation, steps);
                }
            }
            std::mem::swap(&mut current, &mut next);
            previous = Some(c);
        }
        if !self.anchored && previous == Some('/') {
            self.add(0, &mut current, &mut seen, generation, steps);
        }
        current
            .iter()
            .any(|&pc| matches!(self.insts[pc], Inst::Match))
    }

    /// Adds `pc` and every state reachable from it without consuming input.
    fn add(
        &self,
        pc: usize,
        list: &mut Vec<usize>,
        seen: &mut [usize],
        generation: usize,
        steps: &Cell<u64>,
    ) {
        let mut stack = vec![pc];
        while let Some(pc) = stack.pop() {
            if seen[pc] == generation {
                continue;
            }
            seen[pc] = generation;
            steps.set(steps.get() + 1);
            match self.insts[pc] {
                Inst::Split(a, b) => {
                    stack.push(b);
                    stack.push(a);
                }
                Inst::Jmp(t) => stack.push(t),
                _ => list.push(pc),
            }
        }
    }
}

/// Whether `a` and `b` are the same letter in another case (simple case folding).
fn same_folded(a: char, b: char) -> bool {
    a.to_lowercase().eq(b.to_lowercase()) || a.to_uppercase().eq(b.to_uppercase())
}

/// `c` in its other cases, where each is a single character.
fn other_cases(c: char) -> impl Iterator<Item = char> {
    let single = |mut it: std::iter::Peekable<std::vec::IntoIter<char>>| {
        let first = it.next();
        if it.peek().is_some() { None } else { first }
    };
    let lower = single(c.to_lowercase().collect::<Vec<_>>().into_iter().peekable());
    let upper = single(c.to_uppercase().collect::<Vec<_>>().into_iter().peekable());
    [lower, upper]
        .into_iter()
        .flatten()
        .filter(move |o| *o != c)
}

fn parse_seq(p: &[char], pos: &mut usize, depth: usize) -> Result<Vec<Node>, String> {
    let mut out = Vec::new();
    while *pos < p.len() {
        let c = p[*pos];
        match c {
            '}' | ',' if depth > 0 => return Ok(out),
            '}' => return Err("mismatched '{' and '}'".into()),
            '*' => {
                let mut stars = 0;
                while p.get(*pos) == Some(&'*') {
                    stars += 1;
                    *pos += 1;
                }
                out.push(match stars {
                    1 => Node::Star,
                    2 => Node::DoubleStar,
                    _ => return Err("too many stars".into()),
                });
            }
            '?' => {
                out.push(Node::NotSlash);
                *pos += 1;
            }
            '\\' => {
                *pos += 1;
                let e = *p.get(*pos).ok_or("pattern ends with '\\'")?;
                *pos += 1;
                out.push(match perl_class(e) {
                    Some(class) => Node::Class(class),
                    None => Node::Char(e),
                });
            }
            '[' => {
                *pos += 1;
                out.push(Node::Class(parse_class(p, pos)?));
            }
            ']' => return Err("mismatched ']'".into()),
            '{' => {
                *pos += 1;
                let mut alternatives = Vec::new();
                loop {
                    alternatives.push(parse_seq(p, pos, depth + 1)?);
                    match p.get(*pos) {
                        Some(',') => *pos += 1,
                        Some('}') => {
                            *pos += 1;
                            break;
                        }
                        _ => return Err("mismatched '{' and '}'".into()),
                    }
                }
                out.push(Node::Alt(alternatives));
            }
            c => {
                out.push(Node::Char(c));
                *pos += 1;
            }
        }
    }
    if depth > 0 {
        return Err("mismatched '{' and '}'".into());
    }
    Ok(out)
}

/// A class after its `[`, in Go's syntax (rclone copies it into a Go regexp): `^` negates
/// (`!` is an ordinary character, as in rclone), `]` first is literal, `[:alpha:]` names a
/// class, `\` escapes.
fn parse_class(p: &[char], pos: &mut usize) -> Result<Class, String> {
    let unterminated = || "mismatched '[' and ']'".to_string();
    let mut class = Class::default();
    if p.get(*pos) == Some(&'^') {
        class.negated = true;
        *pos += 1;
    }
    let mut first = true;
    loop {
        let c = *p.get(*pos).ok_or_else(unterminated)?;
        if c == ']' && !first {
            *pos += 1;
            return Ok(class);
        }
        first = false;
        if c == '[' && p.get(*pos + 1) == Some(&':') {
            let rest: String = p[*pos + 2..].iter().collect();
            let end = rest.find(":]").ok_or_else(unterminated)?;
            let name = &rest[..end];
            let (negated, name) = match name.strip_prefix('^') {
                Some(n) => (true, n),
                None => (false, name),
            };
            let f = posix_class(name).ok_or_else(|| format!("unknown class [:{name}:]"))?;
            class.named.push((f, negated));
            *pos += 2 + end + 2;
            continue;
        }
        let lo = if c == '\\' {
            let e = *p.get(*pos + 1).ok_or_else(unterminated)?;
            *pos += 2;
            if let Some(named) = perl_class(e) {
                class.ranges.extend(named.ranges);
                class.named.extend(named.named);
                continue;
            }
            e
        } else {
            *pos += 1;
            c
        };
        if p.get(*pos) == Some(&'-') && p.get(*pos + 1).is_some_and(|c| *c != ']') {
            let mut hi = p[*pos + 1];
            *pos += 2;
            if hi == '\\' {
                hi = *p.get(*pos).ok_or_else(unterminated)?;
                *pos += 1;
            }
            if hi < lo {
                return Err(format!("invalid class range {lo}-{hi}"));
            }
            class.ranges.push((lo, hi));
        } else {
            class.ranges.push((lo, lo));
        }
    }
}

/// `\d`, `\w`, `\s` and their negations, as Go defines them (ASCII).
fn perl_class(c: char) -> Option<Class> {
    let (f, negated): (CharTest, bool) = match c {
        'd' => (|c| c.is_ascii_digit(), false),
        'D' => (|c| c.is_ascii_digit(), true),
        'w' => (|c| c.is_ascii_alphanumeric() || c == '_', false),
        'W' => (|c| c.is_ascii_alphanumeric() || c == '_', true),
        's' => (|c| matches!(c, ' ' | '\t' | '\n' | '\x0c' | '\r'), false),
        'S' => (|c| matches!(c, ' ' | '\t' | '\n' | '\x0c' | '\r'), true),
        _ => return None,
    };
    Some(Class {
        negated: false,
        ranges: Vec::new(),
        named: vec![(f, negated)],
    })
}

/// Go's ASCII classes (`[[:alpha:]]`).
fn posix_class(name: &str) -> Option<CharTest> {
    Some(match name {
        "alnum" => |c: char| c.is_ascii_alphanumeric(),
        "alpha" => |c: char| c.is_ascii_alphabetic(),
        "ascii" => |c: char| c.is_ascii(),
        "blank" => |c: char| c == ' ' || c == '\t',
        "cntrl" => |c: char| c.is_ascii_control(),
        "digit" => |c: char| c.is_ascii_digit(),
        "graph" => |c: char| c.is_ascii_graphic(),
        "lower" => |c: char| c.is_ascii_lowercase(),
        "print" => |c: char| c.is_ascii_graphic() || c == ' ',
        "punct" => |c: char| c.is_ascii_punctuation(),
        "space" => |c: char| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r'),
        "upper" => |c: char| c.is_ascii_uppercase(),
        "word" => |c: char| c.is_ascii_alphanumeric() || c == '_',
        "xdigit" => |c: char| c.is_ascii_hexdigit(),
        _ => return None,
    })
}

fn emit_seq(nodes: &[Node], insts: &mut Vec<Inst>) {
    for node in nodes {
        emit(node, insts);
    }
}

fn emit(node: &Node, insts: &mut Vec<Inst>) {
    match node {
        Node::Char(c) => insts.push(Inst::Char(*c)),
        Node::NotSlash => insts.push(Inst::NotSlash),
        Node::Class(class) => insts.push(Inst::Class(class.clone())),
        Node::Star | Node::DoubleStar => {
            // L: split(L+1, L+3); L+1: consume; L+2: jmp L; L+3: ...
            let start = insts.len();
            insts.push(Inst::Split(start + 1, start + 3));
            insts.push(if matches!(node, Node::Star) {
                Inst::NotSlash
            } else {
                Inst::Any
            });
            insts.push(Inst::Jmp(start));
        }
        Node::Alt(alternatives) => {
            // split(a, split(b, c)); each alternative ends with a jump past the group.
            let mut jumps = Vec::new();
            for (i, alt) in alternatives.iter().enumerate() {
                let last = i + 1 == alternatives.len();
                let split_at = insts.len();
                if !last {
                    insts.push(Inst::Split(split_at + 1, usize::MAX));
                }
                emit_seq(alt, insts);
                if !last {
                    jumps.push(insts.len());
                    insts.push(Inst::Jmp(usize::MAX));
                    let next = insts.len();
                    insts[split_at] = Inst::Split(split_at + 1, next);
                }
            }
            let end = insts.len();
            for j in jumps {
                insts[j] = Inst::Jmp(end);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> bool {
        let (anchored, body) = match pattern.strip_prefix('/') {
            Some(b) => (true, b),
            None => (false, pattern),
        };
        Glob::compile(body, anchored).unwrap().matches(path)
    }

    #[test]
    fn rclone_semantics() {
        assert!(m("*.csv", "a.csv") && m("*.csv", "x/y/a.csv"));
        assert!(!m("*.csv", "a.csv.gz"));
        assert!(m("file.jpg", "directory/file.jpg") && !m("file.jpg", "directory/afile.jpg"));
        assert!(m("/file.jpg", "file.jpg") && !m("/file.jpg", "d/file.jpg"));
        assert!(!m("/reports/*.gz", "reports/a/x.gz"), "* stops at /");
        assert!(m("/reports/**", "reports/a/x.gz"));
        assert!(m("**/x.csv", "keep/x.csv") && m("**/x.csv", "a/b/x.csv"));
        assert!(m("file?.{csv,gz}", "file1.gz") && !m("file?.{csv,gz}", "file12.gz"));
        assert!(
            m("{a,{b,c}}1", "c1") && !m("{a,{b,c}}1", "d1"),
            "braces nest (1.75)"
        );
        assert!(m("{,x}y", "y") && m("{,x}y", "xy"), "empty alternative");
        // Go classes: `!` is an ordinary character, `^` negates and may match `/`.
        assert!(m("[!a]*", "!x") && m("[!a]*", "a1") && !m("[!a]*", "b1"));
        assert!(m("[^a]*", "b1") && !m("[^a]*", "a1"));
        assert!(m("a[^x]b.csv", "a/b.csv"));
        assert!(m("[[:alpha:]]1", "a1") && !m("[[:alpha:]]1", "71"));
        assert!(m("[]x]", "]") && m("[a-c]", "b") && !m("[a-c]", "d"));
        assert!(m("[\\d]x", "7x") && m("\\dx", "7x") && !m("\\dx", "dx"));
        assert!(m("a\\*b", "a*b") && !m("a\\*b", "axb"));
        assert!(m("unicodé*", "dir/unicodé ファイル.csv"));
    }

    #[test]
    fn errors_are_rclones() {
        for (bad, why) in [
            ("***", "too many stars"),
            ("[abc", "mismatched '['"),
            ("a]", "mismatched ']'"),
            ("{a,b", "mismatched '{'"),
            ("a}", "mismatched '{'"),
            ("x\\", "ends with"),
        ] {
            let e = Glob::compile(bad, false).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn ignore_case_and_regexps() {
        let g = Glob::compile_with("*.CSV", false, true).unwrap();
        assert!(g.matches("a/b.csv") && g.matches("B.Csv") && !g.matches("b.csv.gz"));
        let g = Glob::compile_with("[a-c]x", false, true).unwrap();
        assert!(g.matches("Bx") && g.matches("bX") && !g.matches("dx"));
        assert!(!Glob::compile("*.CSV", false).unwrap().matches("b.csv"));
        let g = Glob::compile("{{[0-9]{4}}}-*.csv", false).unwrap();
        assert!(g.matches("r/2026-x.csv") && !g.matches("r/26-x.csv"));
        let g = Glob::compile_with("{{COST}}/**", true, true).unwrap();
        assert!(g.matches("cost/a") && !g.matches("x/cost/a"));
    }

    #[test]
    fn matching_is_linear() {
        // A pattern that sends a backtracking matcher into exponential time.
        let name = "a".repeat(250);
        let glob = Glob::compile("*a*a*a*a*b", false).unwrap();
        let (hit, steps) = glob.matches_counting(&name);
        assert!(!hit);
        // At most (len + 1) positions × (states + closures); the old matcher needed ~C(250,5).
        let bound = (name.len() as u64 + 1) * 2 * glob.insts.len() as u64;
        assert!(steps <= bound, "{steps} steps > {bound}");
        let (hit, _) = glob.matches_counting(&format!("{name}b"));
        assert!(hit);
        // The same holds across segments for `**` and for unanchored restarts after `/`.
        let deep = "a/".repeat(125);
        let glob = Glob::compile("**a**a**a**a**b", false).unwrap();
        let (hit, steps) = glob.matches_counting(&deep);
        assert!(!hit);
        assert!(steps <= (deep.len() as u64 + 1) * 2 * glob.insts.len() as u64);
    }
}
