//! The v1 task envelope (CONTRACT §3): parsing with a typed error per field, unknown fields kept.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::names::TaskId;

/// The only envelope version this broker understands.
pub const ENVELOPE_VERSION: u32 = 1;
/// Extra field recording the last failure's message.
pub const LAST_ERROR: &str = "last_error";
/// Extra field recording the last failure's type (`timeout`, `transient`, …).
pub const LAST_ERROR_TYPE: &str = "last_error_type";

/// Why an element is not a valid v1 envelope; the text is the dead-letter reason.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The element is not JSON at all.
    #[error("element is not JSON")]
    NotJson(#[source] serde_json::Error),
    /// The element is JSON but not an object.
    #[error("element is not a JSON object")]
    NotObject,
    /// A required field is absent.
    #[error("field `{field}` is missing")]
    Missing {
        /// The field's name.
        field: &'static str,
    },
    /// A field has the wrong type or an invalid value.
    #[error("field `{field}` must be {expected}")]
    Invalid {
        /// The field's name.
        field: &'static str,
        /// What the field must hold.
        expected: &'static str,
    },
    /// `v` is a number this broker does not speak.
    #[error("unsupported envelope version `v`: {0}")]
    Version(String),
}

/// One task as it travels through Redis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Envelope {
    /// Envelope version (1).
    pub v: u32,
    /// Unique task id; redelivery keeps it.
    pub id: TaskId,
    /// Registered task name.
    pub task: String,
    /// Arguments given to the task.
    pub args: Map<String, Value>,
    /// Failed attempts before this delivery.
    pub attempt: u32,
    /// Overrides the configured retry budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
    /// When the task was first enqueued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// Every other field, kept as it came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Envelope {
    /// A new envelope: UUID v7 id, attempt 0, `created_at` now.
    pub fn new(task: impl Into<String>, args: Map<String, Value>) -> Self {
        Self {
            v: ENVELOPE_VERSION,
            id: TaskId::new(),
            task: task.into(),
            args,
            attempt: 0,
            max_retries: None,
            created_at: Some(Utc::now()),
            extra: Map::new(),
        }
    }

    /// Parses and validates one list element.
    ///
    /// # Errors
    /// An [`EnvelopeError`] naming the first field that is wrong.
    ///
    /// # Examples
    /// What any producer may push; unknown fields are kept as they are:
    /// ```
    /// use broker::Envelope;
    ///
    /// let raw = r#"{"v":1,"id":"0192f0c4-5a6e-7c1a-9f44-1b2c3d4e5f60","task":"confq.noop",
    ///              "args":{},"trace":"abc"}"#;
    /// let envelope = Envelope::parse(raw).unwrap();
    /// assert_eq!((envelope.task.as_str(), envelope.attempt), ("confq.noop", 0));
    /// assert_eq!(envelope.extra["trace"], "abc");
    /// assert!(Envelope::parse(r#"{"v":1,"task":"confq.noop","args":{}}"#).is_err()); // no id
    ///
    /// let fresh = Envelope::new("confq.sleep", serde_json::Map::new());
    /// assert_eq!(Envelope::parse(&fresh.to_json()).unwrap(), fresh);
    /// ```
    pub fn parse(raw: &str) -> Result<Self, EnvelopeError> {
        let value: Value = serde_json::from_str(raw).map_err(EnvelopeError::NotJson)?;
        let Value::Object(mut map) = value else {
            return Err(EnvelopeError::NotObject);
        };
        let v = take_version(&mut map)?;
        let id = take_required(&mut map, "id")?;
        let id = id
            .as_str()
            .and_then(|s| s.parse::<TaskId>().ok())
            .ok_or(invalid("id", "a UUID string"))?;
        let task = match take_required(&mut map, "task")? {
            Value::String(s) if !s.is_empty() => s,
            _ => return Err(invalid("task", "a non-empty string")),
        };
        let Value::Object(args) = take_required(&mut map, "args")? else {
            return Err(invalid("args", "a JSON object"));
        };
        let attempt = take_u32(&mut map, "attempt")?.unwrap_or(0);
        let max_retries = take_u32(&mut map, "max_retries")?;
        let created_at = take_time(&mut map, "created_at")?;
        Ok(Self {
            v,
            id,
            task,
            args,
            attempt,
            max_retries,
            created_at,
            extra: map,
        })
    }

    /// The element text (compact JSON, known fields first, unknown fields after in their order).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| unreachable_json())
    }

    /// The message of the last failure, if one was recorded.
    pub fn last_error(&self) -> Option<&str> {
        self.extra.get(LAST_ERROR).and_then(Value::as_str)
    }

    /// The type of the last failure (`timeout`, `transient`, …), if one was recorded.
    pub fn last_error_type(&self) -> Option<&str> {
        self.extra.get(LAST_ERROR_TYPE).and_then(Value::as_str)
    }

    /// The same task after a failed attempt: `attempt + 1` and the failure recorded.
    pub fn failed(&self, error_type: &str, error: &str) -> Self {
        let mut next = self.clone();
        next.attempt = next.attempt.saturating_add(1);
        next.extra.insert(LAST_ERROR.to_owned(), Value::from(error));
        next.extra
            .insert(LAST_ERROR_TYPE.to_owned(), Value::from(error_type));
        next
    }
}

// Serializing a struct of strings, maps and numbers cannot fail; keep a valid element anyway.
fn unreachable_json() -> String {
    "{}".to_owned()
}

fn invalid(field: &'static str, expected: &'static str) -> EnvelopeError {
    EnvelopeError::Invalid { field, expected }
}

fn take_required(
    map: &mut Map<String, Value>,
    field: &'static str,
) -> Result<Value, EnvelopeError> {
    match map.shift_remove(field) {
        None | Some(Value::Null) => Err(EnvelopeError::Missing { field }),
        Some(v) => Ok(v),
    }
}

fn take_version(map: &mut Map<String, Value>) -> Result<u32, EnvelopeError> {
    let v = take_required(map, "v")?;
    match v.as_u64() {
        Some(1) => Ok(ENVELOPE_VERSION),
        _ => Err(EnvelopeError::Version(v.to_string())),
    }
}

fn take_u32(
    map: &mut Map<String, Value>,
    field: &'static str,
) -> Result<Option<u32>, EnvelopeError> {
    match map.shift_remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or(invalid(field, "a non-negative integer")),
    }
}

fn take_time(
    map: &mut Map<String, Value>,
    field: &'static str,
) -> Result<Option<DateTime<Utc>>, EnvelopeError> {
    match map.shift_remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(&s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| invalid(field, "an RFC 3339 time")),
        Some(_) => Err(invalid(field, "an RFC 3339 time")),
    }
}

/// Decodes one list element as another client left it: UTF-8 text holding a v1 envelope (or a
/// Celery message, read as one: `celery::from_message`). On
/// failure returns the exact bytes (to remove the element by) and the reason to dead-letter it with.
pub(crate) fn decode_element(bytes: Vec<u8>) -> Result<(String, Envelope), (Vec<u8>, String)> {
    let raw = String::from_utf8(bytes).map_err(|error| {
        let reason = format!(
            "malformed element: not UTF-8 text ({} bytes)",
            error.as_bytes().len()
        );
        (error.into_bytes(), reason)
    })?;
    match Envelope::parse(&raw) {
        Ok(envelope) => Ok((raw, envelope)),
        // Not an envelope: maybe a Celery message kombu pushed onto a Celery list.
        Err(error) => match crate::celery::from_message(&raw) {
            Some(Ok(envelope)) => Ok((raw, envelope)),
            Some(Err(refusal)) => Err((
                raw.into_bytes(),
                format!("celery message refused: {refusal}"),
            )),
            None => Err((
                raw.into_bytes(),
                format!("malformed element: {}", crate::report::one_line(&error)),
            )),
        },
    }
}

/// The envelope of an element found in a queue (a v1 envelope or a Celery message), if it is one.
pub(crate) fn read_element(raw: &str) -> Option<Envelope> {
    decode_element(raw.as_bytes().to_vec()).ok().map(|(_, e)| e)
}

#[cfg(test)]
mod tests {
    use super::{Envelope, EnvelopeError};
    use serde_json::json;

    const EXAMPLE: &str = r#"{"v":1,"id":"0192f0c4-5a6e-7c1a-9f44-1b2c3d4e5f60","task":"ingest.parse_upload","args":{"run_id":42},"attempt":0,"max_retries":3,"created_at":"2026-11-28T12:00:00Z"}"#;

    #[test]
    fn contract_example_round_trips_exactly() {
        let e = Envelope::parse(EXAMPLE).unwrap();
        assert_eq!(e.task, "ingest.parse_upload");
        assert_eq!(e.max_retries, Some(3));
        assert_eq!(e.to_json(), EXAMPLE);
    }

    #[test]
    fn unknown_fields_are_kept_on_round_trip() {
        let raw = r#"{"v":1,"id":"0192f0c4-5a6e-7c1a-9f44-1b2c3d4e5f60","task":"t","args":{},"trace":{"span":7},"zeta":[1,2]}"#;
        let e = Envelope::parse(raw).unwrap();
        assert_eq!(e.extra["trace"], json!({"span": 7}));
        let again = Envelope::parse(&e.to_json()).unwrap();
        assert_eq!(again, e);
        assert!(e.to_json().ends_with(r#""trace":{"span":7},"zeta":[1,2]}"#));
    }

    #[test]
    fn optional_fields_default() {
        let raw = r#"{"v":1,"id":"0192f0c4-5a6e-7c1a-9f44-1b2c3d4e5f60","task":"t","args":{}}"#;
        let e = Envelope::parse(raw).unwrap();
        assert_eq!((e.attempt, e.max_retries, e.created_at), (0, None, None));
    }

    #[test]
    fn each_bad_field_is_named() {
        let id = "0192f0c4-5a6e-7c1a-9f44-1b2c3d4e5f60";
        let cases = [
            ("nope".to_owned(), "not JSON"),
            ("[1]".to_owned(), "not a JSON object"),
            (
                format!(r#"{{"id":"{id}","task":"t","args":{{}}}}"#),
                "`v` is missing",
            ),
            (
                format!(r#"{{"v":2,"id":"{id}","task":"t","args":{{}}}}"#),
                "version `v`: 2",
            ),
            (
                r#"{"v":1,"task":"t","args":{}}"#.to_owned(),
                "`id` is missing",
            ),
            (
                r#"{"v":1,"id":"x","task":"t","args":{}}"#.to_owned(),
                "`id` must be a UUID",
            ),
            (
                format!(r#"{{"v":1,"id":"{id}","task":5,"args":{{}}}}"#),
                "`task` must be",
            ),
            (
                format!(r#"{{"v":1,"id":"{id}","task":"t","args":[]}}"#),
                "`args` must be",
            ),
            (
                format!(r#"{{"v":1,"id":"{id}","task":"t","args":{{}},"attempt":"1"}}"#),
                "`attempt` must be",
            ),
            (
                format!(r#"{{"v":1,"id":"{id}","task":"t","args":{{}},"created_at":"x"}}"#),
                "`created_at` must be",
            ),
        ];
        for (raw, reason) in cases {
            let err = Envelope::parse(&raw).unwrap_err();
            assert!(err.to_string().contains(reason), "{raw}: {err}");
        }
        assert!(matches!(
            Envelope::parse(r#"{"v":1}"#),
            Err(EnvelopeError::Missing { field: "id" })
        ));
    }

    #[test]
    fn failure_increments_attempt_and_records_the_error() {
        let e = Envelope::new("t", serde_json::Map::new()).failed("timeout", "lease expired");
        assert_eq!(e.attempt, 1);
        assert_eq!(e.last_error(), Some("lease expired"));
        assert_eq!(e.last_error_type(), Some("timeout"));
    }
}
