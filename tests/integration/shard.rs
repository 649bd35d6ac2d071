//! `--shard K/N` by simulation: N ocisync processes started at once over one source and one
//! destination (a local tree → moto S3), each talking to S3 through a recording proxy of its
//! own, so the proxies' request logs say exactly which worker sent which request. The trees are
//! random (objects, sizes, changes and deletions drawn from a fixed seed).
//!
//! Set `OCISYNC_TEST_VERBOSE=1` to see the request accounting per worker.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

use ocisync::engine::shard::shard_of;
use ocisync_fakes::http::Server;
use ocisync_fakes::s3_proxy::S3Proxy;
use serde_json::Value;

use crate::support::s3::S3;
use crate::support::tree::{TempDir, bytes, config};
use crate::support::{assert_code, code, ocisync, run, runtime, stderr, stdout};

/// A small xorshift generator: the same trees on every machine.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Name fragments, some awkward (spaces, `+`, `%`, non-ASCII): the shard is a hash of the key
/// bytes, and each worker must find the same key on both sides.
const WORDS: &[&str] = &[
    "cost",
    "usage",
    "focus report",
    "plus+sign",
    "percent%41",
    "ファイル",
    "été",
    "a.b",
];

/// `count` random names → contents, from `seed`.
fn random_tree(rng: &mut Rng, count: usize, tag: &str) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    while out.len() < count {
        let depth = rng.below(3);
        let mut name = String::new();
        for _ in 0..depth {
            name.push_str(&format!("d{}/", rng.below(4)));
        }
        let word = WORDS[rng.below(WORDS.len() as u64) as usize];
        name.push_str(&format!("{tag}-{}-{word}.csv", rng.below(1_000_000)));
        let len = rng.below(3000) as usize;
        out.insert(name, bytes(rng.below(u64::MAX), len));
    }
    out
}

/// What a source change does: the source after it, and what a sync must copy and delete.
struct Plan {
    before: BTreeMap<String, Vec<u8>>,
    after: BTreeMap<String, Vec<u8>>,
    copies: BTreeSet<String>,
    deletions: BTreeSet<String>,
}

/// `objects` random objects; then about 20% deleted, 15% changed and `new` added.
fn plan(seed: u64, objects: usize, new: usize) -> Plan {
    let mut rng = Rng(seed);
    let before = random_tree(&mut rng, objects, "obj");
    let mut after = BTreeMap::new();
    let (mut copies, mut deletions) = (BTreeSet::new(), BTreeSet::new());
    for (name, content) in &before {
        match rng.below(100) {
            0..20 => {
                deletions.insert(name.clone());
            }
            20..35 => {
                // Another size, so any comparison sees the change.
                let len = content.len() + 1 + rng.below(100) as usize;
                after.insert(name.clone(), bytes(rng.below(u64::MAX), len));
                copies.insert(name.clone());
            }
            _ => {
                after.insert(name.clone(), content.clone());
            }
        }
    }
    for (name, content) in random_tree(&mut rng, new, "new") {
        if !before.contains_key(&name) {
            copies.insert(name.clone());
            after.insert(name, content);
        }
    }
    Plan {
        before,
        after,
        copies,
        deletions,
    }
}

/// Replaces the tree under `root` with `files`.
fn write_tree(root: &Path, files: &BTreeMap<String, Vec<u8>>) {
    let _ = std::fs::remove_dir_all(root);
    std::fs::create_dir_all(root).unwrap();
    for (name, content) in files {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
}

/// moto, a proxy for the set-up and one recording proxy per worker (remote `wK`), a source
/// directory, and the config naming them all.
struct Sim {
    _rt: tokio::runtime::Runtime,
    s3: S3,
    workers: Vec<Server>,
    dir: TempDir,
    src: TempDir,
    cfg: PathBuf,
}

impl Sim {
    fn new(label: &str, n: usize) -> Sim {
        let rt = runtime();
        let s3 = rt.block_on(S3::start(label));
        let workers = rt.block_on(async {
            let mut out = Vec::new();
            for _ in 0..n {
                let upstream = ocisync_fakes::moto::endpoint();
                let proxy = S3Proxy::new(upstream, reqwest::Client::new());
                out.push(Server::start(Arc::new(proxy), 0).await.expect("proxy"));
            }
            out
        });
        let dir = TempDir::new(label);
        let mut text = s3.remote_toml("setup");
        for (k, w) in workers.iter().enumerate() {
            text.push_str(&format!(
                "[remotes.w{k}]\ntype = \"s3\"\nprovider = \"Other\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\naccess_key_id = \"test\"\nsecret_access_key = \"testsecret\"\n",
                w.base_url()
            ));
        }
        let cfg = config(&dir, &text);
        Sim {
            _rt: rt,
            s3,
            workers,
            dir,
            src: TempDir::new(&format!("{label}-src")),
            cfg,
        }
    }

    fn n(&self) -> u32 {
        self.workers.len() as u32
    }

    /// `REMOTE:bucket/sim`.
    fn target(&self, remote: &str) -> String {
        format!("{remote}:{}/sim", self.s3.bucket)
    }

    fn report(&self, k: u32) -> PathBuf {
        self.dir.join(&format!("report-{k}.json"))
    }

    fn metrics(&self, k: u32) -> PathBuf {
        self.dir.join(&format!("metrics-{k}.prom"))
    }

    /// The destination made equal to `files` by an unsharded sync through the set-up proxy;
    /// then every log is cleared.
    fn fill(&self, files: &BTreeMap<String, Vec<u8>>) {
        write_tree(self.src.path(), files);
        let out = run(
            &self.cfg,
            &["sync", "--checksum", self.src.str(), &self.target("setup")],
        );
        assert_code(&out, 0);
        self.clear_logs();
    }

    fn clear_logs(&self) {
        self.s3.reset_log();
        for w in &self.workers {
            w.monitor().reset();
        }
    }

    /// Starts worker K of N for every K at once (separate processes), each through its own
    /// proxy, and waits for all of them.
    fn run_workers(&self, command: &str, extra: &[&str]) -> Vec<Output> {
        let n = self.n();
        let children: Vec<_> = (0..n)
            .map(|k| {
                ocisync()
                    .arg("--config")
                    .arg(&self.cfg)
                    .args([command, "--checksum", "--shard", &format!("{k}/{n}")])
                    .arg("--report-json")
                    .arg(self.report(k))
                    .arg("--metrics-file")
                    .arg(self.metrics(k))
                    .args(extra)
                    .arg(self.src.str())
                    .arg(self.target(&format!("w{k}")))
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("start a worker")
            })
            .collect();
        let outputs: Vec<Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().expect("worker"))
            .collect();
        if std::env::var_os("OCISYNC_TEST_VERBOSE").is_some() {
            for (k, o) in outputs.iter().enumerate() {
                eprintln!(
                    "worker {k}/{n} → {:?}\n{}",
                    o.status,
                    String::from_utf8_lossy(&o.stderr)
                );
            }
        }
        outputs
    }

    /// The object keys (under `sim/`) of worker K's requests of `operation`.
    fn keys(&self, k: u32, operation: &str) -> Vec<String> {
        let prefix = format!("/{}/sim/", self.s3.bucket);
        self.workers[k as usize]
            .monitor()
            .log()
            .into_iter()
            .filter(|e| e.operation == operation)
            .map(|e| {
                let path = e.target.split('?').next().unwrap_or_default();
                let key = path
                    .strip_prefix(&prefix)
                    .unwrap_or_else(|| panic!("{operation} outside the destination: {path}"));
                percent_decode(key)
            })
            .collect()
    }

    fn count(&self, k: u32, operation: &str) -> u64 {
        self.workers[k as usize].monitor().count(operation)
    }

    /// Every object on the destination: key → MD5 (hex), by an unsharded listing.
    fn destination(&self) -> BTreeMap<String, String> {
        let out = run(
            &self.cfg,
            &[
                "lsjson",
                "-R",
                "--files-only",
                "--hash",
                &self.target("setup"),
            ],
        );
        assert_code(&out, 0);
        let listed: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
        listed
            .iter()
            .map(|e| {
                (
                    e["Path"].as_str().unwrap().to_string(),
                    e["Hashes"]["md5"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// One line per worker: requests by operation (what the closing note quotes).
    fn accounting(&self) -> String {
        let mut out = String::new();
        for (k, w) in self.workers.iter().enumerate() {
            let stats = w.monitor().stats();
            let ops: Vec<String> = stats
                .operations
                .iter()
                .map(|(op, s)| format!("{op} {}", s.requests))
                .collect();
            out.push_str(&format!(
                "worker {k}/{}: {} requests: {}\n",
                self.n(),
                stats.requests,
                ops.join(", ")
            ));
        }
        out
    }
}

/// `%XX` escapes in a request path, decoded (the keys are UTF-8).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8 key")
}

fn md5_hex(content: &[u8]) -> String {
    ocisync_backend::Md5::of(content).to_hex()
}

fn expected(files: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, String> {
    files.iter().map(|(k, v)| (k.clone(), md5_hex(v))).collect()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The keys in shard `k` of `n`.
fn in_shard(keys: &BTreeSet<String>, k: u32, n: u32) -> BTreeSet<String> {
    keys.iter()
        .filter(|key| shard_of(key, n) == k)
        .cloned()
        .collect()
}

/// N workers at once: the destination ends equal to the source; each object to copy was PUT
/// by exactly one worker — the one whose shard holds it — and each deletion was made by exactly
/// one worker; every worker listed the whole destination once and nothing else.
fn n_workers_make_one_sync(n: usize, seed: u64) {
    let sim = Sim::new(&format!("shard{n}"), n);
    let p = plan(seed, 150, 40);
    assert!(p.copies.len() > 20 && p.deletions.len() > 15, "a real mix");
    sim.fill(&p.before);
    write_tree(sim.src.path(), &p.after);

    let outputs = sim.run_workers("sync", &[]);
    for o in &outputs {
        assert_code(o, 0);
    }
    if std::env::var_os("OCISYNC_TEST_VERBOSE").is_some() {
        eprintln!(
            "N = {n}: {} to copy, {} to delete, {} source objects\n{}",
            p.copies.len(),
            p.deletions.len(),
            p.after.len(),
            sim.accounting()
        );
    }

    let (mut put_by, mut deleted_by) = (BTreeMap::new(), BTreeMap::new());
    let n32 = sim.n();
    for k in 0..n32 {
        for key in sim.keys(k, "PutObject") {
            let earlier = put_by.insert(key.clone(), k);
            assert!(
                earlier.is_none(),
                "{key} PUT by workers {earlier:?} and {k}"
            );
            assert_eq!(shard_of(&key, n32), k, "{key} PUT by worker {k}");
        }
        for key in sim.keys(k, "DeleteObject") {
            let earlier = deleted_by.insert(key.clone(), k);
            assert!(earlier.is_none(), "{key} deleted by {earlier:?} and {k}");
            assert_eq!(shard_of(&key, n32), k, "{key} deleted by worker {k}");
        }
        // One listing page of the whole destination each (fewer than 1000 objects), and no
        // request beyond listings, PUTs and DELETEs: no HEAD, no multipart, no batch delete.
        assert_eq!(sim.count(k, "ListObjects"), 1, "worker {k}");
        let stats = sim.workers[k as usize].monitor().stats();
        let others: Vec<_> = stats
            .operations
            .keys()
            .filter(|op| !["ListObjects", "PutObject", "DeleteObject"].contains(op))
            .collect();
        assert!(others.is_empty(), "worker {k}: {others:?}");

        // The run report and the metrics name the shard; the counts are the shard's.
        let r = read_json(&sim.report(k));
        assert_eq!(r["shard"], format!("{k}/{n}"));
        assert_eq!(
            r["result"],
            if in_shard(&p.copies, k, n32).is_empty() && in_shard(&p.deletions, k, n32).is_empty() {
                "nothing_to_transfer"
            } else {
                "ok"
            }
        );
        assert_eq!(r["listed_src"], p.after.len(), "every worker lists it all");
        assert_eq!(r["transferred"], in_shard(&p.copies, k, n32).len());
        assert_eq!(r["deleted"], in_shard(&p.deletions, k, n32).len());
        assert!(
            r["job"]
                .as_str()
                .unwrap()
                .ends_with(&format!("(shard {k}/{n})")),
            "{}",
            r["job"]
        );
        let metrics = std::fs::read_to_string(sim.metrics(k)).unwrap();
        assert!(
            metrics.contains(&format!(
                "ocisync_last_run_objects_transferred{{job=\"{}\",shard=\"{k}/{n}\"}} {}\n",
                r["job"].as_str().unwrap(),
                r["transferred"]
            )),
            "{metrics}"
        );
    }
    assert_eq!(
        put_by.keys().cloned().collect::<BTreeSet<_>>(),
        p.copies,
        "exactly the changed and new objects were copied, each once"
    );
    assert_eq!(
        deleted_by.keys().cloned().collect::<BTreeSet<_>>(),
        p.deletions,
        "exactly the removed objects were deleted, each once"
    );
    assert_eq!(sim.destination(), expected(&p.after));
    // With more workers than one, the work was really split.
    if n > 1 {
        let busy: BTreeSet<u32> = put_by.values().copied().collect();
        assert!(busy.len() > 1, "{busy:?}");
    }
}

#[test]
fn one_worker_is_a_whole_sync() {
    n_workers_make_one_sync(1, 11);
}

#[test]
fn three_workers_split_one_sync_exactly_once() {
    n_workers_make_one_sync(3, 33);
}

#[test]
fn eight_workers_split_one_sync_exactly_once() {
    n_workers_make_one_sync(8, 88);
}

/// Worker 1 of 3 cannot write (its proxy refuses every PUT): it fails, deletes nothing and
/// touches no other shard; workers 0 and 2 finish theirs, deletions included. The next run
/// finds nothing left for 0 and 2, and worker 1 completes its shard.
#[test]
fn a_failing_worker_leaves_its_shard_to_the_next_run() {
    let sim = Sim::new("shardfail", 3);
    let p = plan(7, 150, 40);
    sim.fill(&p.before);
    write_tree(sim.src.path(), &p.after);
    let failing = 1u32;
    assert!(!in_shard(&p.copies, failing, 3).is_empty());
    assert!(!in_shard(&p.deletions, failing, 3).is_empty());
    sim.workers[failing as usize].faults().add(
        ocisync_fakes::faults::FaultRule::new(ocisync_fakes::faults::FaultAction::Status {
            status: 403,
            retry_after: None,
        })
        .operation("PutObject")
        .times(u32::MAX),
    );

    let outputs = sim.run_workers("sync", &["--retries", "1"]);
    for (k, o) in outputs.iter().enumerate() {
        if k as u32 == failing {
            assert_ne!(code(o), 0, "{}", stderr(o));
            assert!(
                stderr(o).contains("not deleting files as there were IO errors"),
                "{}",
                stderr(o)
            );
        } else {
            assert_code(o, 0);
        }
    }
    let r = read_json(&sim.report(failing));
    assert_eq!(
        (r["result"].as_str(), r["shard"].as_str()),
        (Some("failed"), Some("1/3"))
    );
    assert_eq!(r["deleted"], 0);
    // The failing worker tried its own shard's objects only, and deleted nothing.
    let tried: BTreeSet<String> = sim.keys(failing, "PutObject").into_iter().collect();
    assert_eq!(tried, in_shard(&p.copies, failing, 3));
    assert_eq!(sim.count(failing, "DeleteObject"), 0);

    // Shards 0 and 2 are done; shard 1 is exactly as before the run.
    let now = sim.destination();
    let (want_after, want_before) = (expected(&p.after), expected(&p.before));
    for key in p.before.keys().chain(p.after.keys()) {
        let want = if shard_of(key, 3) == failing {
            &want_before
        } else {
            &want_after
        };
        assert_eq!(
            now.get(key),
            want.get(key),
            "{key} (shard {})",
            shard_of(key, 3)
        );
    }

    // The next run: without the fault, worker 1 catches up; the others have nothing to do.
    sim.workers[failing as usize].faults().clear();
    sim.clear_logs();
    let outputs = sim.run_workers("sync", &[]);
    for (k, o) in outputs.iter().enumerate() {
        assert_code(o, 0);
        let k = k as u32;
        let puts: BTreeSet<String> = sim.keys(k, "PutObject").into_iter().collect();
        let dels: BTreeSet<String> = sim.keys(k, "DeleteObject").into_iter().collect();
        if k == failing {
            assert_eq!(puts, in_shard(&p.copies, k, 3));
            assert_eq!(dels, in_shard(&p.deletions, k, 3));
        } else {
            assert!(
                puts.is_empty() && dels.is_empty(),
                "worker {k}: {puts:?} {dels:?}"
            );
            assert_eq!(read_json(&sim.report(k))["result"], "nothing_to_transfer");
        }
    }
    assert_eq!(sim.destination(), expected(&p.after));
}

/// `check --shard`: N workers verify one destination; a difference is reported by the one
/// worker whose shard holds it.
#[test]
fn check_workers_split_the_comparison() {
    let sim = Sim::new("shardcheck", 3);
    let p = plan(5, 120, 0);
    sim.fill(&p.after);
    let outputs = sim.run_workers("check", &[]);
    let mut checked = 0;
    for (k, o) in outputs.iter().enumerate() {
        assert_code(o, 0);
        let r = read_json(&sim.report(k as u32));
        assert_eq!(r["differences"], 0);
        assert_eq!(r["shard"], format!("{k}/3"));
        checked += r["checked"].as_u64().unwrap();
    }
    assert_eq!(checked as usize, p.after.len(), "each pair compared once");

    // One object changed behind ocisync's back: only its shard's worker notices.
    let (victim, _) = p.after.iter().nth(17).unwrap();
    let owner = shard_of(victim, 3);
    let mut changed = p.after.clone();
    changed.insert(victim.clone(), b"not what the destination has".to_vec());
    write_tree(sim.src.path(), &changed);
    let outputs = sim.run_workers("check", &[]);
    for (k, o) in outputs.iter().enumerate() {
        let r = read_json(&sim.report(k as u32));
        if k as u32 == owner {
            assert_code(o, 1);
            assert_eq!(r["differences"], 1);
            assert!(stderr(o).contains(victim.as_str()), "{}", stderr(o));
        } else {
            assert_code(o, 0);
            assert_eq!(r["differences"], 0);
        }
    }
}

/// The guards look at the whole listing: `--max-delete` counts every shard's deletions (so
/// all workers refuse, or none), and a source is empty for every shard or for none — a shard
/// with no source object of its own still deletes its extraneous objects.
#[test]
fn guards_look_at_the_whole_listing() {
    let sim = Sim::new("shardguard", 3);
    let p = plan(9, 90, 0);
    let total = p.deletions.len();
    assert!((0..3).all(|k| !in_shard(&p.deletions, k, 3).is_empty()));
    sim.fill(&p.before);
    write_tree(sim.src.path(), &p.after);

    // One under the total: every shard's share is below the limit, but together they are
    // over it, so each worker refuses (exit 7) and nothing is deleted.
    let limit = (total - 1).to_string();
    let outputs = sim.run_workers("sync", &["--max-delete", &limit]);
    for (k, o) in outputs.iter().enumerate() {
        assert_code(o, 7);
        assert!(
            stderr(o).contains(&format!(
                "{total} objects to delete in all 3 shards ({} of them in shard {k}/3) exceeds --max-delete {limit}",
                in_shard(&p.deletions, k as u32, 3).len()
            )),
            "{}",
            stderr(o)
        );
        assert_eq!(sim.count(k as u32, "DeleteObject"), 0);
    }
    // At the total, all go ahead.
    sim.clear_logs();
    let outputs = sim.run_workers("sync", &["--max-delete", &total.to_string()]);
    for o in &outputs {
        assert_code(o, 0);
    }
    assert_eq!(sim.destination(), expected(&p.after));

    // An empty source: every shard refuses, nothing is deleted.
    write_tree(sim.src.path(), &BTreeMap::new());
    sim.clear_logs();
    for o in sim.run_workers("sync", &[]) {
        assert_code(&o, 7);
        assert!(stderr(&o).contains("source is empty"), "{}", stderr(&o));
    }
    assert!((0..3).all(|k| sim.count(k, "DeleteObject") == 0));

    // A source of one object, in shard 0: shards 1 and 2 have nothing of their own in it,
    // yet the source is not empty, so they delete their extraneous objects.
    let keep = p
        .after
        .keys()
        .find(|k| shard_of(k, 3) == 0)
        .unwrap()
        .clone();
    let one: BTreeMap<String, Vec<u8>> = [(keep.clone(), p.after[&keep].clone())].into();
    write_tree(sim.src.path(), &one);
    sim.clear_logs();
    for o in sim.run_workers("sync", &[]) {
        assert_code(&o, 0);
    }
    assert_eq!(sim.destination(), expected(&one));
    let remaining: BTreeSet<String> = p.after.keys().filter(|k| **k != keep).cloned().collect();
    for k in 0..3 {
        let dels: BTreeSet<String> = sim.keys(k, "DeleteObject").into_iter().collect();
        assert_eq!(dels, in_shard(&remaining, k, 3), "worker {k}");
    }
}

/// A `--shard` that is not K/N with K < N is a usage error (exit 2), before anything runs.
#[test]
fn a_bad_shard_is_a_usage_error() {
    let dir = TempDir::new("shardbad");
    let cfg = config(&dir, "");
    for bad in ["3/3", "1", "-1/2", "a/b", "0/0"] {
        let out = run(
            &cfg,
            &[
                "sync",
                &format!("--shard={bad}"),
                dir.str(),
                &dir.join("dst").to_string_lossy(),
            ],
        );
        assert_code(&out, 2);
        assert!(stderr(&out).contains("--shard"), "{}", stderr(&out));
    }
}

/// deploy/kubernetes/configmap.yaml's `ocisync.toml` is a configuration ocisync accepts.
#[test]
fn the_kubernetes_config_map_holds_a_valid_config() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/kubernetes/configmap.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    // The block scalar after `ocisync.toml: |`, indented by four spaces.
    let toml: Vec<&str> = text
        .lines()
        .skip_while(|l| l.trim() != "ocisync.toml: |")
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with("    "))
        .map(|l| l.strip_prefix("    ").unwrap_or(""))
        .collect();
    let toml = toml.join("\n");
    assert!(toml.contains("[remotes.oci_usage]"), "{toml}");
    let dir = TempDir::new("k8scfg");
    let out = run(&config(&dir, &toml), &["config", "validate"]);
    assert_code(&out, 0);
}
