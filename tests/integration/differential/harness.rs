//! The harness: places (a local directory, a bucket directory served by `rclone serve s3`, a
//! bucket of the fake OCI service), seeding them, snapshotting them, running one case with
//! both tools and comparing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU32, Ordering};

use ocisync_backend::Md5;
use ocisync_fakes::objectstorage::SeedObject;
use ocisync_fakes::servers::{Server, rclone_serve};

use crate::support::oci::Oci;
use crate::support::rclone::rclone;
use crate::support::tree::{TempDir, config};
use crate::support::{code, run, runtime, stdout};

/// Where a case's places live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Local,
    ServeS3,
    Oci,
}

/// One file to seed: name, content, modification time (Unix seconds). A name ending in `/` is
/// an empty directory (file systems only).
pub type Seed = (&'static str, &'static [u8], i64);

/// The base modification time of seeded files.
pub const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// A world of places for one test: the servers it needs and the ocisync config naming them.
pub struct World {
    pub kind: Kind,
    dir: TempDir,
    cfg: PathBuf,
    serve: Option<(Server, TempDir)>,
    oci: Option<Oci>,
    _rt: Option<tokio::runtime::Runtime>,
    counter: AtomicU32,
}

impl World {
    pub fn new(kind: Kind) -> World {
        let dir = TempDir::new("diff");
        let mut rt = None;
        let (serve, oci, toml) = match kind {
            Kind::Local => (None, None, String::new()),
            Kind::ServeS3 => {
                let root = TempDir::new("diff-serve-s3");
                // The harness writes objects straight into the served directory: no cached listings.
                let server = rclone_serve("s3", root.path(), &["--dir-cache-time", "1ms"]);
                let toml = format!(
                    "[remotes.s3]\ntype = \"s3\"\nprovider = \"Other\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\naccess_key_id = \"test\"\nsecret_access_key = \"testsecret\"\nno_check_bucket = true\n",
                    server.endpoint
                );
                (Some((server, root)), None, toml)
            }
            Kind::Oci => {
                let r = runtime();
                let oci = r.block_on(Oci::start(false));
                let toml = oci.unsigned_remote_toml("oci");
                rt = Some(r);
                (None, Some(oci), toml)
            }
        };
        let cfg = config(&dir, &toml);
        World {
            kind,
            dir,
            cfg,
            serve,
            oci,
            _rt: rt,
            counter: AtomicU32::new(0),
        }
    }

    /// A fresh, empty place of this world's kind (or a local directory, whatever the kind).
    pub fn place(&self, local: bool) -> Place {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let kind = if local { Kind::Local } else { self.kind };
        match kind {
            Kind::Local => {
                let p = self.dir.join(&format!("p{n}"));
                std::fs::create_dir_all(&p).unwrap();
                Place::Local(p)
            }
            Kind::ServeS3 => {
                let (server, root) = self.serve.as_ref().unwrap();
                let bucket = format!("b{n}");
                std::fs::create_dir_all(root.join(&bucket)).unwrap();
                Place::ServeS3 {
                    dir: root.join(&bucket),
                    endpoint: server.endpoint.clone(),
                    bucket,
                }
            }
            Kind::Oci => {
                let bucket = format!("b{n}");
                let oci = self.oci.as_ref().unwrap();
                oci.fake.create_bucket("bling", &bucket);
                Place::Oci {
                    bucket,
                    endpoint: oci.fake.base_url(),
                }
            }
        }
    }

    /// A file outside every place (filter lists, rules), shared by both tools.
    pub fn file(&self, name: &str, content: &str) -> String {
        let p = self.dir.join(name);
        std::fs::write(&p, content).unwrap();
        p.to_string_lossy().into_owned()
    }

    pub fn ocisync(&self, args: &[String]) -> Output {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&self.cfg, &args)
    }

    fn seed(&self, place: &Place, files: &[Seed]) {
        match place {
            Place::Local(dir) | Place::ServeS3 { dir, .. } => {
                for (name, data, mtime) in files {
                    let p = dir.join(name);
                    if name.ends_with('/') {
                        // An empty directory.
                        std::fs::create_dir_all(&p).unwrap();
                        continue;
                    }
                    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                    std::fs::write(&p, data).unwrap();
                    set_mtime(&p, *mtime);
                }
                // Directories get a fixed time too: the two tools' places are made at different
                // moments, and lsd prints directory times.
                set_dir_mtimes(dir, T0);
            }
            Place::Oci { bucket, .. } => {
                let oci = self.oci.as_ref().unwrap();
                for (name, data, mtime) in files.iter().filter(|f| !f.0.ends_with('/')) {
                    oci.fake.seed(
                        "bling",
                        bucket,
                        SeedObject::new(*name, data.to_vec())
                            .meta("mtime", &mtime.to_string())
                            .modified(jiff::Timestamp::from_second(*mtime).unwrap()),
                    );
                }
            }
        }
    }

    /// Every object of a place: key → (MD5, modification time in nanoseconds).
    fn snapshot(&self, place: &Place) -> Snapshot {
        let mut files = BTreeMap::new();
        let mut dirs = BTreeSet::new();
        let mut tiers = BTreeMap::new();
        match place {
            Place::Local(root) | Place::ServeS3 { dir: root, .. } => {
                walk(root, root, &mut files, &mut dirs);
            }
            Place::Oci { bucket, .. } => {
                let oci = self.oci.as_ref().unwrap();
                for name in oci.fake.object_names("bling", bucket) {
                    let o = oci.fake.object("bling", bucket, &name).unwrap();
                    let mtime = o
                        .metadata
                        .get("mtime")
                        .and_then(|m| ocisync_backend::object::parse_mtime(m))
                        .map(|t| t.as_nanosecond());
                    tiers.insert(name.clone(), o.storage_tier.as_str().to_string());
                    files.insert(name, (Md5::of(&o.data).to_hex(), mtime));
                }
            }
        }
        Snapshot { files, dirs, tiers }
    }
}

fn set_mtime(path: &Path, secs: i64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64))
        .unwrap();
}

fn set_dir_mtimes(dir: &Path, secs: i64) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            set_dir_mtimes(&e.path(), secs);
        }
    }
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64));
    }
}

fn walk(
    root: &Path,
    dir: &Path,
    files: &mut BTreeMap<String, (String, Option<i128>)>,
    dirs: &mut BTreeSet<String>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let meta = std::fs::symlink_metadata(&p).unwrap();
        if meta.is_dir() {
            dirs.insert(rel);
            walk(root, &p, files, dirs);
        } else {
            let data = std::fs::read(&p).unwrap();
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos() as i128);
            files.insert(rel, (Md5::of(&data).to_hex(), mtime));
        }
    }
}

/// One place of one run.
#[derive(Debug, Clone)]
pub enum Place {
    Local(PathBuf),
    ServeS3 {
        dir: PathBuf,
        endpoint: String,
        bucket: String,
    },
    Oci {
        bucket: String,
        endpoint: String,
    },
}

impl Place {
    /// The path as rclone is given it (`sub`: a path inside the place).
    fn rclone(&self, sub: &str) -> String {
        match self {
            Place::Local(p) => join(&p.to_string_lossy(), sub),
            Place::ServeS3 {
                endpoint, bucket, ..
            } => format!(
                ":s3,provider=Other,endpoint='{endpoint}',access_key_id=test,secret_access_key=testsecret,region=us-east-1:{}",
                join(bucket, sub)
            ),
            Place::Oci { bucket, endpoint } => format!(
                ":oracleobjectstorage,provider=no_auth,namespace=bling,region=us-ashburn-1,endpoint='{endpoint}':{}",
                join(bucket, sub)
            ),
        }
    }

    /// The path as ocisync is given it.
    fn ocisync(&self, sub: &str) -> String {
        match self {
            Place::Local(p) => join(&p.to_string_lossy(), sub),
            Place::ServeS3 { bucket, .. } => format!("s3:{}", join(bucket, sub)),
            Place::Oci { bucket, .. } => format!("oci:{}", join(bucket, sub)),
        }
    }
}

fn join(base: &str, sub: &str) -> String {
    if sub.is_empty() {
        base.to_string()
    } else {
        format!("{}/{sub}", base.trim_end_matches('/'))
    }
}

/// What a place holds: files (key → MD5, mtime) and, for directories, the directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    files: BTreeMap<String, (String, Option<i128>)>,
    dirs: BTreeSet<String>,
    /// OCI storage tiers (fake OCI places only).
    tiers: BTreeMap<String, String>,
}

/// How a case's stdout is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Out {
    /// Not compared (logs, timings).
    Ignore,
    /// Byte for byte.
    Exact,
    /// As sorted lines (rclone prints these in parallel).
    Sorted,
}

/// One scenario: a command line with `{place}` / `{place/sub/path}` / `{file:NAME}`
/// placeholders, the places' seeds, and what to compare.
#[derive(Clone)]
pub struct Case {
    pub name: String,
    args: Vec<String>,
    places: Vec<(String, Vec<Seed>)>,
    /// Places that are local directories whatever the world (one side of an upload).
    local: Vec<String>,
    files: Vec<(String, String)>,
    out: Out,
    dirs: bool,
    mtimes: bool,
    differs: Option<&'static str>,
    stdin: Option<Vec<u8>>,
}

impl Case {
    pub fn new(name: impl Into<String>, args: &[&str]) -> Case {
        Case {
            name: name.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            places: Vec::new(),
            local: Vec::new(),
            files: Vec::new(),
            out: Out::Ignore,
            dirs: false,
            mtimes: true,
            differs: None,
            stdin: None,
        }
    }

    /// A place and what it holds before the run.
    pub fn place(mut self, name: &str, seed: &[Seed]) -> Case {
        self.places.push((name.to_string(), seed.to_vec()));
        self
    }

    /// The place `name` is a local directory in every world (uploads and downloads).
    pub fn local(mut self, name: &str) -> Case {
        self.local.push(name.to_string());
        self
    }

    /// A file outside the places (`{file:NAME}` in the arguments).
    pub fn file(mut self, name: &str, content: &str) -> Case {
        self.files.push((name.to_string(), content.to_string()));
        self
    }

    pub fn out(mut self, out: Out) -> Case {
        self.out = out;
        self
    }

    /// Also compare directories (local places).
    pub fn dirs(mut self) -> Case {
        self.dirs = true;
        self
    }

    /// Don't compare modification times (objects written at "now").
    pub fn no_mtimes(mut self) -> Case {
        self.mtimes = false;
        self
    }

    pub fn stdin(mut self, data: &[u8]) -> Case {
        self.stdin = Some(data.to_vec());
        self
    }

    /// The tools disagree here on purpose: `id` names the entry of the compatibility matrix.
    pub fn differs(mut self, id: &'static str) -> Case {
        self.differs = Some(id);
        self
    }

    /// Appends arguments (for matrices of flags).
    pub fn with(mut self, more: &[&str]) -> Case {
        self.args.extend(more.iter().map(|s| s.to_string()));
        self
    }
}

/// What one tool's run left.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    code: i32,
    stdout: String,
    places: BTreeMap<String, Snapshot>,
}

#[derive(Clone, Copy)]
enum Tool {
    Rclone,
    Ocisync,
}

fn expand(world: &World, case: &Case, places: &BTreeMap<String, Place>, tool: Tool) -> Vec<String> {
    let files: BTreeMap<&str, String> = case
        .files
        .iter()
        .map(|(n, c)| {
            (
                n.as_str(),
                world.file(&format!("{}-{n}", sanitize(&case.name)), c),
            )
        })
        .collect();
    case.args
        .iter()
        .map(|a| {
            let mut out = a.clone();
            while let Some(start) = out.find('{') {
                let Some(len) = out[start..].find('}') else {
                    break;
                };
                let token = &out[start + 1..start + len];
                let value = if let Some(f) = token.strip_prefix("file:") {
                    files.get(f).cloned()
                } else {
                    let (name, sub) = token.split_once('/').unwrap_or((token, ""));
                    places.get(name).map(|p| match tool {
                        Tool::Rclone => p.rclone(sub),
                        Tool::Ocisync => p.ocisync(sub),
                    })
                };
                match value {
                    Some(v) => out.replace_range(start..start + len + 1, &v),
                    // A brace that is not a placeholder (a glob's {a,b}): leave the rest alone.
                    None => break,
                }
            }
            out
        })
        .collect()
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn run_tool(world: &World, case: &Case, tool: Tool) -> Outcome {
    let places: BTreeMap<String, Place> = case
        .places
        .iter()
        .map(|(name, seed)| {
            let p = world.place(case.local.contains(name));
            world.seed(&p, seed);
            (name.clone(), p)
        })
        .collect();
    let args = expand(world, case, &places, tool);
    let out = match (tool, &case.stdin) {
        (Tool::Rclone, None) => {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            rclone(&a)
        }
        (Tool::Ocisync, None) => world.ocisync(&args),
        (tool, Some(data)) => {
            use std::io::Write;
            let mut cmd = match tool {
                Tool::Rclone => {
                    let mut c = std::process::Command::new("rclone");
                    c.env("RCLONE_CONFIG", "/nonexistent/rclone.conf");
                    c
                }
                Tool::Ocisync => {
                    let mut c = crate::support::ocisync();
                    c.arg("--config").arg(&world.cfg);
                    c
                }
            };
            let mut child = cmd
                .args(&args)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(data).unwrap();
            child.wait_with_output().unwrap()
        }
    };
    let mut snaps = BTreeMap::new();
    for (name, p) in &places {
        let mut s = world.snapshot(p);
        if !case.dirs {
            s.dirs.clear();
        }
        if !case.mtimes {
            for v in s.files.values_mut() {
                v.1 = None;
            }
        }
        snaps.insert(name.clone(), s);
    }
    let text = stdout(&out);
    Outcome {
        code: code(&out),
        stdout: match case.out {
            Out::Ignore => String::new(),
            Out::Exact => text,
            Out::Sorted => {
                let mut lines: Vec<&str> = text.lines().collect();
                lines.sort();
                lines.join("\n")
            }
        },
        places: snaps,
    }
}

/// What differs between rclone's outcome and ocisync's, briefly.
fn explain(theirs: &Outcome, ours: &Outcome) -> String {
    let mut out = Vec::new();
    if theirs.code != ours.code {
        out.push(format!(
            "  exit code: rclone {}, ocisync {}",
            theirs.code, ours.code
        ));
    }
    if theirs.stdout != ours.stdout {
        out.push(format!(
            "  stdout:\n    rclone:  {:?}\n    ocisync: {:?}",
            theirs.stdout, ours.stdout
        ));
    }
    for (name, t) in &theirs.places {
        let Some(o) = ours.places.get(name) else {
            continue;
        };
        for (k, v) in &t.files {
            match o.files.get(k) {
                None => out.push(format!("  {name}/{k}: only after rclone {v:?}")),
                Some(w) if w != v => out.push(format!("  {name}/{k}: rclone {v:?}, ocisync {w:?}")),
                _ => {}
            }
        }
        for (k, w) in &o.files {
            if !t.files.contains_key(k) {
                out.push(format!("  {name}/{k}: only after ocisync {w:?}"));
            }
        }
        for (k, tier) in &t.tiers {
            if o.tiers.get(k) != Some(tier) {
                out.push(format!(
                    "  {name}/{k}: tier {tier} after rclone, {:?} after ocisync",
                    o.tiers.get(k)
                ));
            }
        }
        for d in t.dirs.symmetric_difference(&o.dirs) {
            let who = if t.dirs.contains(d) {
                "rclone"
            } else {
                "ocisync"
            };
            out.push(format!("  {name}/{d}/: directory only after {who}"));
        }
    }
    out.join("\n")
}

/// Runs every case; panics with every disagreement found.
pub fn check_all(world: &World, cases: Vec<Case>) {
    let known: BTreeSet<&str> = ocisync::cli::compat::DIFFERENCES
        .iter()
        .map(|d| d.id)
        .collect();
    let mut failures = Vec::new();
    let total = cases.len();
    for case in cases {
        let theirs = run_tool(world, &case, Tool::Rclone);
        let ours = run_tool(world, &case, Tool::Ocisync);
        let same = theirs == ours;
        match (same, case.differs) {
            (true, None) => {}
            (false, None) => failures.push(format!(
                "[{:?}] {}: ocisync disagrees with rclone\n{}",
                world.kind,
                case.name,
                explain(&theirs, &ours)
            )),
            (true, Some(id)) => failures.push(format!(
                "[{:?}] {}: listed as deliberate difference {id:?}, but the tools agree: remove it from the case",
                world.kind, case.name
            )),
            (false, Some(id)) if !known.contains(id) => failures.push(format!(
                "[{:?}] {}: difference {id:?} is not in docs/rclone-compat.md (compat::DIFFERENCES)",
                world.kind, case.name
            )),
            (false, Some(_)) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} cases disagree:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    eprintln!("{total} cases: ocisync agrees with rclone (or differs as documented)");
}

/// Whether the long variants run (`OCISYNC_DIFF_FULL=1`).
pub fn full() -> bool {
    std::env::var_os("OCISYNC_DIFF_FULL").is_some_and(|v| v != "0")
}
