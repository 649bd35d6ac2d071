//! `ocisync compat [--markdown]`: how ocisync treats each rclone flag and command
//! ([`crate::cli::compat`]); `docs/rclone-compat.md` is its Markdown form.

use std::io::Write;

use crate::cli::compat;
use crate::exitcode;

pub fn run(markdown: bool) -> u8 {
    let text = if markdown {
        compat::markdown()
    } else {
        compat::text()
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    exitcode::SUCCESS
}
