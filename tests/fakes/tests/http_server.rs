//! The server scaffolding seen from a raw TCP client: `Expect: 100-continue`, keep-alive, and
//! faults that break HTTP framing (reset, truncated body).

mod common;

use common::{raw_exchange, read_to_close, read_until};
use ocisync_fakes::faults::{FaultAction, FaultRule};
use ocisync_fakes::objectstorage::{Config, FakeObjectStorage, SeedObject};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

async fn unsigned_fake() -> FakeObjectStorage {
    let fake = FakeObjectStorage::start(Config {
        require_signatures: false,
        ..Config::default()
    })
    .await
    .unwrap();
    fake.create_bucket("bling", "b");
    fake
}

#[tokio::test]
async fn expect_100_continue_is_answered_before_the_body_is_sent() {
    let fake = unsigned_fake().await;
    let mut stream = TcpStream::connect(fake.server().addr()).await.unwrap();
    stream
        .write_all(
            b"PUT /n/bling/b/b/o/obj HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\
              expect: 100-continue\r\n\r\n",
        )
        .await
        .unwrap();
    // Nothing of the body has been sent: the interim response must come first.
    let interim = read_until(&mut stream, b"\r\n\r\n").await;
    assert!(
        interim.starts_with(b"HTTP/1.1 100 Continue\r\n"),
        "{}",
        String::from_utf8_lossy(&interim)
    );
    stream.write_all(b"hello").await.unwrap();
    let response = read_until(&mut stream, b"\r\n\r\n").await;
    assert!(
        response.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&response)
    );
    assert_eq!(fake.object("bling", "b", "obj").unwrap().data, "hello");
}

#[tokio::test]
async fn a_request_refused_from_its_headers_gets_no_100_continue() {
    let fake = FakeObjectStorage::start(Config::default()).await.unwrap();
    fake.create_bucket("bling", "b");
    let mut stream = TcpStream::connect(fake.server().addr()).await.unwrap();
    stream
        .write_all(
            b"PUT /n/bling/b/b/o/obj HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\
              expect: 100-continue\r\n\r\n",
        )
        .await
        .unwrap();
    let response = read_until(&mut stream, b"NotAuthenticated").await;
    assert!(
        response.starts_with(b"HTTP/1.1 401"),
        "{}",
        String::from_utf8_lossy(&response)
    );
}

#[tokio::test]
async fn keep_alive_serves_several_requests_on_one_connection() {
    let fake = unsigned_fake().await;
    fake.seed("bling", "b", SeedObject::new("a", "first"));
    let mut stream = TcpStream::connect(fake.server().addr()).await.unwrap();
    for _ in 0..3 {
        stream
            .write_all(b"GET /n/bling/b/b/o/a HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let response = read_until(&mut stream, b"first").await;
        assert!(response.starts_with(b"HTTP/1.1 200"));
    }
    let stats = fake.monitor().stats();
    assert_eq!(stats.connections, 1);
    assert_eq!(stats.operations["GetObject"].requests, 3);
    assert_eq!(stats.operations["GetObject"].response_body_bytes, 15);
}

#[tokio::test]
async fn reset_fault_resets_the_connection() {
    let fake = unsigned_fake().await;
    fake.seed("bling", "b", SeedObject::new("a", "data"));
    fake.faults().add(FaultRule::new(FaultAction::Reset));
    let result = raw_exchange(
        fake.server().addr(),
        b"GET /n/bling/b/b/o/a HTTP/1.1\r\nhost: x\r\n\r\n",
    )
    .await;
    match result {
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        Ok(bytes) => panic!(
            "expected a reset, read {:?}",
            String::from_utf8_lossy(&bytes)
        ),
    }
    assert_eq!(fake.monitor().log()[0].status, 0);
}

#[tokio::test]
async fn truncate_fault_declares_the_full_length_and_sends_less() {
    let fake = unsigned_fake().await;
    fake.seed("bling", "b", SeedObject::new("a", vec![b'x'; 1000]));
    fake.faults()
        .add(FaultRule::new(FaultAction::Truncate { bytes: 300 }).path_contains("/o/a"));
    let mut stream = TcpStream::connect(fake.server().addr()).await.unwrap();
    stream
        .write_all(b"GET /n/bling/b/b/o/a HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let raw = read_to_close(&mut stream).await.unwrap();
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("headers arrive whole");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("content-length: 1000"), "{head}");
    assert!(
        head.contains("content-md5: "),
        "the object's headers are kept: {head}"
    );
    assert_eq!(body.len(), 300);
}

#[tokio::test]
async fn dropping_the_server_closes_idle_connections() {
    let fake = unsigned_fake().await;
    let mut stream = TcpStream::connect(fake.server().addr()).await.unwrap();
    stream
        .write_all(b"GET /n HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    read_until(&mut stream, b"\"bling\"").await;
    drop(fake);
    // The kept-alive connection is closed rather than left waiting for another request.
    let rest = read_to_close(&mut stream).await.unwrap();
    assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
}
