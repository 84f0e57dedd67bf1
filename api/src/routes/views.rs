//! The Splunk views of complete runs: the effective configuration and the diff of two runs.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use entity::store::RunId;

use crate::error::ApiError;
use crate::params;
use crate::routes::query;
use crate::schemas::ErrorBody;
use crate::state::AppState;
use crate::views::documents::{DiffPage, EffectivePage};
use crate::views::params::{DiffQuery, EffectiveQuery};
use crate::views::{self, After, Cursor, paginate};

/// The configuration Splunk would use in the global context, with each setting's provenance.
#[utoipa::path(get, path = "/v1/runs/{run_id}/effective/{conf}", tag = "views",
    params(
        ("run_id" = i64, Path, description = "Run id"),
        ("conf" = String, Path, description = "Conf type (`props`); an unknown one gives an empty list"),
        EffectiveQuery,
    ),
    responses(
        (status = 200, description = "A page of effective stanzas, by name", body = EffectivePage),
        (status = 400, description = "Bad `run_id`, `limit` or `after`", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
        (status = 409, description = "The run is not complete (the message gives its status)", body = ErrorBody),
    ))]
pub async fn effective(
    State(state): State<AppState>,
    path: Result<Path<(i64, String)>, PathRejection>,
    q: Result<Query<EffectiveQuery>, QueryRejection>,
) -> Result<Json<EffectivePage>, ApiError> {
    let Path((run, conf)) = path.map_err(|_| bad_path())?;
    let q = query(q)?;
    let limit = params::limit(q.limit.as_deref())?;
    let after = After::parse(q.after.as_deref())?;
    let stanza = params::filter(q.stanza);
    let view = views::effective(state.store(), RunId(run), &conf, stanza.as_deref()).await?;
    let after = after.cursor()?;
    let key = |s: &splunk::view::EffectiveStanza| Cursor(vec![s.stanza.clone()]);
    let (items, next) = paginate(view, key, after.as_ref(), limit);
    Ok(Json(EffectivePage {
        items: items.into_iter().map(Into::into).collect(),
        next,
    }))
}

/// Added, removed and changed settings from run `a`'s effective view to run `b`'s.
#[utoipa::path(get, path = "/v1/runs/{a}/diff/{b}", tag = "views",
    params(
        ("a" = i64, Path, description = "The earlier run"),
        ("b" = i64, Path, description = "The later run"),
        DiffQuery,
    ),
    responses(
        (status = 200, description = "A page of changes, by conf, stanza and key", body = DiffPage),
        (status = 400, description = "Bad run id, `limit` or `after`", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
        (status = 409, description = "A run is not complete (the message gives its status)", body = ErrorBody),
    ))]
pub async fn diff(
    State(state): State<AppState>,
    path: Result<Path<(i64, i64)>, PathRejection>,
    q: Result<Query<DiffQuery>, QueryRejection>,
) -> Result<Json<DiffPage>, ApiError> {
    let Path((a, b)) = path.map_err(|_| bad_path())?;
    let q = query(q)?;
    let limit = params::limit(q.limit.as_deref())?;
    let after = After::parse(q.after.as_deref())?;
    let conf = params::filter(q.conf);
    let changes = views::diff(state.store(), RunId(a), RunId(b), conf.as_deref()).await?;
    let after = after.cursor()?;
    let key =
        |c: &splunk::view::Change| Cursor(vec![c.conf.clone(), c.stanza.clone(), c.key.clone()]);
    let (items, next) = paginate(changes, key, after.as_ref(), limit);
    Ok(Json(DiffPage {
        items: items.into_iter().map(Into::into).collect(),
        next,
    }))
}

fn bad_path() -> ApiError {
    ApiError::BadRequest("run ids must be integers".to_owned())
}
