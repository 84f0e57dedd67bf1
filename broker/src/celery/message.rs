//! Celery protocol v2 messages as kombu's Redis transport stores them: recognising one, and
//! turning it into the v1 envelope confq runs, or the reason it cannot run.
//!
//! The element itself is never rewritten: it stays in processing as kombu pushed it (its exact
//! text fences the lease). The envelope carries `"celery": {"eta", "expires", "track_started",
//! "ignore_result"}`
//! for what the consumer and the result writer need; a retry writes that envelope, so the task
//! comes back as a plain v1 envelope.

use base64::Engine;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use crate::envelope::{ENVELOPE_VERSION, Envelope};
use crate::names::TaskId;

/// Extra envelope field that marks a task as coming from Celery.
pub const CELERY: &str = "celery";
/// The envelope's time limit field (seconds), as the worker reads it.
const TIME_LIMIT: &str = "time_limit";

/// Why a Celery message cannot run: the Python exception type its caller sees, and the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{exc_type}: {message}")]
pub struct Refusal {
    /// The task id, when the headers hold one (the caller then gets a FAILURE result).
    pub id: Option<String>,
    /// The exception class name (`ContentDisallowed`, `DecodeError`, `TypeError`).
    pub exc_type: &'static str,
    /// What is wrong, for the dead-letter reason and the caller.
    pub message: String,
}

/// Reads `raw` as a Celery message: `None` when it is not one (a JSON object with `headers` and
/// `body` and no `v`).
pub(crate) fn from_message(raw: &str) -> Option<Result<Envelope, Refusal>> {
    let Ok(Value::Object(msg)) = serde_json::from_str::<Value>(raw) else {
        return None;
    };
    if msg.contains_key("v") {
        return None;
    }
    let (Some(Value::Object(headers)), Some(body)) = (msg.get("headers"), msg.get("body")) else {
        return None;
    };
    Some(convert(&msg, headers, body))
}

fn convert(
    msg: &Map<String, Value>,
    headers: &Map<String, Value>,
    body: &Value,
) -> Result<Envelope, Refusal> {
    let id_text = headers.get("id").and_then(Value::as_str).map(str::to_owned);
    let refuse = |exc_type: &'static str, message: String| Refusal {
        id: id_text.clone(),
        exc_type,
        message,
    };
    let content_type = text(msg, "content-type").unwrap_or("application/json");
    if content_type != "application/json" {
        return Err(refuse(
            "ContentDisallowed",
            format!(
                "content type {content_type:?} is not accepted: confq takes JSON bodies only (task_serializer='json')"
            ),
        ));
    }
    let task = text(headers, "task")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            refuse(
                "DecodeError",
                "headers.task is missing: only Celery message protocol 2 is accepted".to_owned(),
            )
        })?;
    let id = id_text
        .as_deref()
        .and_then(|s| s.parse::<TaskId>().ok())
        .ok_or_else(|| refuse("DecodeError", "headers.id must be a UUID".to_owned()))?;
    let body = decode_body(msg, body).map_err(|m| refuse("DecodeError", m))?;
    let args = arguments(body).map_err(|(exc_type, m)| refuse(exc_type, m))?;
    let mut extra = Map::new();
    if let Some(limit) = time_limit(headers) {
        extra.insert(TIME_LIMIT.to_owned(), limit.into());
    }
    let mut celery = Map::new();
    for key in ["eta", "expires"] {
        if let Some(v) = headers.get(key).filter(|v| !v.is_null()) {
            celery.insert(key.to_owned(), v.clone());
        }
    }
    for key in ["track_started", "ignore_result"] {
        if headers.get(key).is_some_and(truthy) {
            celery.insert(key.to_owned(), true.into());
        }
    }
    extra.insert(CELERY.to_owned(), Value::Object(celery));
    let attempt = headers
        .get("retries")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0);
    Ok(Envelope {
        v: ENVELOPE_VERSION,
        id,
        task: task.to_owned(),
        args,
        attempt,
        max_retries: None,
        created_at: None,
        extra,
    })
}

fn text<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Value::as_str)
}

fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false))
}

/// The body as JSON: base64 text when `properties.body_encoding` is `base64` (kombu's Redis
/// transport always does this), else JSON text or the JSON itself.
fn decode_body(msg: &Map<String, Value>, body: &Value) -> Result<Value, String> {
    let encoding = msg
        .get("properties")
        .and_then(|p| p.get("body_encoding"))
        .and_then(Value::as_str);
    let content_encoding = text(msg, "content-encoding").unwrap_or("utf-8");
    if !content_encoding.eq_ignore_ascii_case("utf-8") {
        return Err(format!(
            "content encoding {content_encoding:?} is not accepted: the body must be UTF-8 JSON"
        ));
    }
    let json = match (encoding, body) {
        (Some("base64"), Value::String(b64)) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.as_bytes())
                .map_err(|e| format!("body is not valid base64: {e}"))?;
            String::from_utf8(bytes).map_err(|_| "body is not UTF-8 text".to_owned())?
        }
        (Some(other), _) if other != "base64" => {
            return Err(format!("body encoding {other:?} is not supported"));
        }
        (_, Value::String(s)) => s.clone(),
        (_, other) => return Ok(other.clone()),
    };
    serde_json::from_str(&json).map_err(|e| format!("body is not JSON: {e}"))
}

/// The confq `args` object from the body `[args, kwargs, embed]`: the kwargs, or a single
/// positional JSON object. Errors carry the exception class.
fn arguments(body: Value) -> Result<Map<String, Value>, (&'static str, String)> {
    let Value::Array(parts) = body else {
        return Err((
            "DecodeError",
            "body is not [args, kwargs, embed]: only Celery message protocol 2 is accepted"
                .to_owned(),
        ));
    };
    let mut parts = parts.into_iter();
    let (Some(Value::Array(args)), Some(Value::Object(kwargs))) = (parts.next(), parts.next())
    else {
        return Err((
            "DecodeError",
            "body is not [args, kwargs, embed]: only Celery message protocol 2 is accepted"
                .to_owned(),
        ));
    };
    match <[Value; 0]>::try_from(args) {
        Ok([]) => Ok(kwargs),
        Err(args) => match <[Value; 1]>::try_from(args) {
            Ok([Value::Object(one)]) if kwargs.is_empty() => Ok(one),
            Ok(_) => Err(positional(1)),
            Err(args) => Err(positional(args.len())),
        },
    }
}

fn positional(n: usize) -> (&'static str, String) {
    (
        "TypeError",
        format!(
            "confq tasks take keyword arguments: pass kwargs={{...}} to send_task (got {n} positional argument{})",
            if n == 1 { "" } else { "s" }
        ),
    )
}

/// `timelimit` `[hard, soft]` in seconds: the hard limit, else the soft one.
fn time_limit(headers: &Map<String, Value>) -> Option<f64> {
    let limits = headers.get("timelimit")?.as_array()?;
    limits.iter().filter_map(Value::as_f64).find(|s| *s > 0.0)
}

/// The Celery fields of an envelope, when it came from Celery.
pub(crate) fn fields(envelope: &Envelope) -> Option<&Map<String, Value>> {
    envelope.extra.get(CELERY).and_then(Value::as_object)
}

/// A time of the Celery fields (`eta`, `expires`): ISO 8601 with an offset, or naive (UTC).
pub(crate) fn time(fields: &Map<String, Value>, key: &str) -> Option<DateTime<Utc>> {
    let s = fields.get(key)?.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use serde_json::json;

    use super::{Refusal, fields, from_message, time};
    use crate::envelope::Envelope;

    const ID: &str = "0192f0c4-5a6e-4c1a-9f44-1b2c3d4e5f60";

    fn message(body: &serde_json::Value, headers: serde_json::Value) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(body.to_string());
        json!({"body": b64, "content-encoding": "utf-8", "content-type": "application/json",
               "headers": headers, "properties": {"body_encoding": "base64", "priority": 0}})
        .to_string()
    }

    fn refusal(raw: &str) -> Refusal {
        from_message(raw).unwrap().unwrap_err()
    }

    #[test]
    fn kwargs_become_the_args_and_typed_values_pass_through() {
        let typed = json!({"__type__": "datetime", "__value__": "2026-11-30T12:00:00"});
        let raw = message(
            &json!([[], {"a": 1, "at": typed}, {"callbacks": null}]),
            json!({"lang": "py", "task": "confq.echo", "id": ID, "retries": 2,
                   "timelimit": [null, 7.5], "eta": null, "expires": "2026-11-30T12:00:00+00:00"}),
        );
        let e = from_message(&raw).unwrap().unwrap();
        assert_eq!(
            (e.task.as_str(), e.id.to_string(), e.attempt),
            ("confq.echo", ID.to_owned(), 2)
        );
        assert_eq!(
            serde_json::Value::Object(e.args.clone()),
            json!({"a": 1, "at": typed})
        );
        assert_eq!(e.extra["time_limit"], json!(7.5));
        // What a retry writes is a v1 envelope that still carries the Celery fields.
        let again = Envelope::parse(&e.to_json()).unwrap();
        let f = fields(&again).unwrap();
        assert!(time(f, "expires").is_some() && !f.contains_key("eta"));
    }

    #[test]
    fn a_single_positional_object_is_accepted_and_other_positionals_are_a_type_error() {
        let h = json!({"task": "t", "id": ID});
        let one = from_message(&message(&json!([[{"x": 1}], {}, {}]), h.clone())).unwrap();
        assert_eq!(
            serde_json::Value::Object(one.unwrap().args),
            json!({"x": 1})
        );
        for body in [
            json!([[1, 2], {}, {}]),
            json!([["a"], {}, {}]),
            json!([[{"x": 1}], {"y": 2}, {}]),
        ] {
            let r = refusal(&message(&body, h.clone()));
            assert_eq!((r.exc_type, r.id.as_deref()), ("TypeError", Some(ID)));
            assert!(r.message.contains("kwargs"), "{}", r.message);
        }
    }

    #[test]
    fn pickle_and_broken_bodies_are_refused_with_the_id() {
        let raw = json!({"body": "gASVAAAA", "content-type": "application/x-python-serialize",
                         "headers": {"task": "t", "id": ID}, "properties": {"body_encoding": "base64"}});
        let r = refusal(&raw.to_string());
        assert_eq!(
            (r.exc_type, r.id.as_deref()),
            ("ContentDisallowed", Some(ID))
        );
        let raw = json!({"body": "!!", "content-type": "application/json",
                         "headers": {"task": "t", "id": ID}, "properties": {"body_encoding": "base64"}});
        assert_eq!(refusal(&raw.to_string()).exc_type, "DecodeError");
        let v1 = json!({"task": "t", "id": "x"});
        assert_eq!(
            refusal(&message(&json!([[], {}, {}]), v1)).message,
            "headers.id must be a UUID"
        );
    }

    #[test]
    fn a_v1_envelope_or_other_json_is_not_a_celery_message() {
        assert!(from_message(r#"{"v":1,"headers":{},"body":""}"#).is_none());
        assert!(from_message(r#"{"id":"x"}"#).is_none());
        assert!(from_message("nope").is_none());
    }

    #[test]
    fn naive_and_offset_times_are_read() {
        let f = json!({"eta": "2026-11-30T12:00:02.5", "expires": "2026-11-30T13:00:00+01:00"});
        let f = f.as_object().unwrap();
        assert_eq!(
            time(f, "eta").unwrap().to_rfc3339(),
            "2026-11-30T12:00:02.500+00:00"
        );
        assert_eq!(
            time(f, "expires").unwrap().to_rfc3339(),
            "2026-11-30T12:00:00+00:00"
        );
    }
}
