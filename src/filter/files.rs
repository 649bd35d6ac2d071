//! The files behind `--include-from`, `--exclude-from`, `--filter-from` and `--files-from`
//! (`-raw`, `0`), read as rclone reads them (fs/filter/rules.go `forEachLine`): one entry a
//! line (or NUL-separated), `-` for stdin; unless raw, lines are trimmed and empty lines and
//! lines starting with `#` or `;` are skipped. An unreadable file names itself and its flag.

use std::io::Read;
use std::path::Path;

/// How a file's entries are separated and cleaned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// Trimmed; empty lines and `#`/`;` comments skipped.
    Cooked,
    /// Lines as they are (`--files-from-raw`).
    Raw,
    /// NUL-separated, as they are (`--files-from0`).
    Nul,
}

/// The entries of `path` (`-`: stdin), or a message naming `flag` and the file.
pub fn read_lines(flag: &str, path: &Path, how: Lines) -> Result<Vec<String>, String> {
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin().lock().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes))
    };
    read.map_err(|e| format!("--{flag} {}: {e}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("--{flag} {}: not UTF-8 text", path.display()))?;
    Ok(split(&text, how))
}

fn split(text: &str, how: Lines) -> Vec<String> {
    match how {
        Lines::Nul => {
            let mut v: Vec<String> = text.split('\0').map(str::to_string).collect();
            // A trailing NUL ends the last entry; it does not start an empty one.
            if v.last().is_some_and(String::is_empty) {
                v.pop();
            }
            v
        }
        Lines::Raw => lines(text).map(str::to_string).collect(),
        Lines::Cooked => lines(text)
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'))
            .map(str::to_string)
            .collect(),
    }
}

/// Go's `bufio.ScanLines`: `\n` ends a line, a `\r` before it is dropped, a last line without
/// `\n` counts.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let mut it = (!text.is_empty()).then(|| body.split('\n'));
    std::iter::from_fn(move || it.as_mut()?.next()).map(|l| l.strip_suffix('\r').unwrap_or(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_as_rclone_reads_them() {
        let text = "# comment\n; other\n  a.csv  \n\nb/c.csv\r\nlast";
        assert_eq!(split(text, Lines::Cooked), ["a.csv", "b/c.csv", "last"]);
        assert_eq!(
            split(text, Lines::Raw),
            ["# comment", "; other", "  a.csv  ", "", "b/c.csv", "last"]
        );
        assert_eq!(split("a\0 b\0", Lines::Nul), ["a", " b"]);
        assert!(split("", Lines::Raw).is_empty());
        assert_eq!(split("x\n", Lines::Raw), ["x"]);
    }

    #[test]
    fn unreadable_files_are_named() {
        let e = read_lines(
            "filter-from",
            Path::new("/nonexistent/rules"),
            Lines::Cooked,
        )
        .unwrap_err();
        assert!(e.starts_with("--filter-from /nonexistent/rules: "), "{e}");
    }
}
