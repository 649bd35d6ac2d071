//! `bench-ceiling`: the benchmark's ceiling client. Lists the fake OCI bucket and, by mode,
//! stops there (`list`), GETs every object (`read`: the fake's own ceiling) or copies every
//! object — or only new and changed ones — to the S3 server (`copy`). Prints one JSON line:
//! the requests it sent, the objects and bytes it moved.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use ocisync_bench::ceiling::{self, Mode, Plan};
use ocisync_bench::counts::Counts;
use ocisync_bench::oci::Oci;
use ocisync_bench::s3::S3;

#[derive(Parser)]
#[command(name = "bench-ceiling")]
struct Args {
    /// The OCI Object Storage endpoint (the fake, run with --no-auth).
    #[arg(long)]
    oci: String,
    #[arg(long, default_value = "bling")]
    namespace: String,
    #[arg(long)]
    bucket: String,
    /// Objects in flight (as --transfers).
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Larger objects go multipart in parts of this many bytes.
    #[arg(long, default_value_t = 5 << 20)]
    chunk_size: u64,
    /// Parts of one object in flight.
    #[arg(long, default_value_t = 4)]
    part_concurrency: usize,
    #[command(subcommand)]
    mode: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every page, nothing else.
    List,
    /// List and GET every object, dropping the bytes.
    Read,
    /// List and copy to S3.
    Copy {
        /// The S3 endpoint (anonymous access).
        #[arg(long)]
        s3: String,
        #[arg(long)]
        s3_bucket: String,
        /// Prefix for the copies, e.g. `w1/ceiling-1/`.
        #[arg(long, default_value = "")]
        prefix: String,
        /// List the destination too and copy only what is missing or differs in size or MD5.
        #[arg(long)]
        changed_only: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let client = match ocisync_bench::client() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bench-ceiling: {e}");
            return ExitCode::FAILURE;
        }
    };
    let oci = Arc::new(Oci::new(
        client.clone(),
        &args.oci,
        &args.namespace,
        &args.bucket,
    ));
    let mode = match args.mode {
        Command::List => Mode::List,
        Command::Read => Mode::Read,
        Command::Copy {
            s3,
            s3_bucket,
            prefix,
            changed_only,
        } => Mode::Copy {
            s3: S3::new(client, &s3, &s3_bucket, &prefix),
            changed_only,
        },
    };
    let plan = Plan {
        concurrency: args.concurrency,
        chunk_size: args.chunk_size.max(1),
        part_concurrency: args.part_concurrency,
    };
    let counts = Arc::new(Counts::default());
    let outcome = ceiling::run(oci, mode, plan, counts.clone()).await;
    println!(
        "{}",
        serde_json::to_string(&counts.snapshot()).unwrap_or_default()
    );
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-ceiling: {e}");
            ExitCode::FAILURE
        }
    }
}
