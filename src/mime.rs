//! MIME types guessed from file extensions, matching what rclone reports on Debian (Go's
//! built-in table plus /etc/mime.types for the types cost reports use).

/// The type rclone's `lsjson` shows and ocisync sends as Content-Type.
pub fn guess(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => return "application/octet-stream",
    };
    match ext.as_str() {
        "txt" | "text" | "log" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "tsv" => "text/tab-separated-values; charset=utf-8",
        "htm" | "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "xml" => "text/xml; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "json" => "application/json",
        "gz" | "tgz" => "application/gzip",
        "zip" => "application/zip",
        "bz2" => "application/x-bzip2",
        "xz" => "application/x-xz",
        "zst" => "application/zstd",
        "tar" => "application/x-tar",
        "pdf" => "application/pdf",
        "parquet" => "application/vnd.apache.parquet",
        "wasm" => "application/wasm",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "avif" => "image/avif",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn by_extension() {
        assert_eq!(super::guess("a.txt"), "text/plain; charset=utf-8");
        assert_eq!(
            super::guess("reports/cost-csv/0001.csv.gz"),
            "application/gzip"
        );
        assert_eq!(
            super::guess("FOCUS Reports/2026/x.CSV"),
            "text/csv; charset=utf-8"
        );
        assert_eq!(super::guess(".hidden"), "application/octet-stream");
        assert_eq!(super::guess("noext"), "application/octet-stream");
    }
}
