//! `example.word_count`: counts the words of `{"text"}` and records `{"words"}` as one JSON line on
//! stdout, the example's result log (the runtime keeps no return values yet).

use std::io::Write;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use worker::{FailureClass, TaskContext, TaskFailure, TaskResult, TypedTask};

/// The registered task name.
pub const NAME: &str = "example.word_count";

/// Arguments of `example.word_count`: the envelope's `args` object.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordCountArgs {
    /// The text whose words are counted.
    pub text: String,
}

/// The result of `example.word_count`.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct WordCountResult {
    /// Whitespace-separated words in `text`.
    pub words: usize,
}

/// One line of the result log: which task, which delivery, what it returned.
#[derive(Debug, Serialize, Deserialize)]
pub struct ResultLine {
    /// The task id of the envelope.
    pub id: String,
    /// The task name.
    pub task: String,
    /// What the task returned.
    pub result: WordCountResult,
}

/// The `example.word_count` task.
pub struct WordCount;

impl TypedTask for WordCount {
    type Args = WordCountArgs;
    const NAME: &'static str = NAME;

    fn run(&self, ctx: TaskContext, args: WordCountArgs) -> BoxFuture<'static, TaskResult> {
        Box::pin(async move {
            if args.text.trim().is_empty() {
                // Bad input: retrying cannot help, so the envelope goes to the dead letters.
                return Err(TaskFailure::message(
                    FailureClass::Permanent,
                    "example.word_count needs a non-empty text",
                ));
            }
            let line = ResultLine {
                id: ctx.envelope.id.to_string(),
                task: NAME.to_owned(),
                result: WordCountResult {
                    words: args.text.split_whitespace().count(),
                },
            };
            record(&line).map_err(|error| TaskFailure::transient(&error))
        })
    }
}

/// Writes `line` as one JSON line on stdout. A failed write is transient: the task is retried.
fn record(line: &ResultLine) -> std::io::Result<()> {
    let json = serde_json::to_string(line).map_err(std::io::Error::other)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{json}")?;
    out.flush()
}
