//! Query parameters of the Splunk views.

use serde::Deserialize;
use utoipa::IntoParams;

/// `?stanza=&limit=&after=` of `GET /v1/runs/{run_id}/effective/{conf}`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EffectiveQuery {
    /// Only the stanza of exactly this name (empty = every stanza).
    pub stanza: Option<String>,
    /// Page size, 1–1000 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page (empty = first page).
    #[param(pattern = "^([0-9a-f]{2})*$")]
    pub after: Option<String>,
}

/// `?conf=&limit=&after=` of `GET /v1/runs/{a}/diff/{b}`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// Only this conf type (empty = every conf type but `meta`).
    pub conf: Option<String>,
    /// Page size, 1–1000 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page (empty = first page).
    #[param(pattern = "^([0-9a-f]{2})*$")]
    pub after: Option<String>,
}
