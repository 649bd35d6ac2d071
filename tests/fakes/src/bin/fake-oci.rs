//! `fake-oci`: the Object Storage fake as a process, for the benchmark and for tests that drive
//! other programs (rclone, the ocisync binary). Prints the base URL on stdout, then serves
//! until interrupted.
//!
//! With `--keyless` it also starts what an instance principal needs — metadata service,
//! federation, Vault, Notifications and Identity, sharing one key ring and clock with Object
//! Storage (as `ocisync_fakes::keyless` does in-process) — and prints one JSON line instead:
//! `{"objectstorage", "imds", "federation", "vault", "notifications", "identity", "tenancy",
//! "namespace", "region", "home_region"}`, the URLs with no trailing slash, `imds` ending in
//! `/opc/v2` (for `OCI_METADATA_BASE_URL`), `federation` the full `/v1/x509` URL.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ocisync_fakes::identity::Region;
use ocisync_fakes::keyless::{KeylessFakes, KeylessOptions};
use ocisync_fakes::keys::PublicKey;
use ocisync_fakes::objectstorage::seed::bling_objects;
use ocisync_fakes::objectstorage::{
    BlingSpec, Config, FakeObjectStorage, MAX_PAGE_SIZE, SeedObject,
};

/// A fake OCI Object Storage endpoint on 127.0.0.1, in memory.
#[derive(Parser)]
#[command(name = "fake-oci")]
struct Args {
    /// Object Storage's port (0: chosen by the OS; the --keyless services always are).
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
    #[arg(long, conflicts_with = "keyless")]
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
    /// Also start the instance-principal fakes (metadata service, federation, Vault,
    /// Notifications, Identity) for the tenancy named by --bucket; print their URLs as JSON.
    #[arg(long)]
    keyless: bool,
    /// Store a Vault secret (repeatable): `--secret ocid1.vaultsecret...=value`.
    #[arg(long, value_name = "OCID=VALUE", requires = "keyless")]
    secret: Vec<String>,
    /// Create a Notifications topic (repeatable).
    #[arg(long, value_name = "OCID", requires = "keyless")]
    topic: Vec<String>,
    /// The tenancy's home region as Identity answers it [default: us-ashburn-1, the instance's
    /// region].
    #[arg(long, value_name = "NAME", requires = "keyless")]
    home_region: Option<String>,
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
    let keyless = if args.keyless {
        Some(start_keyless(&args).await?)
    } else {
        None
    };
    let keyless = keyless.as_ref();
    let mut config = Config {
        port: args.port,
        namespace: args.namespace.clone(),
        require_signatures: !args.no_auth,
        page_size: args.page_size,
        ..Config::default()
    };
    if let Some(keyless) = keyless {
        // One ring (and clock) for all: Object Storage accepts the federation's tokens.
        config.keys = keyless.fakes.keys.clone();
    }
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
    match keyless {
        None => println!("{}", fake.base_url()),
        Some(keyless) => {
            let home = keyless.fakes.iam.tenancy().home_region;
            let urls = serde_json::json!({
                "objectstorage": fake.base_url(),
                "imds": keyless.fakes.imds.base_url(),
                "federation": keyless.fakes.federation.endpoint(),
                "vault": keyless.fakes.vault.base_url(),
                "notifications": keyless.fakes.notifications.base_url(),
                "identity": keyless.fakes.iam.base_url(),
                "tenancy": args.bucket,
                "namespace": args.namespace,
                "region": keyless.region,
                "home_region": home.name,
            });
            println!("{urls}");
        }
    }
    wait_for_termination().await;
    Ok(())
}

/// The keyless fakes and the instance's region.
struct Keyless {
    fakes: KeylessFakes,
    region: String,
}

/// The keyless fakes for the tenancy `--bucket` names, with `--secret`s and `--topic`s.
async fn start_keyless(args: &Args) -> Result<Keyless, String> {
    let mut options = KeylessOptions {
        tenancy: args.bucket.clone(),
        ..KeylessOptions::default()
    };
    if let Some(name) = &args.home_region {
        options.home_region = Region::named(name)
            .ok_or_else(|| format!("--home-region {name}: not a commercial (oc1) region"))?;
    }
    let region = options.region.identifier.clone();
    let fakes = KeylessFakes::start_with(options)
        .await
        .map_err(|e| format!("cannot start the keyless fakes: {e}"))?;
    for secret in &args.secret {
        let (ocid, value) = secret
            .split_once('=')
            .ok_or_else(|| "--secret takes OCID=VALUE".to_string())?;
        fakes.vault.put_secret(ocid, value);
    }
    for topic in &args.topic {
        fakes.notifications.add_topic(topic);
    }
    eprintln!(
        "fake-oci: keyless: tenancy {}, {} secret(s), {} topic(s), home region {}",
        args.bucket,
        args.secret.len(),
        args.topic.len(),
        fakes.iam.tenancy().home_region.name
    );
    Ok(Keyless { fakes, region })
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
