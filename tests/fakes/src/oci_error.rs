//! The error every fake OCI service answers with: a status and a JSON `{"code","message"}`
//! body (no body for HEAD). Service-specific constructors live with each service.

use http::{Method, Response, StatusCode};

use crate::http::{Body, empty_response, json_response};
use crate::oci_sig::AuthFailure;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl OciError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        OciError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        OciError::new(StatusCode::BAD_REQUEST, "InvalidParameter", message)
    }

    pub fn into_response(self, method: &Method) -> Response<Body> {
        if method == Method::HEAD {
            return empty_response(self.status);
        }
        json_response(
            self.status,
            &serde_json::json!({ "code": self.code, "message": self.message }),
        )
    }
}

impl From<AuthFailure> for OciError {
    fn from(failure: AuthFailure) -> Self {
        OciError::new(StatusCode::UNAUTHORIZED, "NotAuthenticated", failure.0)
    }
}
