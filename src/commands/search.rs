//! `confq settings --key K [--value V] [--conf C] [--app A] [--run R] [--limit N] [--json]`: where
//! settings are defined across runs, as `GET /v1/settings` answers.

use clap::Args;
use entity::StoreError;
use entity::store::{KeyPattern, MAX_LIMIT, Page, RunId, SettingFilter, value_substring};
use serde_json::json;

use crate::cli::Settings;
use crate::commands::table;
use crate::exit::Failure;
use crate::output::out;
use crate::services;

/// Arguments of `confq settings`.
#[derive(Debug, Clone, Args)]
pub(crate) struct SearchArgs {
    /// The key, exact and case-sensitive, or with up to 4 `*` (`EVAL-*`).
    #[arg(long)]
    pub key: Option<String>,
    /// A case-insensitive substring of the value.
    #[arg(long)]
    pub value: Option<String>,
    /// Only this conf type (`props`).
    #[arg(long)]
    pub conf: Option<String>,
    /// Only this app.
    #[arg(long)]
    pub app: Option<String>,
    /// Only this run.
    #[arg(long)]
    pub run: Option<i64>,
    /// Print at most this many places.
    #[arg(long, default_value_t = 100)]
    pub limit: u64,
    /// Print `GET /v1/settings`'s page document (`{"items", "next"}`).
    #[arg(long)]
    pub json: bool,
}

/// Prints the places matching the search, oldest first.
pub(crate) async fn run(settings: &Settings, args: &SearchArgs) -> Result<(), Failure> {
    let usage = |error: StoreError| Failure::usage(error.to_string());
    let filter = SettingFilter {
        key: args
            .key
            .as_deref()
            .map(KeyPattern::parse)
            .transpose()
            .map_err(usage)?,
        value: args
            .value
            .as_deref()
            .map(value_substring)
            .transpose()
            .map_err(usage)?,
        conf: args.conf.clone(),
        app: args.app.clone(),
        run: args.run.map(RunId),
    };
    let store = services::store(settings).await?;
    let (mut items, mut after) = (Vec::new(), None);
    while (items.len() as u64) < args.limit {
        let limit = (args.limit - items.len() as u64).min(MAX_LIMIT);
        let page = store
            .search_settings(&filter, Page { limit, after })
            .await
            .map_err(|error| services::database_failure("search settings", &error))?;
        items.extend(page.items);
        after = page.next;
        if after.is_none() {
            break;
        }
    }
    let documents: Vec<_> = items
        .into_iter()
        .map(api::routes::settings::SettingDocument::from)
        .collect();
    if args.json {
        out!("{}", json!({"items": documents, "next": after}));
        return Ok(());
    }
    let rows: Vec<Vec<String>> = documents
        .iter()
        .map(|d| {
            let place = format!("{}:{}", d.source_path, d.line);
            let app = d.app.clone().unwrap_or_else(|| "-".into());
            let cells = [d.run_id.to_string(), app, d.layer.clone(), d.conf.clone()];
            let mut row = cells.to_vec();
            row.extend([
                format!("[{}]", d.stanza),
                d.key.clone(),
                d.value.clone(),
                place,
            ]);
            row
        })
        .collect();
    let headers = [
        "run", "app", "layer", "conf", "stanza", "key", "value", "where",
    ];
    out!("{}", table::render(&headers, &rows));
    if after.is_some() {
        out!(
            "(more than {} places: narrow the search or raise --limit)",
            args.limit
        );
    }
    Ok(())
}
