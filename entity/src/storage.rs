//! Object storage for uploaded archives: `file://` directories and `s3://bucket/prefix`.
//!
//! Keys are generated here (`uploads/<yyyy>/<mm>/<dd>/<uuid v7>`), never taken from file
//! names; keys that arrive from producers are validated so nothing escapes the storage root.

use std::path::PathBuf;
use std::sync::Arc;

use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt};
use tracing::instrument;

use crate::StorageError;

/// Multipart part size: S3 needs ≥ 5 MiB for every part but the last.
const PART_BYTES: usize = 8 * 1024 * 1024;
/// Parts uploaded concurrently.
const PARTS_IN_FLIGHT: usize = 2;
/// Read buffer of [`Storage::put_stream`].
const READ_BYTES: usize = 256 * 1024;

/// A handle on the object store; cheap to clone.
#[derive(Clone, Debug)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
}

/// What [`Storage::put_stream`] stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredObject {
    /// The generated key.
    pub key: String,
    /// Bytes stored.
    pub size_bytes: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
}

impl Storage {
    /// Opens `file:///abs/dir` (or `file://relative/dir`, created if needed) or
    /// `s3://bucket/prefix` (credentials, region, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP` from the
    /// environment).
    ///
    /// # Errors
    /// [`StorageError::InvalidUrl`] for another scheme or an unusable directory.
    pub fn from_url(url: &str) -> Result<Storage, StorageError> {
        let invalid = |reason: String| StorageError::InvalidUrl {
            url: broker::redact::redact(url),
            reason,
        };
        let store: Arc<dyn ObjectStore> = if let Some(dir) = url.strip_prefix("file://") {
            let dir = absolute(dir).map_err(|err| invalid(err.to_string()))?;
            std::fs::create_dir_all(&dir).map_err(|err| invalid(err.to_string()))?;
            Arc::new(
                LocalFileSystem::new_with_prefix(&dir).map_err(|err| invalid(err.to_string()))?,
            )
        } else if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(invalid("no bucket".to_owned()));
            }
            // reqwest is built without a default crypto provider (no aws-lc-rs C build): use ring.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let s3 = AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()
                .map_err(|err| invalid(err.to_string()))?;
            let prefix = prefix.trim_matches('/');
            if prefix.is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(PrefixStore::new(
                    s3,
                    Path::parse(prefix).map_err(|err| invalid(err.to_string()))?,
                ))
            }
        } else {
            return Err(invalid(
                "expected file://… or s3://bucket/prefix".to_owned(),
            ));
        };
        Ok(Storage { store })
    }

    /// Streams `reader` into a new object (multipart), hashing and counting on the way.
    ///
    /// # Errors
    /// [`StorageError::TooLarge`] past `max_bytes` and [`StorageError::Empty`] for no bytes —
    /// in both cases nothing is kept; [`StorageError::Unavailable`], [`StorageError::Read`].
    #[instrument(skip_all, err(Debug))]
    pub async fn put_stream<R: AsyncRead + Unpin + Send>(
        &self,
        mut reader: R,
        max_bytes: u64,
    ) -> Result<StoredObject, StorageError> {
        let key = new_key();
        let path = Path::parse(&key).map_err(|_| StorageError::InvalidKey { key: key.clone() })?;
        let upload = self.store.put_multipart(&path).await.map_err(unavailable)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; READ_BYTES];
        let outcome = loop {
            let n = match reader.read(&mut buf).await {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(source) => break Err(StorageError::Read { source }),
            };
            size += n as u64;
            if size > max_bytes {
                break Err(StorageError::TooLarge { limit: max_bytes });
            }
            hasher.update(&buf[..n]);
            if let Err(err) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                break Err(unavailable(err));
            }
            writer.write(&buf[..n]);
        };
        let outcome = outcome.and_then(|()| {
            if size == 0 {
                Err(StorageError::Empty)
            } else {
                Ok(())
            }
        });
        if let Err(err) = outcome {
            let _ = writer.abort().await; // best effort: an aborted upload keeps nothing
            return Err(err);
        }
        writer.finish().await.map_err(unavailable)?;
        Ok(StoredObject {
            key,
            size_bytes: size,
            sha256: hex::encode(hasher.finalize()),
        })
    }

    /// A streaming reader of the object under `key`.
    ///
    /// # Errors
    /// [`StorageError::NotFound`], [`StorageError::InvalidKey`], [`StorageError::Unavailable`].
    pub async fn open(&self, key: &str) -> Result<Box<dyn AsyncRead + Unpin + Send>, StorageError> {
        let path = validate_key(key)?;
        let found = self
            .store
            .get(&path)
            .await
            .map_err(|err| not_found_or(key, err))?;
        let stream = found.into_stream().map_err(std::io::Error::other);
        Ok(Box::new(tokio_util::io::StreamReader::new(stream)))
    }

    /// Deletes the object under `key`; deleting a missing object succeeds.
    ///
    /// # Errors
    /// [`StorageError::InvalidKey`], [`StorageError::Unavailable`].
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = validate_key(key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(unavailable(err)),
        }
    }

    /// Whether an object exists under `key`.
    ///
    /// # Errors
    /// [`StorageError::InvalidKey`], [`StorageError::Unavailable`].
    pub async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        let path = validate_key(key)?;
        match self.store.head(&path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(err) => Err(unavailable(err)),
        }
    }
}

/// Checks a key that came from outside (e.g. a producer's `{"object": key}`): relative, no
/// `.`/`..`/empty segments, no backslashes or control characters.
///
/// # Errors
/// [`StorageError::InvalidKey`].
pub fn validate_key(key: &str) -> Result<Path, StorageError> {
    let bad = || StorageError::InvalidKey {
        key: key.to_owned(),
    };
    let segments_ok = key.split('/').all(|seg| {
        !seg.is_empty() && seg != "." && seg != ".." && !seg.chars().any(char::is_control)
    });
    if key.is_empty() || key.contains('\\') || !segments_ok || key.len() > 1024 {
        return Err(bad());
    }
    Path::parse(key).map_err(|_| bad())
}

fn new_key() -> String {
    let now = chrono::Utc::now();
    format!(
        "uploads/{}/{}",
        now.format("%Y/%m/%d"),
        uuid::Uuid::now_v7()
    )
}

fn absolute(dir: &str) -> std::io::Result<PathBuf> {
    let path = PathBuf::from(dir);
    if path.is_absolute() {
        Ok(path)
    } else {
        std::env::current_dir().map(|cwd| cwd.join(path))
    }
}

fn unavailable(source: object_store::Error) -> StorageError {
    StorageError::Unavailable { source }
}

fn not_found_or(key: &str, err: object_store::Error) -> StorageError {
    match err {
        object_store::Error::NotFound { .. } => StorageError::NotFound {
            key: key.to_owned(),
        },
        other => unavailable(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_escape_the_root_are_rejected() {
        for key in [
            "",
            "/etc/passwd",
            "../x",
            "uploads/../../x",
            "a//b",
            "a/./b",
            "a\\b",
            "a/\0",
        ] {
            assert!(validate_key(key).is_err(), "{key:?} accepted");
        }
        assert!(validate_key("uploads/2026/11/28/0192f0c4").is_ok());
    }

    #[test]
    fn relative_file_urls_resolve_against_the_working_directory() {
        let cwd = std::env::current_dir().expect("cwd");
        assert_eq!(
            absolute("./confq-data/uploads").expect("abs"),
            cwd.join("./confq-data/uploads")
        );
        assert_eq!(
            absolute("/srv/uploads").expect("abs"),
            PathBuf::from("/srv/uploads")
        );
    }

    #[test]
    fn generated_keys_are_dated_and_valid() {
        let key = new_key();
        assert!(key.starts_with("uploads/20"), "{key}");
        assert!(validate_key(&key).is_ok());
    }
}
