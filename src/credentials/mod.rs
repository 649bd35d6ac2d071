//! Credential provider types built into ocisync itself (`env`, `static`, `command`); others live
//! with their service (OCI Vault in the oracle crate). All are listed in [`crate::registry`].

pub mod command;
pub mod env;
pub mod fixed;
pub(crate) mod process;

/// Whether an option or parameter name reads like a secret, for values no option declaration
/// vouches for (a connection string's parameters, keys of other backends in an rclone.conf,
/// misspelled keys): `secret`, `token`, `pass`, `credential`, `private`, `access_key`,
/// `api_key`, `signature`, `cookie`, a `…_key` or `key`.
pub fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace('-', "_");
    [
        "secret",
        "token",
        "pass",
        "credential",
        "private",
        "access_key",
        "apikey",
        "api_key",
        "signature",
        "cookie",
    ]
    .iter()
    .any(|w| k.contains(w))
        || k == "key"
        || k.ends_with("_key")
}

#[cfg(test)]
mod tests {
    #[test]
    fn secret_looking_names() {
        for k in [
            "secret_access_key",
            "client_secret",
            "token",
            "pass",
            "password",
            "sse_customer_key",
            "key",
            "account_key",
            "Session-Token",
            "credentials",
        ] {
            assert!(super::looks_secret(k), "{k}");
        }
        for k in [
            "region",
            "bucket",
            "endpoint",
            "provider",
            "chunk_size",
            "root",
            "env_auth",
            "key_file",
        ] {
            assert!(!super::looks_secret(k), "{k}");
        }
    }
}
