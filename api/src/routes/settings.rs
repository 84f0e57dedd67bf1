//! `GET /v1/settings`: where settings are defined across runs (a key exact or with `*`, a value
//! substring), keyset-paginated like every list.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use entity::store::{KeyPattern, RunId, SettingFilter, SettingRow, value_substring};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::params;
use crate::routes::query;
use crate::schemas::{ErrorBody, page};
use crate::state::AppState;

/// `?key=&value=&conf=&app=&run=&limit=&after=` of `GET /v1/settings`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SettingsQuery {
    /// The key, exact and case-sensitive, or with up to 4 `*` standing for any characters
    /// (`EVAL-*`); at most 1 KB.
    pub key: Option<String>,
    /// A case-insensitive substring of the value (wildcards are literal); at most 1 KB.
    pub value: Option<String>,
    /// Only this conf type (`props`).
    pub conf: Option<String>,
    /// Only this app.
    pub app: Option<String>,
    /// Only this run.
    #[param(value_type = Option<i64>)]
    pub run: Option<String>,
    /// Page size, 1–1000 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page (empty = first page).
    #[param(pattern = "^[0-9]{0,18}$")]
    pub after: Option<String>,
}

/// One place a setting is defined.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingDocument {
    /// The run.
    pub run_id: i64,
    /// Conf type (`props` for `props.conf`).
    pub conf: String,
    /// Stanza name.
    pub stanza: String,
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
    /// App folder (from the path inside an app package for a nested one).
    pub app: Option<String>,
    /// `default`, `local`, `metadata` or `other`.
    pub layer: String,
    /// Path of the file in the archive (`<package>!<member>` inside an app package).
    pub source_path: String,
    /// Line of the stanza's header (of its first setting for settings before any header).
    pub line: i64,
}

impl From<SettingRow> for SettingDocument {
    fn from(r: SettingRow) -> Self {
        Self {
            run_id: r.run_id,
            conf: r.conf,
            stanza: r.stanza,
            key: r.key,
            value: r.value,
            app: r.app,
            layer: r.layer,
            source_path: r.source_path,
            line: r.line,
        }
    }
}

page!(SettingPage, SettingDocument, "A page of settings.");

/// Where settings are defined, across every run or one, in ingestion order.
#[utoipa::path(get, path = "/v1/settings", tag = "runs", params(SettingsQuery),
    responses(
        (status = 200, description = "A page of settings", body = SettingPage),
        (status = 400, description = "Bad `key` (over 1 KB or more than 4 `*`), `value` (over 1 KB), `run`, `limit` or `after`", body = ErrorBody),
    ))]
pub async fn search(
    State(state): State<AppState>,
    q: Result<Query<SettingsQuery>, QueryRejection>,
) -> Result<Json<SettingPage>, ApiError> {
    let q = query(q)?;
    let page = params::page(q.limit.as_deref(), q.after.as_deref())?;
    let run = match params::filter(q.run) {
        None => None,
        Some(run) => Some(RunId(run.parse().map_err(|_| {
            ApiError::BadRequest("`run` must be an integer".to_owned())
        })?)),
    };
    let filter = SettingFilter {
        key: params::filter(q.key)
            .map(|k| KeyPattern::parse(&k))
            .transpose()?,
        value: params::filter(q.value)
            .map(|v| value_substring(&v))
            .transpose()?,
        conf: params::filter(q.conf),
        app: params::filter(q.app),
        run,
    };
    let found = state.store().search_settings(&filter, page).await?;
    Ok(Json(SettingPage {
        items: found.items.into_iter().map(Into::into).collect(),
        next: found.next,
    }))
}
