//! The claims of OCI security tokens that a client needs: when the token stops working.
//!
//! Security tokens (instance and resource principals) are JWTs signed by OCI's identity service.
//! The client cannot and need not verify them — the service does — so the payload is decoded
//! unverified, only to read `exp` (seconds since the epoch) and decide when to fetch a new one.
//! The token itself is a credential: nothing here puts it, or any part of it, into a message.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use zeroize::Zeroizing;

/// Why a token's expiry could not be read. Messages describe the shape, never the content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the security token is not a JWT (expected three '.'-separated parts)")]
    NotJwt,
    #[error("the security token's payload is not base64url-encoded JSON")]
    BadPayload,
    #[error("the security token has no numeric 'exp' claim")]
    NoExpiry,
}

/// When `token` expires, from its `exp` claim.
pub fn expiry(token: &str) -> Result<Timestamp, JwtError> {
    let mut parts = token.trim().split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::NotJwt);
    };
    // Some encoders pad base64url; the JWT spec does not, so padding is dropped first.
    let decoded = Zeroizing::new(
        URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| JwtError::BadPayload)?,
    );
    let claims: serde_json::Value =
        serde_json::from_slice(&decoded).map_err(|_| JwtError::BadPayload)?;
    let exp = claims.get("exp").ok_or(JwtError::NoExpiry)?;
    // `exp` is a NumericDate: seconds, possibly with a fraction.
    let seconds = exp
        .as_i64()
        .or_else(|| exp.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
        .ok_or(JwtError::NoExpiry)?;
    Timestamp::from_second(seconds).map_err(|_| JwtError::NoExpiry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(payload: &str) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(b"signature bytes")
        )
    }

    #[test]
    fn reads_exp_as_seconds_since_the_epoch() {
        let t = token(r#"{"sub":"ocid1.instance.oc1..x","iat":1767225000,"exp":1767226200}"#);
        assert_eq!(
            expiry(&t),
            Ok("2026-01-01T00:10:00Z".parse::<Timestamp>().expect("time"))
        );
        let fractional = token(r#"{"exp":1767226200.75}"#);
        assert_eq!(expiry(&fractional), expiry(&t));
        // Padded base64url and surrounding whitespace (a token file's newline) are accepted.
        let padded = format!(
            "h.{}.s\n",
            base64::engine::general_purpose::URL_SAFE.encode(r#"{"exp":1767226200}"#)
        );
        assert_eq!(expiry(&padded), expiry(&t));
    }

    #[test]
    fn malformed_tokens_are_named_without_their_content() {
        assert_eq!(expiry("opaque-token"), Err(JwtError::NotJwt));
        assert_eq!(expiry("a.b.c.d"), Err(JwtError::NotJwt));
        assert_eq!(expiry("a.%%%.c"), Err(JwtError::BadPayload));
        assert_eq!(expiry(&token("not json")), Err(JwtError::BadPayload));
        assert_eq!(expiry(&token(r#"{"iat":1}"#)), Err(JwtError::NoExpiry));
        assert_eq!(expiry(&token(r#"{"exp":"soon"}"#)), Err(JwtError::NoExpiry));
        let secret = "s3cr3t-claim-value";
        let message = expiry(&token(&format!(r#"{{"sub":"{secret}"}}"#)))
            .expect_err("no exp")
            .to_string();
        assert!(!message.contains(secret), "{message}");
    }
}
