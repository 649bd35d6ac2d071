//! ocisync and the real rclone see each other's copies as equal: same metadata keys (`mtime`,
//! `md5chksum`), same equality rules.

use crate::support::rclone::{rclone, s3_remote};
use crate::support::s3::S3;
use crate::support::tree::{TempDir, bytes, config, write_files};
use crate::support::{assert_code, run, runtime, stderr};

fn tree(src: &TempDir) {
    write_files(
        src.path(),
        &[
            ("reports/cost-csv/0001000000670898.csv.gz", b"cost-1"),
            ("reports/usage-csv/0001000000670899.csv.gz", b"usage-1"),
            ("FOCUS Reports/2026/11/27/focus file.csv", b"focus,1\n"),
            ("unicodé ファイル.csv", b"u"),
            ("plus+percent%hash#.csv", b"p"),
            ("empty.csv", b""),
        ],
    );
    // Multipart for both tools (5 MiB parts): the MD5 lives in `md5chksum`.
    write_files(src.path(), &[("big/large.bin", &bytes(11, 12 << 20))]);
}

#[test]
fn rclone_agrees_after_ocisync_sync() {
    let rt = runtime();
    let s3 = rt.block_on(S3::start("compat1"));
    let dir = TempDir::new("compat");
    let cfg = config(&dir, &s3.remote_toml("s3"));
    let src = TempDir::new("src");
    tree(&src);
    let target = format!("s3:{}/by-ocisync", s3.bucket);
    assert_code(
        &run(
            &cfg,
            &["sync", src.str(), &target, "--s3-chunk-size", "5Mi"],
        ),
        0,
    );

    let remote = s3_remote(&s3, "by-ocisync");
    for extra in [&[][..], &["--checksum"][..]] {
        let mut args = vec!["check", src.str(), remote.as_str()];
        args.extend_from_slice(extra);
        let out = rclone(&args);
        assert_code(&out, 0);
        assert!(
            stderr(&out).contains("0 differences found"),
            "rclone check {extra:?}: {}",
            stderr(&out)
        );
    }
    // rclone sync (default mode: size + mtime from our metadata) finds nothing to do.
    s3.reset_log();
    let out = rclone(&[
        "sync",
        src.str(),
        remote.as_str(),
        "-v",
        "--s3-chunk-size",
        "5Mi",
    ]);
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("There was nothing to transfer"),
        "{}",
        stderr(&out)
    );
    assert!(s3.writes().is_empty(), "rclone wrote: {:?}", s3.writes());
    // And rclone sees the source's modification times.
    let out = rclone(&["lsl", remote.as_str()]);
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    let local = std::fs::metadata(src.join("empty.csv"))
        .unwrap()
        .modified()
        .unwrap();
    let secs = local
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let stamp = jiff::Timestamp::from_second(secs)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::system());
    assert!(
        listing.lines().any(|l| l.ends_with("empty.csv")
            && l.contains(&stamp.strftime("%Y-%m-%d %H:%M:%S").to_string())),
        "{listing}"
    );
}

#[test]
fn ocisync_agrees_after_rclone_sync() {
    let rt = runtime();
    let s3 = rt.block_on(S3::start("compat2"));
    let dir = TempDir::new("compat");
    let cfg = config(&dir, &s3.remote_toml("s3"));
    let src = TempDir::new("src");
    tree(&src);
    let remote = s3_remote(&s3, "by-rclone");
    assert_code(
        &rclone(&["sync", src.str(), remote.as_str(), "--s3-chunk-size", "5Mi"]),
        0,
    );
    let target = format!("s3:{}/by-rclone", s3.bucket);
    s3.reset_log();
    for mode in [&[][..], &["--checksum"][..]] {
        let mut args = vec!["sync", src.str(), target.as_str(), "--error-on-no-transfer"];
        args.extend_from_slice(mode);
        let out = run(&cfg, &args);
        assert_code(&out, 9);
    }
    assert!(s3.writes().is_empty(), "{:?}", s3.writes());
    let out = run(&cfg, &["check", src.str(), &target]);
    assert_code(&out, 0);
}

/// rclone's `oracleobjectstorage` backend (`provider = no_auth`) against the fake OCI service.
mod oci {
    use super::*;
    use crate::support::oci::{Oci, TENANCY};
    use crate::support::stdout;

    #[test]
    fn rclone_reads_what_ocisync_wrote_to_oci_and_back() {
        let rt = runtime();
        let oci = rt.block_on(Oci::start(false));
        let dir = TempDir::new("ocicompat");
        let cfg = config(&dir, &oci.unsigned_remote_toml("oci"));
        let src = TempDir::new("src");
        tree(&src);

        // ocisync writes; rclone agrees on size, MD5 and modification time.
        let by_ocisync = format!("oci:{TENANCY}/by-ocisync");
        assert_code(
            &run(
                &cfg,
                &["sync", src.str(), &by_ocisync, "--oos-chunk-size", "5Mi"],
            ),
            0,
        );
        let remote = oci.rclone_remote(&format!("{TENANCY}/by-ocisync"));
        for extra in [&[][..], &["--checksum"][..]] {
            let mut args = vec!["check", src.str(), remote.as_str()];
            args.extend_from_slice(extra);
            let out = rclone(&args);
            assert_code(&out, 0);
            assert!(
                stderr(&out).contains("0 differences found"),
                "{}",
                stderr(&out)
            );
        }
        let out = rclone(&[
            "sync",
            src.str(),
            remote.as_str(),
            "-v",
            "--oos-chunk-size",
            "5Mi",
        ]);
        assert_code(&out, 0);
        assert!(
            stderr(&out).contains("There was nothing to transfer"),
            "{}",
            stderr(&out)
        );
        let rclone_md5 = stdout(&rclone(&["md5sum", remote.as_str()]));
        let focus = ocisync_backend::Md5::of(b"focus,1\n").to_hex();
        assert!(
            rclone_md5.contains(&format!("{focus}  FOCUS Reports/2026/11/27/focus file.csv")),
            "{rclone_md5}"
        );
        // The multipart object's MD5 is in `opc-meta-md5chksum`, where ocisync reads it back.
        // rclone 1.75 shows none: its setMetaData keeps the decoded value only when decoding
        // *fails* (an inverted error check), so it never uses md5chksum on OCI.
        let ours = stdout(&run(
            &cfg,
            &["lsf", "-R", "--files-only", "--format", "ph", &by_ocisync],
        ));
        let big = ocisync_backend::Md5::of(&bytes(11, 12 << 20)).to_hex();
        assert!(ours.contains(&format!("big/large.bin;{big}")), "{ours}");

        // rclone writes; ocisync finds nothing to do and reads rclone's metadata.
        let by_rclone = oci.rclone_remote(&format!("{TENANCY}/by-rclone"));
        assert_code(
            &rclone(&[
                "sync",
                src.str(),
                by_rclone.as_str(),
                "--oos-chunk-size",
                "5Mi",
            ]),
            0,
        );
        let target = format!("oci:{TENANCY}/by-rclone");
        for mode in [&[][..], &["--checksum"][..]] {
            let mut args = vec!["sync", src.str(), target.as_str(), "--error-on-no-transfer"];
            args.extend_from_slice(mode);
            assert_code(&run(&cfg, &args), 9);
        }
        let back = TempDir::new("back");
        assert_code(&run(&cfg, &["copy", &target, back.str()]), 0);
        assert_eq!(
            crate::support::tree::read_tree(back.path()),
            crate::support::tree::read_tree(src.path())
        );
        let mtime = |p: &std::path::Path| std::fs::metadata(p).unwrap().modified().unwrap();
        assert_eq!(
            mtime(&back.join("empty.csv")),
            mtime(&src.join("empty.csv")),
            "rclone's opc-meta-mtime read back"
        );
    }
}
