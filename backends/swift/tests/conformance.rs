//! The backend conformance suite on Swift, against a real one-node OpenStack Swift on 127.0.0.1
//! (`ocisync_fakes::swift`: account, container and object servers and a proxy with tempauth),
//! logged in with v1 auth as rclone would: a fresh prefix per case in one container.

use async_trait::async_trait;
use ocisync_backend::{Backend, ConfigValues, GlobalOptions, OpenContext, RawValue, Remote};
use ocisync_conformance::Fixture;
use ocisync_fakes::swift::{KEY, Saio, USER, saio};

const CONTAINER: &str = "conformance";

struct Swift {
    saio: Saio,
}

/// A key as it goes in a Swift URL path: every byte but unreserved ones and `/` escaped.
fn encode(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[async_trait]
impl Fixture for Swift {
    fn name(&self) -> &str {
        "swift (OpenStack Swift, one node)"
    }

    async fn remote(&self, case: &str) -> Remote {
        let mut values = ConfigValues::new();
        for (k, v) in [
            ("auth", self.saio.auth_url.as_str()),
            ("user", USER),
            ("key", KEY),
        ] {
            values.insert(k.into(), RawValue::String(v.into()));
        }
        let global = GlobalOptions::default();
        ocisync_swift::BACKEND
            .open(OpenContext {
                name: "swift",
                path: &format!("{CONTAINER}/{case}"),
                values: &values,
                credentials: None,
                global: &global,
            })
            .await
            .expect("open swift")
    }

    async fn put_raw(&self, case: &str, key: &str, data: &[u8]) -> bool {
        let path = format!("/v1/AUTH_test/{CONTAINER}/{case}/{}", encode(key));
        let status = self.saio.put_raw(&path, data);
        // Swift refuses some names itself (400/412): then it cannot hold the key.
        status == 201
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swift_passes_the_conformance_suite_against_openstack_swift() {
    let saio = tokio::task::spawn_blocking(|| {
        let s = saio();
        s.create_container(CONTAINER);
        s
    })
    .await
    .unwrap();
    ocisync_conformance::run(&Swift { saio }).await;
}
