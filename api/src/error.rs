//! `ApiError`: every failure a handler reports, mapped to a status code and `{"error": "…"}`.
//!
//! 4xx carry a message meant for the client. 5xx carry a generic message; their cause chain
//! (each cause once, credentials redacted: [`broker::report`]) rides in a response extension to
//! [`log_server_errors`], which logs it once with the request id and puts the id into the body.

use std::error::Error as StdError;

use axum::Json;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use broker::BrokerError;
use entity::submit::SubmitError;
use entity::{StorageError, StoreError};
use serde_json::json;

type Cause = Box<dyn StdError + Send + Sync>;

/// A failed request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The request is malformed (bad parameter, empty upload…): 400.
    #[error("{0}")]
    BadRequest(String),
    /// A mutating route (or a protected read) without the right bearer token: 401.
    #[error("missing or invalid bearer token")]
    Unauthorized,
    /// The run, task or route does not exist: 404.
    #[error("{0}")]
    NotFound(String),
    /// The resource is not in a state that allows this: 409.
    #[error("{0}")]
    Conflict(String),
    /// The upload body stopped arriving for longer than the idle timeout; nothing was kept: 408.
    #[error("{0}")]
    RequestTimeout(String),
    /// The upload is larger than the limit; nothing was kept: 413.
    #[error("upload exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// A dependency (Redis, the database, the object storage) does not answer: 503.
    #[error("{what} is unavailable")]
    Unavailable {
        /// Which dependency, as shown to clients.
        what: &'static str,
        /// Why.
        #[source]
        source: Cause,
    },
    /// Anything else: 500.
    #[error("internal error while trying to {action}")]
    Internal {
        /// What the server was doing.
        action: &'static str,
        /// Why it failed.
        #[source]
        source: Cause,
    },
}

/// The cause chain of a 5xx, handed from [`ApiError::into_response`] to [`log_server_errors`].
#[derive(Clone, Debug)]
struct ServerError(String);

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::Unavailable { what, .. } => {
                format!("service temporarily unavailable: {what} does not answer; try again later")
            }
            Self::Internal { .. } => "internal server error".to_owned(),
            other => other.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response =
            (status, Json(json!({ "error": self.public_message() }))).into_response();
        if status.is_server_error() {
            response
                .extensions_mut()
                .insert(ServerError(cause_chain(&self)));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                "www-authenticate",
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// `error: cause: cause…`, the way 5xx are logged: each cause once, credentials redacted.
fn cause_chain(error: &dyn StdError) -> String {
    broker::report::one_line(error)
}

/// Middleware: logs each 5xx once with its cause chain and request id, and names the request
/// id in the response body so an operator can find the log line.
pub async fn log_server_errors(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let response = next.run(request).await;
    if response.status() == StatusCode::GATEWAY_TIMEOUT
        && response.extensions().get::<ServerError>().is_none()
    {
        // The timeout layer answers with an empty body; give it the error shape of every other.
        tracing::error!(request.id = %request_id, %method, %path, status = 504, "request timed out");
        let (mut parts, _) = response.into_parts();
        parts.headers.insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        );
        let body = json!({ "error": format!("request timed out (request id {request_id})") });
        return Response::from_parts(parts, axum::body::Body::from(body.to_string()));
    }
    let Some(ServerError(chain)) = response.extensions().get::<ServerError>().cloned() else {
        return response;
    };
    let status = response.status();
    tracing::error!(request.id = %request_id, %method, %path, status = status.as_u16(), error = %chain, "request failed");
    let message = match status {
        StatusCode::SERVICE_UNAVAILABLE => "service temporarily unavailable; try again later",
        _ => "internal server error",
    };
    let (parts, _) = response.into_parts();
    let body = json!({ "error": format!("{message} (request id {request_id})") }).to_string();
    Response::from_parts(parts, axum::body::Body::from(body))
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(id) => Self::NotFound(format!("run {id} not found")),
            StoreError::NotFailed(id) => Self::Conflict(format!(
                "run {id} is not failed; only failed runs can be retried"
            )),
            e @ StoreError::NotComplete { .. } => Self::Conflict(e.to_string()),
            StoreError::InvalidCursor => Self::BadRequest("invalid cursor `after`".to_owned()),
            StoreError::InvalidSearch(message) => Self::BadRequest(message),
            e if e.is_transient() => Self::Unavailable {
                what: "the database",
                source: Box::new(e),
            },
            e => Self::Internal {
                action: "query the database",
                source: Box::new(e),
            },
        }
    }
}

impl From<BrokerError> for ApiError {
    fn from(e: BrokerError) -> Self {
        if e.is_transient() {
            Self::Unavailable {
                what: "the queue broker",
                source: Box::new(e),
            }
        } else {
            Self::Internal {
                action: "talk to the queue broker",
                source: Box::new(e),
            }
        }
    }
}

impl From<SubmitError> for ApiError {
    fn from(e: SubmitError) -> Self {
        match e {
            SubmitError::CreateRun(e) => e.into(),
            SubmitError::Enqueue { source, .. } => source.into(),
            // A variant added later: the cause chain says what happened.
            e => Self::Internal {
                action: "submit the upload",
                source: Box::new(e),
            },
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::TooLarge { limit } => Self::TooLarge { limit },
            StorageError::Empty => Self::BadRequest("the upload is empty".to_owned()),
            StorageError::Read { source } => read_failure(source),
            e if e.is_transient() => Self::Unavailable {
                what: "the object storage",
                source: Box::new(e),
            },
            e => Self::Internal {
                action: "store the upload",
                source: Box::new(e),
            },
        }
    }
}

/// A failed read of the request body is the client's doing, except an over-limit body.
fn read_failure(source: std::io::Error) -> ApiError {
    match source.kind() {
        std::io::ErrorKind::FileTooLarge => match source
            .into_inner()
            .and_then(|e| e.downcast::<LimitHit>().ok())
        {
            Some(hit) => ApiError::TooLarge { limit: hit.0 },
            None => ApiError::BadRequest("the upload is too large".to_owned()),
        },
        std::io::ErrorKind::TimedOut => ApiError::RequestTimeout(
            "the upload stalled: no data arrived within the idle timeout; nothing was kept"
                .to_owned(),
        ),
        _ => ApiError::BadRequest(
            "reading the upload failed: the request body was cut short or malformed".to_owned(),
        ),
    }
}

/// Marks an upload body that hit a size limit before the storage's own check did.
#[derive(Debug, thiserror::Error)]
#[error("upload exceeds the limit of {0} bytes")]
pub(crate) struct LimitHit(pub u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_keep_their_cause_chain_out_of_the_body() {
        let e = ApiError::Internal {
            action: "query the database",
            source: Box::new(std::io::Error::other("secret detail")),
        };
        assert_eq!(e.public_message(), "internal server error");
        assert!(cause_chain(&e).ends_with("secret detail"));
    }

    #[test]
    fn store_errors_map_to_client_statuses() {
        assert_eq!(
            ApiError::from(StoreError::InvalidCursor).status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            ApiError::from(StoreError::NotFailed(entity::store::RunId(1))).status(),
            StatusCode::CONFLICT
        );
        let not_complete = StoreError::NotComplete {
            run: entity::store::RunId(2),
            status: entity::store::RunStatus::Parsing,
        };
        let error = ApiError::from(not_complete);
        assert_eq!(error.status(), StatusCode::CONFLICT);
        assert_eq!(error.public_message(), "run 2 is parsing, not complete");
        assert_eq!(
            ApiError::from(StorageError::Empty).status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            ApiError::from(StorageError::TooLarge { limit: 3 }).status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }
}
