//! Bearer-token check: mutating routes need `Authorization: Bearer <token>` when a token is
//! configured; `/v1` reads too when `protect_reads` is on. Probes, `/metrics` and
//! `/openapi.json` stay open so orchestrators and scrapers need no secret; `/v1/stream` checks
//! the token itself (browsers cannot set headers on a WebSocket), and the dashboard's static
//! files under `/ui/` are open (they hold no data; the page sends the token it is given).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::AppState;

/// Middleware: answers 401 when the route needs the token and the request lacks it.
pub async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(token) = state.config().api_token.as_deref() else {
        return next.run(request).await;
    };
    if !needs_token(
        request.method(),
        request.uri().path(),
        state.config().protect_reads,
    ) {
        return next.run(request).await;
    }
    let presented = bearer_of(request.headers());
    match presented {
        Some(p) if token_matches(p, token) => next.run(request).await,
        _ => ApiError::Unauthorized.into_response(),
    }
}

/// The token of the request's `Authorization: Bearer` header, if any.
pub(crate) fn bearer_of(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
}

/// The credentials of a `Bearer` authorization header; the scheme is case-insensitive (RFC 7235).
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim_start())
}

fn needs_token(method: &Method, path: &str, protect_reads: bool) -> bool {
    let read = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    // The live stream checks the token itself: browsers send it as `?token=` or a first message.
    if read && path == STREAM_PATH {
        return false;
    }
    !read || (protect_reads && path.starts_with("/v1/"))
}

/// The WebSocket route, which authenticates in its handler (`stream/mod.rs`).
pub(crate) const STREAM_PATH: &str = "/v1/stream";

/// Compares in time independent of where the first difference is (the length still shows).
pub(crate) fn token_matches(presented: &str, expected: &str) -> bool {
    presented.as_bytes().ct_eq(expected.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_mutations_need_the_token_unless_reads_are_protected() {
        assert!(needs_token(&Method::POST, "/v1/uploads", false));
        assert!(needs_token(&Method::DELETE, "/v1/worker/dead", false));
        assert!(!needs_token(&Method::GET, "/v1/runs", false));
        assert!(needs_token(&Method::GET, "/v1/runs", true));
        assert!(!needs_token(&Method::GET, "/healthz", true));
        assert!(!needs_token(&Method::GET, "/v1/stream", true));
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(token_matches("s3cret", "s3cret"));
        assert!(!token_matches("s3cre", "s3cret"));
        assert!(!token_matches("s3creT", "s3cret"));
    }
}
