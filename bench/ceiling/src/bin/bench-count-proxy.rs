//! `bench-count-proxy --upstream URL`: the request-counting S3 proxy of the benchmark. Prints
//! its base URL on stdout, then serves until terminated; counters at `GET /_fake/stats`,
//! reset with `DELETE /_fake/stats`.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use ocisync_fakes::http::Server;
use ocisync_fakes::s3_proxy::S3Proxy;

#[derive(Parser)]
#[command(name = "bench-count-proxy")]
struct Args {
    /// The S3 server to forward to.
    #[arg(long)]
    upstream: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let client = match ocisync_bench::client() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bench-count-proxy: {e}");
            return ExitCode::FAILURE;
        }
    };
    let server = match Server::start(Arc::new(S3Proxy::new(&args.upstream, client)), 0).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bench-count-proxy: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", server.base_url());
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match terminate.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
    ExitCode::SUCCESS
}
