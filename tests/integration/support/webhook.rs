//! A webhook receiver on 127.0.0.1 for the alert tests: records every POST body, and can be
//! told to answer with an error status or to hang.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Method, Request, Response, StatusCode};
use ocisync_fakes::http::{Body, RequestBody, Server, Service};

/// How the receiver answers.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Ok,
    Status(u16),
    /// Waits this long before answering 200.
    Hang(Duration),
}

struct Receiver {
    answer: Answer,
    bodies: Mutex<Vec<String>>,
}

impl Service for Receiver {
    fn operation(&self, method: &Method, _target: &str) -> &'static str {
        if method == Method::POST {
            "Post"
        } else {
            "Other"
        }
    }

    async fn call(&self, request: Request<RequestBody>) -> Response<Body> {
        let body = request.into_body().bytes().await.unwrap_or_default();
        self.bodies
            .lock()
            .unwrap()
            .push(String::from_utf8_lossy(&body).into_owned());
        let status = match self.answer {
            Answer::Ok => 200,
            Answer::Status(s) => s,
            Answer::Hang(d) => {
                tokio::time::sleep(d).await;
                200
            }
        };
        Response::builder()
            .status(StatusCode::from_u16(status).unwrap())
            .body(Body::new("ok".into()))
            .unwrap()
    }
}

pub struct Webhook {
    server: Server,
    receiver: Arc<Receiver>,
}

impl Webhook {
    pub async fn start(answer: Answer) -> Webhook {
        let receiver = Arc::new(Receiver {
            answer,
            bodies: Mutex::new(Vec::new()),
        });
        let server = Server::start(receiver.clone(), 0).await.expect("webhook");
        Webhook { server, receiver }
    }

    /// The URL to configure, with a token-like path (webhook URLs are secrets).
    pub fn url(&self) -> String {
        format!("{}/hook/SECRETWEBHOOKTOKEN", self.server.base_url())
    }

    /// Bodies received so far.
    pub fn bodies(&self) -> Vec<String> {
        self.receiver.bodies.lock().unwrap().clone()
    }
}
