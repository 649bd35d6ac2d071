//! `fake-oci`: the Object Storage fake as a process, for the benchmark and for tests that drive
//! other programs (rclone, the ocisync binary). Prints the base URL on stdout, then serves
//! until interrupted.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ocisync_fakes::keys::PublicKey;
use ocisync_fakes::objectstorage::seed::bling_objects;
use ocisync_fakes::objectstorage::{
    BlingSpec, Config, FakeObjectStorage, MAX_PAGE_SIZE, SeedObject,
};

/// A fake OCI Object Storage endpoint on 127.0.0.1, in memory.
#[derive(Parser)]
#[command(name = "fake-oci")]
struct Args {
    /// Port to listen on (0: chosen by the OS).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The namespace GetNamespace answers and the seeded bucket lives in.
    #[arg(long, default_value = "bling")]
    namespace: String,
    /// The bucket to create and seed (for `bling`, the tenancy OCID).
    #[arg(long, default_value = "ocid1.tenancy.oc1..aaaaaaaafaketenancy")]
    bucket: String,
    /// ListObjects page size cap (at most 1000).
    #[arg(long, default_value_t = MAX_PAGE_SIZE)]
    page_size: usize,
    /// Accept unsigned requests (rclone `provider = no_auth`); no signature is checked.
    #[arg(long)]
    no_auth: bool,
    /// Register an API key: the tenancy OCID of the keyId...
    #[arg(long, requires_all = ["user", "public_key"])]
    tenancy: Option<String>,
    /// ...the user OCID...
    #[arg(long, requires_all = ["tenancy", "public_key"])]
    user: Option<String>,
    /// ...and the PEM public key file (fingerprint computed from it).
    #[arg(long, requires_all = ["tenancy", "user"])]
    public_key: Option<PathBuf>,
    /// Seed the bucket with this many report-shaped objects.
    #[arg(long, default_value_t = 0)]
    seed_objects: usize,
    /// Smallest seeded object, bytes.
    #[arg(long, default_value_t = 1024)]
    min_size: usize,
    /// Largest seeded object, bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    max_size: usize,
    /// Seed for names' times and content (same seed, same bucket).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also load every file under this directory as an object (name = relative path, time =
    /// the file's modification time) — e.g. the repo's `sample/bling`.
    #[arg(long)]
    seed_dir: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("fake-oci: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    if args.min_size > args.max_size {
        return Err(format!(
            "--min-size {} exceeds --max-size {}",
            args.min_size, args.max_size
        ));
    }
    let config = Config {
        port: args.port,
        namespace: args.namespace.clone(),
        require_signatures: !args.no_auth,
        page_size: args.page_size,
        ..Config::default()
    };
    let fake = FakeObjectStorage::start(config)
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", args.port))?;
    if let (Some(tenancy), Some(user), Some(path)) = (&args.tenancy, &args.user, &args.public_key) {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        let key = PublicKey::from_pem(&pem).map_err(|e| format!("{}: {e}", path.display()))?;
        let key_id = fake.keys().register_api_key(tenancy, user, &key);
        eprintln!("fake-oci: accepting keyId {key_id}");
    }
    fake.create_bucket(&args.namespace, &args.bucket);
    let spec = BlingSpec {
        objects: args.seed_objects,
        min_size: args.min_size,
        max_size: args.max_size,
        seed: args.seed,
        ..BlingSpec::default()
    };
    let mut seeded = fake.seed_all(&args.namespace, &args.bucket, bling_objects(&spec));
    if let Some(dir) = &args.seed_dir {
        let files = files_under(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
        seeded += fake.seed_all(&args.namespace, &args.bucket, files);
    }
    eprintln!(
        "fake-oci: namespace {} bucket {} holds {seeded} objects; signatures {}",
        args.namespace,
        args.bucket,
        if args.no_auth {
            "not checked"
        } else {
            "required"
        }
    );
    // The one line on stdout, for whoever started us.
    println!("{}", fake.base_url());
    wait_for_termination().await;
    Ok(())
}

/// Every file under `root` as a seed object named by its relative path.
fn files_under(root: &std::path::Path) -> std::io::Result<Vec<SeedObject>> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let name = path
                .strip_prefix(root)
                .map_err(std::io::Error::other)?
                .to_string_lossy()
                .replace('\\', "/");
            let modified = std::fs::metadata(&path)?.modified()?;
            let time = jiff::Timestamp::try_from(modified).map_err(std::io::Error::other)?;
            out.push(SeedObject::new(name, std::fs::read(&path)?).modified(time));
        }
    }
    Ok(out)
}

async fn wait_for_termination() {
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let terminated = async {
        match terminate.as_mut() {
            Some(signal) => {
                signal.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminated => {}
    }
}
