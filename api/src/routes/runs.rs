//! Browsing: runs, a run's parsed files and its stanzas, all keyset-paginated.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use entity::store::{RunFilter, RunId, StanzaFilter};

use crate::error::ApiError;
use crate::params::{self, PageQuery, RunsQuery, StanzaQuery};
use crate::routes::{query, run_id};
use crate::schemas::{ErrorBody, FilePage, RunPage, StanzaPage};
use crate::state::AppState;

/// Runs, newest first.
#[utoipa::path(get, path = "/v1/runs", tag = "runs", params(RunsQuery),
    responses(
        (status = 200, description = "A page of runs", body = RunPage),
        (status = 400, description = "Bad `status`, `limit` or `after`", body = ErrorBody),
    ))]
pub async fn list_runs(
    State(state): State<AppState>,
    q: Result<Query<RunsQuery>, QueryRejection>,
) -> Result<Json<RunPage>, ApiError> {
    let q = query(q)?;
    let filter = RunFilter {
        status: params::status(q.status.as_deref())?,
    };
    let page = params::page(q.limit.as_deref(), q.after.as_deref())?;
    let runs = state.store().list_runs(filter, page).await?;
    Ok(Json(RunPage {
        items: runs.items.into_iter().map(Into::into).collect(),
        next: runs.next,
    }))
}

/// The run's parsed files, in archive order.
#[utoipa::path(get, path = "/v1/runs/{run_id}/files", tag = "runs",
    params(("run_id" = i64, Path, description = "Run id"), PageQuery),
    responses(
        (status = 200, description = "A page of files", body = FilePage),
        (status = 400, description = "Bad `run_id`, `limit` or `after`", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
    ))]
pub async fn list_files(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<FilePage>, ApiError> {
    let (id, q) = (run_id(id)?, query(q)?);
    let page = params::page(q.limit.as_deref(), q.after.as_deref())?;
    exists(&state, id).await?;
    let files = state.store().list_files(id, page).await?;
    Ok(Json(FilePage {
        items: files.items.into_iter().map(Into::into).collect(),
        next: files.next,
    }))
}

/// The run's stanzas in file order; `name` matches a prefix.
#[utoipa::path(get, path = "/v1/runs/{run_id}/stanzas", tag = "runs",
    params(("run_id" = i64, Path, description = "Run id"), StanzaQuery),
    responses(
        (status = 200, description = "A page of stanzas", body = StanzaPage),
        (status = 400, description = "Bad `run_id`, `limit` or `after`", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
    ))]
pub async fn list_stanzas(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
    q: Result<Query<StanzaQuery>, QueryRejection>,
) -> Result<Json<StanzaPage>, ApiError> {
    let (id, q) = (run_id(id)?, query(q)?);
    let page = params::page(q.limit.as_deref(), q.after.as_deref())?;
    let filter = StanzaFilter {
        conf: params::filter(q.conf),
        app: params::filter(q.app),
        name: params::filter(q.name),
    };
    exists(&state, id).await?;
    let stanzas = state.store().list_stanzas(id, filter, page).await?;
    Ok(Json(StanzaPage {
        items: stanzas.items.into_iter().map(Into::into).collect(),
        next: stanzas.next,
    }))
}

/// 404 unless the run exists.
pub(crate) async fn exists(state: &AppState, id: RunId) -> Result<entity::store::Run, ApiError> {
    state
        .store()
        .run(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("run {id} not found")))
}
