//! Reads an archive and parses its files off the async runtime: decompression and parsing are CPU
//! work, so they run on a blocking thread and leave the runtime free for heartbeats.

use std::collections::HashMap;

use entity::store::{FileWarning, NewConfFile, NewStanza};
use splunk::archive::{ArchiveReader, ConfEntry, Limits};
use splunk::conf::{self, Stanza};
use tokio::io::AsyncRead;
use tracing::info;

use super::IngestError;
use crate::heartbeat::Progress;

/// Reads every `.conf`/`.meta` file of the archive in `source` and parses it. Duplicate members:
/// the last one wins, with a warning on the file kept.
///
/// # Errors
/// Unreadable or over-cap archives, storage failures, and archives without any config file.
pub async fn parse_archive<R>(
    source: R,
    limits: Limits,
    progress: Progress,
) -> Result<Vec<NewConfFile>, IngestError>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    let runtime = tokio::runtime::Handle::current();
    let files =
        tokio::task::spawn_blocking(move || runtime.block_on(read_all(source, limits, progress)))
            .await
            .map_err(IngestError::Parser)??;
    if files.is_empty() {
        return Err(IngestError::NoConfFiles);
    }
    Ok(files)
}

async fn read_all<R>(
    source: R,
    limits: Limits,
    progress: Progress,
) -> Result<Vec<NewConfFile>, IngestError>
where
    R: AsyncRead + Unpin + Send,
{
    let mut reader = ArchiveReader::open(source, limits).await?;
    let mut files: Vec<NewConfFile> = Vec::new();
    let mut by_path: HashMap<String, usize> = HashMap::new();
    while let Some(entry) = reader.next_file().await? {
        progress.tick();
        fail::fail_point!("ingest.slow_entry");
        let mut file = parse_entry(entry);
        match by_path.get(&file.path) {
            Some(&index) => {
                file.warnings.push(FileWarning {
                    line: None,
                    message: "duplicate archive member: this last copy wins".into(),
                });
                files[index] = file;
            }
            None => {
                by_path.insert(file.path.clone(), files.len());
                files.push(file);
            }
        }
    }
    for warning in reader.warnings() {
        info!(%warning, "archive entry skipped");
    }
    Ok(files)
}

/// Parses one entry into the rows the store writes.
pub fn parse_entry(entry: ConfEntry) -> NewConfFile {
    let (stanzas, warnings, parse_error) = match conf::parse(&entry.data) {
        Ok(parsed) => {
            let warnings = parsed
                .warnings
                .iter()
                .map(|warning| FileWarning {
                    line: Some(warning.line),
                    message: warning.message.clone(),
                })
                .collect();
            let global = parsed
                .global
                .into_iter()
                .map(|stanza| new_stanza(stanza, true));
            let named = parsed
                .stanzas
                .into_iter()
                .map(|stanza| new_stanza(stanza, false));
            (global.chain(named).collect(), warnings, None)
        }
        Err(error) => (Vec::new(), Vec::new(), Some(error.to_string())),
    };
    NewConfFile {
        path: entry.path,
        app: entry.app,
        layer: entry.layer.as_str().to_owned(),
        conf_type: entry.conf_type,
        size_bytes: i64::try_from(entry.size).unwrap_or(i64::MAX),
        sha256: entry.sha256,
        parse_error,
        warnings,
        stanzas,
    }
}

fn new_stanza(stanza: Stanza, global: bool) -> NewStanza {
    NewStanza {
        name: stanza.name,
        global,
        line: i64::from(stanza.lines.first().copied().unwrap_or(0)),
        settings: stanza.settings,
    }
}
