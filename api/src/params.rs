//! Query parameters of the list routes and their validation (bad values → 400, not a default).
//!
//! Fields arrive as text so every malformed value gets our own `{"error"}` message.

use broker::{DeadCursor, QueueName};
use entity::store::{MAX_LIMIT, Page, RunStatus};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;

/// `?status=&limit=&after=` of `GET /v1/runs`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// Only runs in this status.
    #[param(pattern = "^(stored|parsing|retrying|complete|failed|cancelled)$")]
    pub status: Option<String>,
    /// Page size, 1–1000 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page (empty = first page).
    #[param(pattern = "^[0-9]{0,18}$")]
    pub after: Option<String>,
}

/// `?limit=&after=` of `GET /v1/runs/{run_id}/files`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–1000 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page (empty = first page).
    #[param(pattern = "^[0-9]{0,18}$")]
    pub after: Option<String>,
}

/// `?conf=&app=&name=&limit=&after=` of `GET /v1/runs/{run_id}/stanzas`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StanzaQuery {
    /// Only this conf type (`props`).
    pub conf: Option<String>,
    /// Only this app.
    pub app: Option<String>,
    /// Only stanzas whose name starts with this.
    pub name: Option<String>,
    /// Page size, 1–1000 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page (empty = first page).
    #[param(pattern = "^[0-9]{0,18}$")]
    pub after: Option<String>,
}

/// `?queue=&limit=&after=` of `GET /v1/worker/dead`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadQuery {
    /// The queue (default, or empty: the API's queue).
    #[param(pattern = "^[A-Za-z0-9_.-]{0,64}$")]
    pub queue: Option<String>,
    /// Page size, 1–1000 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page (empty = first page): the sequence number of the
    /// last dead letter shown, so dead letters that arrive or leave in between shift nothing.
    /// Sequence numbers have 15 to 18 digits; a shorter number is an offset cursor of an older
    /// confq and gets 400.
    #[param(pattern = "^([1-9][0-9]{14,17})?$")]
    pub after: Option<String>,
}

/// `?queue=` of the dead-letter mutations.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// The queue (default, or empty: the API's queue).
    #[param(pattern = "^[A-Za-z0-9_.-]{0,64}$")]
    pub queue: Option<String>,
}

/// Page size: absent → 50; anything but an integer in 1..=1000 → 400.
pub(crate) fn limit(raw: Option<&str>) -> Result<u64, ApiError> {
    let Some(raw) = raw else {
        return Ok(entity::store::DEFAULT_LIMIT);
    };
    match raw.parse::<u64>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(ApiError::BadRequest(format!(
            "`limit` must be an integer from 1 to {MAX_LIMIT}"
        ))),
    }
}

/// A keyset page: `after` must be a cursor this API handed out (a non-negative id).
pub(crate) fn page(limit_raw: Option<&str>, after: Option<&str>) -> Result<Page, ApiError> {
    let limit = limit(limit_raw)?;
    let after = match after.filter(|a| !a.is_empty()) {
        None => None,
        Some(a) if a.bytes().all(|b| b.is_ascii_digit()) && a.parse::<i64>().is_ok() => {
            Some(a.to_owned())
        }
        Some(_) => return Err(ApiError::BadRequest("invalid cursor `after`".to_owned())),
    };
    Ok(Page { limit, after })
}

/// `after=` of the dead-letter list: absent or empty → first page; an old offset cursor or
/// anything else this API did not hand out → 400 saying so.
pub(crate) fn dead_cursor(raw: Option<&str>) -> Result<Option<DeadCursor>, ApiError> {
    raw.filter(|a| !a.is_empty())
        .map(|a| DeadCursor::parse(a).map_err(|e| ApiError::BadRequest(e.to_string())))
        .transpose()
}

/// `status=` → a run status, or 400 naming the accepted values.
pub(crate) fn status(raw: Option<&str>) -> Result<Option<RunStatus>, ApiError> {
    raw.map(|s| {
        s.parse::<RunStatus>().map_err(|_| {
            ApiError::BadRequest(
                "`status` must be one of stored, parsing, retrying, complete, failed, cancelled"
                    .to_owned(),
            )
        })
    })
    .transpose()
}

/// `queue=` → a queue name (default: the API's queue), or 400.
pub(crate) fn queue(raw: Option<&str>, default: &QueueName) -> Result<QueueName, ApiError> {
    match raw.filter(|q| !q.is_empty()) {
        None => Ok(default.clone()),
        Some(q) => QueueName::parse(q).map_err(|e| match e {
            // The name is the client's input, not the broker's configuration.
            broker::BrokerError::Config(message) => ApiError::BadRequest(message),
            other => ApiError::BadRequest(other.to_string()),
        }),
    }
}

/// An optional filter: empty means absent.
pub(crate) fn filter(raw: Option<String>) -> Option<String> {
    raw.filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_one_to_a_thousand_are_rejected() {
        assert_eq!(limit(None).ok(), Some(50));
        assert_eq!(limit(Some("1000")).ok(), Some(1000));
        for bad in ["0", "1001", "-1", "ten", ""] {
            assert!(limit(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn cursors_must_be_non_negative_ids() {
        assert!(page(None, Some("12")).is_ok() && page(None, Some("0")).is_ok());
        assert_eq!(page(None, Some("")).ok().and_then(|p| p.after), None);
        for bad in ["+3", "-3", "abc", "99999999999999999999"] {
            assert!(page(None, Some(bad)).is_err(), "{bad}");
        }
    }
}
