//! Zip defences, each with an archive built in the test.

use async_zip::Compression;

use super::testkit::{ZipBuilder, read_all};
use super::*;

const PROPS: &[u8] = b"[s]\nEVAL-x = if(a=1,\"y\",\"n\")\n";

#[tokio::test]
async fn zip_members_deflated_and_stored_are_read() {
    let zip = ZipBuilder::default()
        .file("app/", b"")
        .file("app/default/props.conf", PROPS)
        .stored("app/local/props.conf", PROPS)
        .file("app/bin/x.py", b"pass")
        .finish()
        .await;
    let reader = ArchiveReader::open(&zip[..], Limits::default())
        .await
        .expect("opens");
    assert_eq!(reader.format(), ArchiveFormat::Zip);
    let out = read_all(&zip, Limits::default()).await;
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(
        out.paths(),
        ["app/default/props.conf", "app/local/props.conf"]
    );
    assert!(out.files.iter().all(|f| &f.data[..] == PROPS));
    assert_eq!(out.entries_seen, 4);
}

#[tokio::test]
async fn zip_with_data_descriptors_is_read() {
    let zip = ZipBuilder::default()
        .streamed("app/default/props.conf", PROPS)
        .streamed("app/default/transforms.conf", b"[t]\nREGEX = x\n")
        .finish()
        .await;
    let out = read_all(&zip, Limits::default()).await;
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(
        out.paths(),
        ["app/default/props.conf", "app/default/transforms.conf"]
    );
    assert_eq!(&out.files[1].data[..], b"[t]\nREGEX = x\n");
}

#[tokio::test]
async fn empty_zip_has_no_files() {
    let zip = ZipBuilder::default().finish().await;
    let out = read_all(&zip, Limits::default()).await;
    assert!(out.error.is_none() && out.files.is_empty());
}

#[tokio::test]
async fn zip_backslash_separators_are_understood() {
    let zip = ZipBuilder::default()
        .file("app\\default\\props.conf", PROPS)
        .finish()
        .await;
    let out = read_all(&zip, Limits::default()).await;
    assert_eq!(out.paths(), ["app/default/props.conf"]);
    assert_eq!(out.files[0].app.as_deref(), Some("app"));
}

#[tokio::test]
async fn zip_with_dotdot_entry_is_rejected() {
    let zip = ZipBuilder::default()
        .file("app\\..\\..\\evil.conf", PROPS)
        .finish()
        .await;
    let err = read_all(&zip, Limits::default()).await.err();
    assert!(matches!(err, ArchiveError::PathTraversal { .. }), "{err:?}");
}

#[tokio::test]
async fn zip_non_utf8_name_is_decoded_lossily_with_a_warning() {
    let zip = ZipBuilder::default()
        .raw(
            b"app/default/caf\xe9.conf",
            PROPS,
            Compression::Deflate,
            false,
        )
        .finish()
        .await;
    let out = read_all(&zip, Limits::default()).await;
    assert_eq!(out.paths(), ["app/default/caf\u{FFFD}.conf"]);
    assert_eq!(out.warnings[0].kind, ArchiveWarningKind::NonUtf8Name);
}

#[tokio::test]
async fn zip_with_a_bad_crc_is_corrupt() {
    let mut zip = ZipBuilder::default()
        .stored("app/default/props.conf", PROPS)
        .finish()
        .await;
    let at = zip
        .windows(4)
        .position(|w| w == b"EVAL")
        .expect("stored data");
    zip[at] = b'X';
    let err = read_all(&zip, Limits::default()).await.err();
    assert!(
        matches!(&err, ArchiveError::Corrupt { entry, .. } if entry == "app/default/props.conf"),
        "{err:?}"
    );
}

#[tokio::test]
async fn truncated_zip_is_truncated() {
    let zip = ZipBuilder::default()
        .stored("app/default/props.conf", &[b'x'; 3000])
        .finish()
        .await;
    let err = read_all(&zip[..1500], Limits::default()).await.err();
    assert!(matches!(err, ArchiveError::Truncated { .. }), "{err:?}");
}

#[tokio::test]
async fn zip_bomb_hits_the_total_cap() {
    let zip = ZipBuilder::default()
        .file("app/lookups/zeros.csv", &vec![0u8; 20 << 20])
        .finish()
        .await;
    assert!(zip.len() < 100 << 10);
    let limits = Limits {
        max_total_bytes: 1 << 20,
        ..Limits::default()
    };
    let err = read_all(&zip, limits).await.err();
    assert!(
        matches!(
            err,
            ArchiveError::LimitExceeded {
                cap: Cap::TotalBytes,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn zip_macos_debris_is_skipped() {
    let zip = ZipBuilder::default()
        .file("__MACOSX/app/default/._props.conf", b"\0\x05\x16\x07")
        .file("app/default/props.conf", PROPS)
        .finish()
        .await;
    let out = read_all(&zip, Limits::default()).await;
    assert_eq!(out.paths(), ["app/default/props.conf"]);
    assert_eq!(out.warnings[0].kind, ArchiveWarningKind::MacDebris);
}
