//! Reads an archive and parses its files off the async runtime: decompression and parsing are CPU
//! work, so they run on a blocking thread and leave the runtime free for heartbeats. A blocking
//! thread cannot be aborted, so the reader checks the delivery's cancellation token between
//! archive members: a time limit or a cancel really stops it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use entity::store::{FileWarning, NewConfFile, NewStanza};
use splunk::archive::{ArchiveReader, ConfEntry, Limits};
use splunk::conf::{self, Stanza, WarningKind};
use tokio::io::AsyncRead;
use tokio_util::sync::CancellationToken;
use tracing::info;

use super::IngestError;
use worker::Progress;

/// What [`parse_archive`] returns: the parsed files, the reader's warnings, and where its time
/// went.
pub(crate) struct ReadArchive {
    /// One row per `.conf`/`.meta` member.
    pub(crate) files: Vec<NewConfFile>,
    /// The archive reader's warnings.
    pub(crate) warnings: Vec<String>,
    /// Reading: inflating, walking the archive, caps, SHA-256 and copying members.
    pub(crate) read: Duration,
    /// Parsing the members' text into stanzas.
    pub(crate) parse: Duration,
}

/// Reads every `.conf`/`.meta` file of the archive in `source` (and of the app packages inside it)
/// and parses it; also returns the reader's warnings and the time spent reading and parsing.
/// Duplicate members: the last one wins, with a warning on the file kept.
///
/// # Errors
/// Unreadable or over-cap archives, storage failures, and archives without any config file.
pub(crate) async fn parse_archive<R>(
    source: R,
    limits: Limits,
    progress: Progress,
    stop: CancellationToken,
) -> Result<ReadArchive, IngestError>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    let runtime = tokio::runtime::Handle::current();
    let read = move || runtime.block_on(read_all(source, limits, progress, stop));
    let read = tokio::task::spawn_blocking(read)
        .await
        .map_err(IngestError::Parser)??;
    if read.files.is_empty() {
        return Err(IngestError::NoConfFiles);
    }
    Ok(read)
}

async fn read_all<R>(
    source: R,
    limits: Limits,
    progress: Progress,
    stop: CancellationToken,
) -> Result<ReadArchive, IngestError>
where
    R: AsyncRead + Unpin + Send,
{
    let began = Instant::now();
    let mut parse = Duration::ZERO;
    let mut reader = ArchiveReader::open(source, limits).await?;
    let mut files: Vec<NewConfFile> = Vec::new();
    let mut by_path: HashMap<String, usize> = HashMap::new();
    while let Some(entry) = reader.next_file().await? {
        if stop.is_cancelled() {
            return Err(IngestError::Stopped);
        }
        progress.tick();
        // Tests slow every member down here ([`crate::fault`]).
        crate::fault::fails("ingest.slow_entry").await;
        let parsing = Instant::now();
        let mut file = parse_entry(entry);
        parse += parsing.elapsed();
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
    let warnings = reader.warnings().iter().map(ToString::to_string);
    for warning in reader.warnings() {
        info!(%warning, "archive entry skipped");
    }
    Ok(ReadArchive {
        files,
        warnings: warnings.collect(),
        read: began.elapsed().saturating_sub(parse),
        parse,
    })
}

/// Parses one entry into the rows the store writes.
pub(crate) fn parse_entry(entry: ConfEntry) -> NewConfFile {
    match conf::parse(&entry.data) {
        Ok(parsed) => {
            if let Some(error) = not_conf(&parsed) {
                return file_row(entry, Vec::new(), Vec::new(), Some(error));
            }
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
            file_row(entry, global.chain(named).collect(), warnings, None)
        }
        Err(error) => file_row(entry, Vec::new(), Vec::new(), Some(error.to_string())),
    }
}

/// The row of one archive member.
fn file_row(
    entry: ConfEntry,
    stanzas: Vec<NewStanza>,
    warnings: Vec<FileWarning>,
    parse_error: Option<String>,
) -> NewConfFile {
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

/// Why a file that decoded is still not a `.conf` file (JSON, CSV, prose under a `.conf` name):
/// not one setting, and only lines Splunk ignores. Empty and comment-only files are fine.
fn not_conf(parsed: &conf::ConfFile) -> Option<String> {
    let settings: usize = parsed
        .global
        .iter()
        .chain(&parsed.stanzas)
        .map(|stanza| stanza.settings.len())
        .sum();
    let mut ignored = parsed.warnings.iter().filter(|warning| {
        matches!(
            warning.kind,
            WarningKind::NoEquals | WarningKind::UnclosedHeader | WarningKind::UnopenedHeader
        )
    });
    let first = ignored.next()?;
    (settings == 0).then(|| {
        format!(
            "not a .conf file: no setting, only lines Splunk ignores ({} of them, the first at line {})",
            1 + ignored.count(),
            first.line
        )
    })
}

fn new_stanza(stanza: Stanza, global: bool) -> NewStanza {
    NewStanza {
        name: stanza.name,
        global,
        line: i64::from(stanza.lines.first().copied().unwrap_or(0)),
        settings: stanza.settings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(text: &str) -> Option<String> {
        not_conf(&conf::parse(text.as_bytes()).expect("decodes"))
    }

    #[test]
    fn a_json_file_named_conf_is_a_parse_error() {
        let error =
            verdict("{\n  \"index\": \"main\",\n  \"hosts\": [1, 2]\n}\n").expect("rejected");
        assert!(error.starts_with("not a .conf file"), "{error}");
        assert!(error.contains("the first at line 1"), "{error}");
    }

    #[test]
    fn empty_comment_only_and_mostly_valid_files_are_conf() {
        assert_eq!(verdict(""), None);
        assert_eq!(verdict("# only a comment\n\n"), None);
        assert_eq!(verdict("[empty stanza]\n"), None);
        assert_eq!(verdict("[s]\nkey = value\nstray words\n"), None);
    }
}
