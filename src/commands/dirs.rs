//! Directory commands as rclone has them: `mkdir`, `rmdir`, `rmdirs`, `lsd` and `tree`.
//!
//! Object stores have no directories: a "directory" there is a prefix some object names share.
//! `mkdir` of one is a no-op (ocisync never creates buckets), `rmdir` checks it is empty, and
//! `rmdirs` has nothing to remove. On file systems they act on real directories, empty ones
//! included.

use std::io::Write;

use ocisync_backend::{ErrorKind, ObjectInfo, Remote};

use super::objects::{self, Failure, has_directories, parent, walk};
use crate::cli::{LsdArgs, RmdirsArgs, TreeArgs};
use crate::exitcode;
use crate::filter::Filter;
use crate::resolve::Resolver;

/// `mkdir PATH`.
pub async fn mkdir(resolver: &Resolver, spec: &str, dry_run: bool) -> u8 {
    objects::finish(mkdir_inner(resolver, spec, dry_run).await)
}

async fn mkdir_inner(resolver: &Resolver, spec: &str, dry_run: bool) -> Result<u8, Failure> {
    let remote = objects::open(resolver, spec).await?;
    if !has_directories(&remote) {
        // Prefixes need no making; the bucket must exist (ocisync never creates one).
        return match remote.list(false).await {
            Ok(_) => Ok(exitcode::SUCCESS),
            Err(e) if e.kind == ErrorKind::DirNotFound => Err(Failure::new(
                exitcode::DIR_NOT_FOUND,
                format!(
                    "{}: the bucket does not exist, and ocisync never creates buckets (create it with the provider's console, CLI or OpenTofu)",
                    remote.display()
                ),
            )),
            Err(e) => Err(e.into()),
        };
    }
    if matches!(
        remote.root_exists.as_ref().map(|f| f()),
        Some(ocisync_backend::remote::RootState::Dir)
    ) {
        return Ok(exitcode::SUCCESS);
    }
    if dry_run {
        tracing::warn!(object = %remote.display(), "Skipped make directory as --dry-run is set");
        return Ok(exitcode::SUCCESS);
    }
    // The parent makes it (with any missing parents above): a remote's root is never made by
    // opening it.
    match objects::split(spec)? {
        Some((parent_path, leaf)) => {
            let p = resolver.open(&parent_path).await.map_err(Failure::from)?;
            p.op.create_dir(&format!("{leaf}/"))
                .await
                .map_err(|e| p.error(e, "mkdir", &leaf))?;
        }
        None => {
            remote
                .op
                .create_dir("/")
                .await
                .map_err(|e| remote.error(e, "mkdir", ""))?;
        }
    }
    tracing::debug!(object = %remote.display(), "Making directory");
    Ok(exitcode::SUCCESS)
}

/// `rmdir PATH`: removes the directory if it is empty.
pub async fn rmdir(resolver: &Resolver, spec: &str, dry_run: bool) -> u8 {
    objects::finish(rmdir_inner(resolver, spec, dry_run).await)
}

async fn rmdir_inner(resolver: &Resolver, spec: &str, dry_run: bool) -> Result<u8, Failure> {
    let remote = objects::open(resolver, spec).await?;
    let entries = walk(&remote, &Filter::default()).await?;
    if !entries.is_empty() {
        return Err(Failure::new(
            exitcode::UNCATEGORIZED,
            format!("{}: directory not empty", remote.display()),
        ));
    }
    if !has_directories(&remote) {
        // An empty prefix is no directory at all; the bucket stays.
        return Ok(exitcode::SUCCESS);
    }
    if dry_run {
        tracing::warn!(object = %remote.display(), "Skipped remove directory as --dry-run is set");
        return Ok(exitcode::SUCCESS);
    }
    remove_dir(resolver, spec, &remote, "").await?;
    Ok(exitcode::SUCCESS)
}

/// Removes the empty directory `dir` of `remote` (`""`: its root, through its parent).
async fn remove_dir(
    resolver: &Resolver,
    spec: &str,
    remote: &Remote,
    dir: &str,
) -> Result<(), Failure> {
    if !dir.is_empty() {
        return remote
            .op
            .delete(&format!("{dir}/"))
            .await
            .map_err(|e| remote.error(e, "rmdir", dir).into());
    }
    let Some((parent_path, leaf)) = objects::split(spec.trim_end_matches('/'))? else {
        return Err(Failure::new(
            exitcode::USAGE,
            format!("{}: cannot remove this directory", remote.display()),
        ));
    };
    let p = resolver.open(&parent_path).await.map_err(Failure::from)?;
    p.op.delete(&format!("{leaf}/"))
        .await
        .map_err(|e| p.error(e, "rmdir", &leaf).into())
}

/// `rmdirs PATH [--leave-root]`: removes every empty directory under the path, deepest first.
pub async fn rmdirs(resolver: &Resolver, a: &RmdirsArgs, filter: &Filter, dry_run: bool) -> u8 {
    objects::finish(rmdirs_inner(resolver, a, filter, dry_run).await)
}

async fn rmdirs_inner(
    resolver: &Resolver,
    a: &RmdirsArgs,
    filter: &Filter,
    dry_run: bool,
) -> Result<u8, Failure> {
    let spec = a.target.remote.as_str();
    let remote = objects::open(resolver, spec).await?;
    if !has_directories(&remote) {
        drop(remote.list(false).await?);
        return Ok(exitcode::SUCCESS);
    }
    // As rclone's Rmdirs: the listing obeys the filters (an excluded object does not keep its
    // directory), and a directory goes when `dir/` passes the file rules.
    let entries = walk(&remote, filter).await?;
    let (errors, _) = remove_empty_dirs(&remote, &entries, filter, dry_run).await;
    if !a.leave_root && entries.iter().all(|e| e.is_dir) {
        let all_gone = errors == 0
            && entries
                .iter()
                .all(|e| filter.remote_included(&format!("{}/", e.path)))
            && filter.remote_included("/");
        if all_gone {
            if dry_run {
                tracing::warn!(object = %remote.display(), "Skipped remove directory as --dry-run is set");
            } else {
                remove_dir(resolver, spec, &remote, "").await?;
            }
        }
    }
    Ok(if errors > 0 {
        exitcode::UNCATEGORIZED
    } else {
        exitcode::SUCCESS
    })
}

/// Removes the directories among `entries` that hold no object (at any depth), deepest first,
/// where the filter's directory rules allow. Returns (errors, removed).
pub async fn remove_empty_dirs(
    remote: &Remote,
    entries: &[ObjectInfo],
    filter: &Filter,
    dry_run: bool,
) -> (u64, u64) {
    let mut holds_files: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for e in entries.iter().filter(|e| !e.is_dir) {
        let mut p = parent(&e.path);
        while !p.is_empty() && holds_files.insert(p) {
            p = parent(p);
        }
    }
    let mut empty: Vec<&ObjectInfo> = entries
        .iter()
        .filter(|e| {
            e.is_dir
                && !holds_files.contains(&*e.path)
                && filter.remote_included(&format!("{}/", e.path))
        })
        .collect();
    // Deepest first: a directory is empty once its empty children are gone.
    empty.sort_by(|a, b| b.path.cmp(&a.path));
    let (mut errors, mut removed) = (0, 0);
    for d in empty {
        if dry_run {
            tracing::warn!(object = %d.path, "Skipped remove directory as --dry-run is set");
            continue;
        }
        match remote.op.delete(&format!("{}/", d.path)).await {
            Ok(()) => {
                removed += 1;
                tracing::debug!(object = %d.path, "Removing directory");
            }
            Err(e) => {
                errors += 1;
                let e = remote.error(e, "rmdir", &d.path);
                tracing::error!(object = %d.path, "Failed to rmdir: {e}");
            }
        }
    }
    (errors, removed)
}

/// rclone's time format for `lsd` (local time).
fn lsd_time(t: Option<jiff::Timestamp>) -> String {
    t.unwrap_or_else(jiff::Timestamp::now)
        .to_zoned(jiff::tz::TimeZone::system())
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// `lsd PATH [-R]`: one line per directory: size, time, item count (-1: unknown), path.
pub async fn lsd(resolver: &Resolver, a: &LsdArgs, filter: &Filter) -> u8 {
    objects::finish(lsd_inner(resolver, a, filter).await)
}

async fn lsd_inner(resolver: &Resolver, a: &LsdArgs, filter: &Filter) -> Result<u8, Failure> {
    let remote = objects::open(resolver, &a.target.remote).await?;
    let entries = walk(&remote, filter).await?;
    let depth = if a.recursive {
        filter.max_depth.unwrap_or(usize::MAX)
    } else {
        filter.max_depth.unwrap_or(1)
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for d in entries.iter().filter(|e| e.is_dir) {
        if d.path.matches('/').count() >= depth {
            continue;
        }
        let _ = writeln!(
            out,
            "{:>12} {:>13} {:>9} {}",
            dir_size_on_disk(&remote, &d.path),
            lsd_time(d.mtime),
            -1,
            d.path
        );
    }
    let _ = out.flush();
    Ok(exitcode::SUCCESS)
}

/// The size a directory listing gives a directory: the file system's (as rclone's local
/// backend reports it), 0 for an object store's prefix.
fn dir_size_on_disk(remote: &Remote, dir: &str) -> i64 {
    if !has_directories(remote) {
        return 0;
    }
    remote
        .features
        .location
        .as_deref()
        .and_then(|l| l.strip_prefix("file://"))
        .and_then(|root| std::fs::symlink_metadata(format!("{root}{dir}")).ok())
        .map(|m| m.len() as i64)
        .unwrap_or(-1)
}

/// One node of the tree.
struct Node<'a> {
    entry: &'a ObjectInfo,
    children: Vec<Node<'a>>,
}

/// `tree PATH`: as the `tree` command (and rclone) draws it.
pub async fn tree(resolver: &Resolver, a: &TreeArgs, filter: &Filter) -> u8 {
    objects::finish(tree_inner(resolver, a, filter).await)
}

async fn tree_inner(resolver: &Resolver, a: &TreeArgs, filter: &Filter) -> Result<u8, Failure> {
    let remote = objects::open(resolver, &a.target.remote).await?;
    let entries = walk(&remote, filter).await?;
    let mut out = String::new();
    let (dirs, files) = draw(&entries, a, &mut out);
    // rclone counts the directories only when some file was found (tree.go: `if f != 0`).
    let dirs = if files == 0 { 0 } else { dirs };
    if !a.noreport {
        out.push_str(&format!("\n{dirs} directories"));
        if !a.dirs_only {
            out.push_str(&format!(", {files} files"));
        }
        out.push('\n');
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    Ok(exitcode::SUCCESS)
}

/// Draws the tree into `out`; returns (directories, files) shown.
fn draw(entries: &[ObjectInfo], a: &TreeArgs, out: &mut String) -> (usize, usize) {
    let level = if a.level > 0 { a.level } else { usize::MAX };
    fn children<'a>(
        entries: &'a [ObjectInfo],
        dir: &str,
        depth: usize,
        a: &TreeArgs,
        level: usize,
    ) -> Vec<Node<'a>> {
        if depth >= level {
            return Vec::new();
        }
        let mut v: Vec<Node<'a>> = entries
            .iter()
            .filter(|e| parent(&e.path) == dir)
            .filter(|e| a.all || !e.name().starts_with('.'))
            .filter(|e| e.is_dir || !a.dirs_only)
            .map(|e| Node {
                entry: e,
                children: if e.is_dir {
                    children(entries, &e.path, depth + 1, a, level)
                } else {
                    Vec::new()
                },
            })
            .collect();
        if !a.unsorted {
            if a.sort_modtime {
                v.sort_by_key(|n| n.entry.mtime);
            } else if a.dirsfirst {
                v.sort_by(|x, y| {
                    y.entry
                        .is_dir
                        .cmp(&x.entry.is_dir)
                        .then_with(|| x.entry.name().cmp(y.entry.name()))
                });
            } else {
                v.sort_by(|x, y| x.entry.name().cmp(y.entry.name()));
            }
            if a.sort_reverse {
                v.reverse();
            }
        }
        v
    }
    let top = children(entries, "", 0, a, level);
    if a.size {
        let total: u64 = top
            .iter()
            .map(|n| {
                if n.entry.is_dir {
                    dir_size(n)
                } else {
                    n.entry.size
                }
            })
            .sum();
        out.push_str(&format!("[{total:>11}]  "));
    }
    out.push_str(if a.quote { "\"/\"\n" } else { "/\n" });
    let mut counts = (0, 0);
    fn print(nodes: &[Node], indent: &str, a: &TreeArgs, out: &mut String, c: &mut (usize, usize)) {
        for (i, n) in nodes.iter().enumerate() {
            let last = i + 1 == nodes.len();
            out.push_str(indent);
            out.push_str(if last { "└── " } else { "├── " });
            let mut props = Vec::new();
            if a.size {
                let size = if n.entry.is_dir {
                    dir_size(n)
                } else {
                    n.entry.size
                };
                props.push(format!("{size:>11}"));
            }
            if a.modtime && !n.entry.is_dir {
                props.push(tree_time(n.entry.mtime));
            }
            if !props.is_empty() {
                out.push_str(&format!("[{}]  ", props.join(" ")));
            }
            let name = if a.full_path {
                format!("/{}", n.entry.path)
            } else {
                n.entry.name().to_string()
            };
            let name = crate::log::escape_controls(&name).into_owned();
            if a.quote {
                out.push_str(&format!("\"{name}\""));
            } else {
                out.push_str(&name);
            }
            out.push('\n');
            if n.entry.is_dir {
                c.0 += 1;
            } else {
                c.1 += 1;
            }
            let add = if last { "    " } else { "│   " };
            print(&n.children, &format!("{indent}{add}"), a, out, c);
        }
    }
    print(&top, "", a, out, &mut counts);
    counts
}

fn dir_size(n: &Node) -> u64 {
    n.children
        .iter()
        .map(|c| {
            if c.entry.is_dir {
                dir_size(c)
            } else {
                c.entry.size
            }
        })
        .sum()
}

/// The `tree` command's `-D` dates: `Jan 02 15:04` this year, `Jan 02  2006` otherwise.
fn tree_time(t: Option<jiff::Timestamp>) -> String {
    let tz = jiff::tz::TimeZone::system();
    let t = t.unwrap_or_else(jiff::Timestamp::now).to_zoned(tz.clone());
    let now = jiff::Timestamp::now().to_zoned(tz);
    if t.year() == now.year() {
        t.strftime("%b %d %H:%M").to_string()
    } else {
        t.strftime("%b %d  %Y").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(path: &str, dir: bool) -> ObjectInfo {
        let mut o = ObjectInfo::file(path, 3);
        o.is_dir = dir;
        o
    }

    #[test]
    fn trees_are_drawn_as_rclone_draws_them() {
        let entries = vec![
            obj("a", true),
            obj("a/b", true),
            obj("a/b/g.csv", false),
            obj("a/f1.txt", false),
            obj("c", true),
            obj("c/h.gz", false),
            obj(".hidden", false),
            obj("top.txt", false),
        ];
        let a = TreeArgs {
            target: crate::cli::Target { remote: "x".into() },
            all: false,
            dirs_only: false,
            full_path: false,
            noreport: false,
            level: 0,
            size: false,
            quote: false,
            modtime: false,
            unsorted: false,
            sort_modtime: false,
            sort_reverse: false,
            dirsfirst: false,
        };
        let mut out = String::new();
        let counts = draw(&entries, &a, &mut out);
        assert_eq!(
            out,
            "/\n├── a\n│   ├── b\n│   │   └── g.csv\n│   └── f1.txt\n├── c\n│   └── h.gz\n└── top.txt\n"
        );
        assert_eq!(counts, (3, 4));
    }
}
