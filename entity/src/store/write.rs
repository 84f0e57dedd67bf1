//! Writing a run's parsed files and stanzas: one fenced transaction, batched inserts.

use sea_orm::sea_query::{Query, SimpleExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    TransactionTrait,
};
use tracing::instrument;

use super::Store;
use super::ids::{Fence, RunId};
use super::lifecycle::fenced;
use super::nul::{encode, needs_escape};
use super::results::{NewConfFile, NewStanza, WriteSummary};
use crate::StoreError;
use crate::{conf_file, stanza};

/// Bind parameters per stanza row (the columns of `stanza_columns`).
const STANZA_PARAMS: usize = 11;
/// Rows per multi-row insert: under SQLite's 32,766 and PostgreSQL's 65,535 bind parameters.
const STANZA_CHUNK: usize = 32_000 / STANZA_PARAMS;

impl Store {
    /// Writes the attempt's results in ONE transaction: checks the fence, deletes any partial
    /// data of the run (an earlier attempt), inserts files and stanzas in batches. The search
    /// index (`settings`) is built later, once the run is complete: [`Store::index_settings`].
    ///
    /// # Errors
    /// [`StoreError::Fenced`] when the attempt moved on (nothing is written).
    #[instrument(skip_all, err(Debug), fields(run.id = %id, files = files.len()))]
    pub async fn write_results(
        &self,
        id: RunId,
        fence: Fence,
        files: Vec<NewConfFile>,
    ) -> Result<WriteSummary, StoreError> {
        let txn = self.db.begin().await.map_err(StoreError::db("begin"))?;
        fenced(&txn, id, fence).await?;
        stanza::Entity::delete_many()
            .filter(stanza::Column::RunId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(StoreError::db("delete partial stanzas"))?;
        conf_file::Entity::delete_many()
            .filter(conf_file::Column::RunId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(StoreError::db("delete partial files"))?;
        let mut summary = WriteSummary::default();
        let mut rows: Vec<[SimpleExpr; STANZA_PARAMS]> = Vec::with_capacity(STANZA_CHUNK);
        for file in &files {
            let file_id = insert_file(&txn, id, file).await?;
            summary.files += 1;
            for stanza in &file.stanzas {
                summary.stanzas += 1;
                summary.settings += stanza.settings.len() as u64;
                rows.push(stanza_row(id, file_id, file, stanza));
                if rows.len() == STANZA_CHUNK {
                    insert_rows(&txn, STANZA_COLUMNS, std::mem::take(&mut rows)).await?;
                }
            }
        }
        if !rows.is_empty() {
            insert_rows(&txn, STANZA_COLUMNS, rows).await?;
        }
        txn.commit()
            .await
            .map_err(StoreError::db("commit results"))?;
        Ok(summary)
    }
}

async fn insert_file(
    txn: &DatabaseTransaction,
    run: RunId,
    file: &NewConfFile,
) -> Result<i64, StoreError> {
    let texts = [
        file.path.as_str(),
        file.layer.as_str(),
        file.conf_type.as_str(),
    ];
    let escaped = needs_escape(
        texts
            .into_iter()
            .chain(file.app.as_deref())
            .chain(file.parse_error.as_deref()),
    );
    let warnings = serde_json::to_string(&file.warnings)
        .map_err(|err| StoreError::Corrupt(format!("warnings: {err}")))?;
    let model = conf_file::ActiveModel {
        run_id: Set(run.0),
        path: Set(encode(&file.path, escaped)),
        app: Set(file.app.as_deref().map(|app| encode(app, escaped))),
        layer: Set(encode(&file.layer, escaped)),
        conf_type: Set(encode(&file.conf_type, escaped)),
        size_bytes: Set(file.size_bytes),
        sha256: Set(file.sha256.clone()),
        stanza_count: Set(file.stanzas.len() as i64),
        parse_error: Set(file.parse_error.as_deref().map(|err| encode(err, escaped))),
        warnings: Set(warnings),
        nul_escaped: Set(escaped),
        ..Default::default()
    };
    let inserted = conf_file::Entity::insert(model)
        .exec(txn)
        .await
        .map_err(StoreError::db("insert a conf file"))?;
    Ok(inserted.last_insert_id)
}

fn stanza_row(
    run: RunId,
    file_id: i64,
    file: &NewConfFile,
    stanza: &NewStanza,
) -> [SimpleExpr; STANZA_PARAMS] {
    let texts = [
        file.path.as_str(),
        file.layer.as_str(),
        file.conf_type.as_str(),
        stanza.name.as_str(),
    ];
    let escaped = needs_escape(texts.into_iter().chain(file.app.as_deref()));
    // serde_json writes NUL as \u0000, so settings need no escaping; the map keeps file order
    // (a repeated key keeps its first position and its last value, as Splunk reads it).
    let settings: serde_json::Map<String, serde_json::Value> = stanza
        .settings
        .iter()
        .map(|(key, value)| (key.clone(), serde_json::Value::String(value.clone())))
        .collect();
    let settings = serde_json::Value::Object(settings).to_string();
    [
        run.0.into(),
        file_id.into(),
        file.app.as_deref().map(|app| encode(app, escaped)).into(),
        encode(&file.layer, escaped).into(),
        encode(&file.conf_type, escaped).into(),
        encode(&stanza.name, escaped).into(),
        stanza.global.into(),
        encode(&file.path, escaped).into(),
        stanza.line.into(),
        settings.into(),
        escaped.into(),
    ]
}

/// The columns each stanza row gives, in order.
const STANZA_COLUMNS: [stanza::Column; STANZA_PARAMS] = [
    stanza::Column::RunId,
    stanza::Column::FileId,
    stanza::Column::App,
    stanza::Column::Layer,
    stanza::Column::ConfType,
    stanza::Column::Name,
    stanza::Column::Global,
    stanza::Column::SourcePath,
    stanza::Column::Line,
    stanza::Column::Settings,
    stanza::Column::NulEscaped,
];

/// One multi-row insert into the table of `columns`.
pub(super) async fn insert_rows<C: ColumnTrait, const N: usize>(
    txn: &DatabaseTransaction,
    columns: [C; N],
    rows: Vec<[SimpleExpr; N]>,
) -> Result<(), StoreError> {
    let mut insert = Query::insert();
    insert.into_table(C::EntityName::default()).columns(columns);
    for row in rows {
        insert
            .values(row)
            .map_err(|err| StoreError::Corrupt(format!("row: {err}")))?;
    }
    txn.execute(&insert)
        .await
        .map_err(StoreError::db("insert rows"))?;
    Ok(())
}
