//! `POST /v1/uploads`: stream the archive into storage, create the run, enqueue its task.

use axum::Json;
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::{StatusCode, header};
use broker::QueueName;
use entity::filename::display_name;
use entity::store::RunSource;
use entity::submit::{Intake, Submission, discard};
use entity::{StorageError, StoredObject};
use futures::TryStreamExt;
use serde::Deserialize;
use tokio_util::io::StreamReader;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, LimitHit};
use crate::params;
use crate::schemas::{Accepted, ErrorBody};
use crate::state::AppState;

/// Room for multipart boundaries and headers around the file itself.
pub(crate) const MULTIPART_SLACK: u64 = 64 * 1024;

/// `?filename=&queue=` of an upload.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The archive's original name, for display only: control characters become `_`, longer
    /// names are cut at 255 characters (default: the multipart file name, else `upload`).
    pub filename: Option<String>,
    /// The broker queue the ingestion task goes to: 1-64 characters of `A-Z a-z 0-9 _ - .`
    /// (default, or empty: the API's queue, `ingest` unless configured). Shown in the run's status.
    #[param(pattern = "^[A-Za-z0-9_.-]{0,64}$")]
    pub queue: Option<String>,
}

/// The multipart form of an upload: exactly one field, `file`.
#[derive(ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // documents the form in the OpenAPI document only
pub struct UploadForm {
    /// The archive (`.tar.gz`, `.tgz`, `.tar`, `.zip`, `.spl`).
    #[schema(value_type = String, format = Binary, min_length = 1)]
    file: Vec<u8>,
}

/// A raw archive body (at least one byte).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary, min_length = 1)]
#[allow(dead_code)] // documents the body in the OpenAPI document only
pub struct RawArchive(Vec<u8>);

/// Stores an archive and queues it for ingestion.
#[utoipa::path(post, path = "/v1/uploads", tag = "uploads",
    params(UploadQuery),
    request_body(content(
        (UploadForm = "multipart/form-data"),
        (RawArchive = "application/octet-stream"),
    )),
    responses(
        (status = 202, description = "Stored and queued", body = Accepted),
        (status = 400, description = "Empty upload, a multipart body without exactly the field `file`, or a bad `queue`", body = ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 413, description = "Larger than the upload limit; nothing kept", body = ErrorBody),
        (status = 503, description = "Redis, the database or the storage does not answer", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    request: Request,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let query = Query::<UploadQuery>::try_from_uri(request.uri())
        .map(|Query(q)| q)
        .map_err(|e| ApiError::BadRequest(format!("invalid query string: {}", e.body_text())))?;
    let queue = params::queue(query.queue.as_deref(), &state.config().queue)?;
    refuse_declared_oversize(&request, state.config().max_upload_bytes)?;
    let (filename, object) = if is_multipart(&request) {
        from_multipart(&state, request, query.filename).await?
    } else {
        let filename = display_name(query.filename.as_deref());
        let body = request.into_body().into_data_stream().map_err(body_error);
        let object = state
            .storage()
            .put_stream(StreamReader::new(body), state.config().max_upload_bytes)
            .await?;
        (filename, object)
    };
    let accepted = accept(&state, filename, object, &queue).await?;
    Ok((StatusCode::ACCEPTED, Json(accepted)))
}

/// A `Content-Length` past the limit is refused before a byte is read.
fn refuse_declared_oversize(request: &Request, limit: u64) -> Result<(), ApiError> {
    let allowed = if is_multipart(request) {
        limit.saturating_add(MULTIPART_SLACK)
    } else {
        limit
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > allowed => Err(ApiError::TooLarge { limit }),
        _ => Ok(()),
    }
}

fn is_multipart(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// Streams the `file` field into storage; any other field is a bad request.
async fn from_multipart(
    state: &AppState,
    request: Request,
    name: Option<String>,
) -> Result<(String, StoredObject), ApiError> {
    let max = state.config().max_upload_bytes;
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|e| ApiError::BadRequest(format!("invalid multipart body: {}", e.body_text())))?;
    let field = form
        .next_field()
        .await
        .map_err(|e| multipart_error(&e, max))?;
    let Some(field) = field else {
        return Err(ApiError::BadRequest(
            "the multipart body has no `file` field".to_owned(),
        ));
    };
    if field.name() != Some("file") {
        return Err(ApiError::BadRequest(
            "the multipart body may hold only the field `file`".to_owned(),
        ));
    }
    let given = name.filter(|n| !n.is_empty());
    let filename = display_name(given.as_deref().or(field.file_name()));
    let bytes = field.map_err(move |e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            std::io::Error::new(std::io::ErrorKind::FileTooLarge, LimitHit(max))
        } else {
            body_error(e)
        }
    });
    let object = state
        .storage()
        .put_stream(StreamReader::new(bytes), max)
        .await?;
    // Anything after `file` makes the form invalid: drop what was stored.
    if !matches!(form.next_field().await, Ok(None)) {
        discard(state.storage(), &object.key).await;
        return Err(ApiError::BadRequest(
            "the multipart body may hold only the field `file`".to_owned(),
        ));
    }
    Ok((filename, object))
}

fn multipart_error(e: &axum::extract::multipart::MultipartError, max: u64) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge { limit: max }
    } else if is_idle_timeout(e) {
        ApiError::from(StorageError::Read {
            source: std::io::Error::from(std::io::ErrorKind::TimedOut),
        })
    } else {
        ApiError::BadRequest(format!("invalid multipart body: {}", e.body_text()))
    }
}

/// A failed read of the request body as an I/O error; the idle timeout becomes `TimedOut`, which
/// answers 408.
fn body_error(e: impl std::error::Error + Send + Sync + 'static) -> std::io::Error {
    let kind = if is_idle_timeout(&e) {
        std::io::ErrorKind::TimedOut
    } else {
        std::io::ErrorKind::Other
    };
    std::io::Error::new(kind, e)
}

/// Whether the body read failed because the client sent nothing for the idle timeout.
fn is_idle_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(error) = cause {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = error.source();
    }
    false
}

/// Creates the run and enqueues its task. If Redis fails after the row exists, the client gets
/// 503 and the run stays `stored` for the sweep (see `sweep`) to enqueue later.
async fn accept(
    state: &AppState,
    filename: String,
    object: StoredObject,
    queue: &QueueName,
) -> Result<Accepted, ApiError> {
    let submission = Submission {
        filename,
        object,
        source: RunSource::Api,
    };
    let producer = state.broker().producer();
    let intake = Intake {
        store: state.store(),
        storage: state.storage(),
        producer: &producer,
        queue,
    };
    let run = intake.submit(submission).await?;
    Ok(Accepted {
        run_id: run.id.0,
        task_id: run.task_id.map(|id| id.to_string()).unwrap_or_default(),
        status: "stored".to_owned(),
    })
}
