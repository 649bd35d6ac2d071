//! `md5sum`, `sha1sum` and `hashsum HASH`: one `HASH  PATH` line per object, as rclone (and
//! `md5sum`) print them. MD5s come from the listing (a HEAD where only `md5chksum` metadata has
//! it, reading where the backend is a file system); other hashes, and objects with no stored
//! MD5, need `--download` (the object is read and hashed here) except on file systems.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use base64::Engine;
use futures::StreamExt;
use ocisync_backend::{Error, ErrorKind, ObjectInfo, Remote};

use super::objects::{self, Failure, Target, walk};
use crate::cli::{HashFlags, HashsumArgs};
use crate::exitcode;
use crate::filter::Filter;
use crate::resolve::Resolver;

/// The hashes ocisync computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Md5,
    Sha1,
    Sha256,
}

impl Hash {
    /// rclone's names (case-insensitive), as `hashsum` takes them.
    pub fn parse(name: &str) -> Option<Hash> {
        match name.to_ascii_lowercase().as_str() {
            "md5" => Some(Hash::Md5),
            "sha1" | "sha-1" => Some(Hash::Sha1),
            "sha256" | "sha-256" => Some(Hash::Sha256),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Hash::Md5 => "md5",
            Hash::Sha1 => "sha1",
            Hash::Sha256 => "sha256",
        }
    }

    /// Digest length in bytes.
    fn len(self) -> usize {
        match self {
            Hash::Md5 => 16,
            Hash::Sha1 => 20,
            Hash::Sha256 => 32,
        }
    }

    /// The printed width: hex, or base64 with padding.
    fn width(self, base64: bool) -> usize {
        if base64 {
            self.len().div_ceil(3) * 4
        } else {
            self.len() * 2
        }
    }
}

enum Hasher {
    Md5(md5::Md5),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Hasher {
    fn new(h: Hash) -> Hasher {
        use md5::Digest;
        match h {
            Hash::Md5 => Hasher::Md5(md5::Md5::new()),
            Hash::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            Hash::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        use md5::Digest;
        match self {
            Hasher::Md5(h) => h.update(data),
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
        }
    }

    fn finish(self) -> Vec<u8> {
        use md5::Digest;
        match self {
            Hasher::Md5(h) => h.finalize().to_vec(),
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
        }
    }
}

/// Reads the object and hashes it.
async fn download(remote: &Remote, o: &ObjectInfo, h: Hash) -> Result<Vec<u8>, Error> {
    let reader = remote
        .op
        .reader_with(&o.path)
        .chunk(1 << 20)
        .await
        .map_err(|e| remote.error(e, "read", &o.path))?;
    let mut stream = reader
        .into_stream(..)
        .await
        .map_err(|e| remote.error(e, "read", &o.path))?;
    let mut hasher = Hasher::new(h);
    while let Some(buf) = stream.next().await {
        let buf = buf.map_err(|e| remote.error(e, "read", &o.path))?;
        crate::throttle::bytes(buf.len() as u64, None).await;
        for chunk in buf {
            hasher.update(&chunk);
        }
    }
    Ok(hasher.finish())
}

/// The hash of one object: `Ok(None)` when the backend keeps none for it (printed blank, as
/// rclone prints it).
async fn sum(
    remote: &Remote,
    mut o: ObjectInfo,
    h: Hash,
    dl: bool,
    heads: &AtomicU64,
) -> Result<Option<Vec<u8>>, Error> {
    if dl || (remote.features.md5_by_reading && h != Hash::Md5) {
        return download(remote, &o, h).await.map(Some);
    }
    if h != Hash::Md5 {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "hash unsupported: {} keeps no {} (use --download to read and hash the object)",
                remote.name,
                h.name()
            ),
        )
        .with_remote(remote.name.clone())
        .with_path(&*o.path));
    }
    if o.md5.is_none() && o.md5_obtainable {
        if remote.features.md5_by_reading {
            o.md5 = Some(remote.read_md5(&o.path).await?);
        } else {
            heads.fetch_add(1, Relaxed);
            o.md5 = remote.stat(&o.path).await?.md5;
        }
    }
    Ok(o.md5.map(|m| m.0.to_vec()))
}

fn encode(digest: &[u8], base64: bool) -> String {
    if base64 {
        base64::engine::general_purpose::URL_SAFE.encode(digest)
    } else {
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// `md5sum PATH` / `sha1sum PATH` / `hashsum HASH PATH`.
pub async fn run(
    resolver: &Resolver,
    spec: &str,
    h: Hash,
    f: &HashFlags,
    filter: &Filter,
    concurrency: usize,
) -> u8 {
    objects::finish(run_inner(resolver, spec, h, f, filter, concurrency).await)
}

async fn run_inner(
    resolver: &Resolver,
    spec: &str,
    h: Hash,
    f: &HashFlags,
    filter: &Filter,
    concurrency: usize,
) -> Result<u8, Failure> {
    let (remote, objs) = match objects::target(resolver, spec).await? {
        Target::File { parent, obj } => (parent, vec![obj]),
        Target::Dir(remote) => {
            let objs: Vec<ObjectInfo> = walk(&remote, filter)
                .await?
                .into_iter()
                .filter(|o| !o.is_dir)
                .collect();
            (remote, objs)
        }
    };
    let mut out: Box<dyn Write> = match &f.output_file {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p).map_err(
            |e| {
                Failure::new(
                    exitcode::UNCATEGORIZED,
                    format!("--output-file {}: {e}", p.display()),
                )
            },
        )?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let heads = AtomicU64::new(0);
    let width = h.width(f.base64);
    let mut errors = 0u64;
    let objs = futures::stream::iter(objs.into_iter().map(Ok)).boxed();
    // MD5s that cost a read (local files) are read ahead in groups, hashed side by side.
    let objs = if remote.features.md5_by_reading && h == Hash::Md5 && !f.download {
        let wanted = |o: &ObjectInfo| o.md5.is_none() && o.md5_obtainable;
        crate::engine::hash::hash_ahead(&remote, objs, concurrency, wanted)
    } else {
        objs
    };
    let mut results = objs
        // Never an error: the stream is made of `Ok`s above, and `hash_ahead` keeps them so.
        .filter_map(|o| std::future::ready(o.ok()))
        .map(|o| {
            let (remote, heads) = (&remote, &heads);
            async move {
                let path = o.path.clone();
                (path, sum(remote, o, h, f.download, heads).await)
            }
        })
        .buffered(concurrency.max(1));
    while let Some((path, r)) = results.next().await {
        match r {
            Ok(digest) => {
                let text = digest.map(|d| encode(&d, f.base64)).unwrap_or_default();
                let _ = writeln!(out, "{text:>width$}  {path}");
            }
            Err(e) => {
                errors += 1;
                tracing::error!(object = %path, "{e}");
            }
        }
    }
    let _ = out.flush();
    let heads = heads.load(Relaxed);
    if heads > 0 {
        tracing::info!("{heads} objects needed a HEAD request (their listing could not answer)");
    }
    Ok(if errors > 0 {
        exitcode::UNCATEGORIZED
    } else {
        exitcode::SUCCESS
    })
}

/// `hashsum` with no hash: the ones it knows.
pub fn list() -> u8 {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "Supported hashes are:");
    for h in [Hash::Md5, Hash::Sha1, Hash::Sha256] {
        let _ = writeln!(out, "  * {}", h.name());
    }
    exitcode::SUCCESS
}

/// `hashsum [HASH PATH]`.
pub async fn hashsum(resolver: &Resolver, a: &HashsumArgs, filter: &Filter, c: usize) -> u8 {
    match (&a.hash, &a.remote) {
        (None, _) => list(),
        (Some(name), Some(spec)) => match Hash::parse(name) {
            Some(h) => run(resolver, spec, h, &a.flags, filter, c).await,
            None => {
                tracing::error!(
                    "hashsum {name:?}: unknown hash (ocisync knows md5, sha1 and sha256)"
                );
                exitcode::USAGE
            }
        },
        (Some(_), None) => {
            tracing::error!("hashsum needs a hash and a path: hashsum MD5 remote:path");
            exitcode::USAGE
        }
    }
}
