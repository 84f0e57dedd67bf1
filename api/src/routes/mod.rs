//! The HTTP routes, one file per resource.

pub mod dead;
pub mod health;
pub mod runs;
pub mod settings;
pub mod tasks;
pub mod uploads;
pub mod views;
pub mod worker;

use axum::extract::rejection::{PathRejection, QueryRejection};
use entity::store::RunId;

use crate::error::ApiError;

/// A malformed query string (e.g. a repeated parameter) → 400 with our error body.
pub(crate) fn query<T>(q: Result<axum::extract::Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|axum::extract::Query(q)| q)
        .map_err(|e| ApiError::BadRequest(format!("invalid query string: {}", e.body_text())))
}

/// `{run_id}` → a run id, or 400.
pub(crate) fn run_id(
    p: Result<axum::extract::Path<i64>, PathRejection>,
) -> Result<RunId, ApiError> {
    p.map(|axum::extract::Path(id)| RunId(id))
        .map_err(|_| ApiError::BadRequest("`run_id` must be an integer".to_owned()))
}
