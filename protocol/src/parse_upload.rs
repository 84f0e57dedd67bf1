//! `ingest.parse_upload` and its arguments, as the producers (API, CLI) write them and the worker
//! reads them.

use broker::{Envelope, TaskId};
use serde::{Deserialize, Serialize};

/// The registered name of the ingestion task.
pub const PARSE_UPLOAD: &str = "ingest.parse_upload";

/// The arguments of `ingest.parse_upload`: a run created by the API or CLI, or an object a service
/// stored itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParseUpload {
    /// `{"run_id": N}`.
    Run {
        /// The run to ingest.
        run_id: i64,
    },
    /// `{"object": "<key>", "filename": "<name>"}`; the worker creates the run once per task id.
    Object {
        /// The key of the archive in the storage.
        object: String,
        /// The archive's original file name.
        filename: String,
    },
}

impl ParseUpload {
    /// The envelope that asks a worker to run this, under `task_id`.
    pub fn envelope(&self, task_id: TaskId) -> Envelope {
        let args = match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(args)) => args,
            // Both forms are structs of plain fields: they always serialise to an object.
            _ => unreachable!("ParseUpload serialises to a JSON object"),
        };
        let mut envelope = Envelope::new(PARSE_UPLOAD, args);
        envelope.id = task_id;
        envelope
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn run_form_is_the_contract_args() {
        let id = TaskId::new();
        let envelope = ParseUpload::Run { run_id: 42 }.envelope(id);
        assert_eq!(envelope.task, "ingest.parse_upload");
        assert_eq!(envelope.id, id);
        assert_eq!(
            serde_json::Value::Object(envelope.args),
            json!({"run_id": 42})
        );
    }

    #[test]
    fn object_form_round_trips() {
        let args = json!({"object": "uploads/a.tgz", "filename": "a.tgz"});
        let parsed: ParseUpload = serde_json::from_value(args.clone()).expect("valid args");
        assert_eq!(
            parsed,
            ParseUpload::Object {
                object: "uploads/a.tgz".into(),
                filename: "a.tgz".into()
            }
        );
        assert_eq!(serde_json::to_value(&parsed).expect("serialises"), args);
    }
}
