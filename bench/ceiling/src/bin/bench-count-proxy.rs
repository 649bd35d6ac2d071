//! `bench-count-proxy --upstream URL [--delay-ms MS] [--bandwidth-mib N]`: the
//! request-counting proxy of the benchmark, and with `--delay-ms` its latency proxy (every
//! request held that long before it is forwarded: `bench/run.sh --rtt`), with `--bandwidth-mib`
//! a shared link of that many MiB/s. Prints its base URL on stdout, then serves until
//! terminated; counters at `GET /_fake/stats`, reset with `DELETE /_fake/stats`.

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
    /// Hold every request this many milliseconds before forwarding it.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Cap the bodies of all connections together to this many MiB/s (0: no cap).
    #[arg(long, default_value_t = 0)]
    bandwidth_mib: u64,
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
    let server = match Server::start(
        Arc::new(
            S3Proxy::new(&args.upstream, client)
                .with_delay(std::time::Duration::from_millis(args.delay_ms))
                .with_bandwidth(args.bandwidth_mib << 20),
        ),
        0,
    )
    .await
    {
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
