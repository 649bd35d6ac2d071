//! The `ocisync` binary: parse, run, exit with rclone's codes. Everything else is in the library.

use std::process::ExitCode;

// musl's malloc is slow under the runtime's threads; static (musl) builds use mimalloc.
#[cfg(target_env = "musl")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // No core dumps, no ptrace: before anything could hold a secret.
    ocisync::hardening::harden();
    let parsed = match ocisync::cli::parse_from(std::env::args_os()) {
        Ok(p) => p,
        Err(e) => {
            // Help and version go to stdout with 0; usage errors to stderr with 2, as rclone.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                ocisync::exitcode::USAGE
            } else {
                0
            });
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ocisync: cannot start the async runtime: {e}");
            return ExitCode::from(ocisync::exitcode::FATAL);
        }
    };
    ExitCode::from(runtime.block_on(ocisync::app::run(parsed)))
}
