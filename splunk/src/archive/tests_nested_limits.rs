//! Caps shared between the archive and the packages inside it (a bomb inside a bomb is still
//! capped), and broken packages; archives built in the test.

use super::testkit::{FailingReader, ZipBuilder, read_all, small, tgz};
use super::*;
use testenv::archive::Tar;

#[tokio::test]
async fn a_bomb_inside_a_package_hits_the_shared_total_cap() {
    let bomb = tgz(Tar::new().file("x/lookups/zeros.csv", vec![0u8; 50 << 20])).await;
    assert!(bomb.len() < 200 << 10, "compressed to {} bytes", bomb.len());
    let outer = tgz(Tar::new().file("install/bomb.tgz", &bomb)).await;
    let mut reader = ArchiveReader::open(&outer[..], small())
        .await
        .expect("opens");
    let err = reader.next_file().await.expect_err("capped");
    assert!(
        matches!(
            &err,
            ArchiveError::LimitExceeded { cap: Cap::TotalBytes, limit, entry }
                if *limit == 1 << 20 && entry == "install/bomb.tgz!x/lookups/zeros.csv"
        ),
        "{err:?}"
    );
    assert!(err.is_permanent());
    // The outer member and the package's inflated bytes count together, and reading stopped near
    // the cap, far short of the 50 MB inside.
    let read = reader.uncompressed_bytes();
    assert!((1 << 20..2 << 20).contains(&read), "read {read} bytes");
    assert!(reader.next_file().await.expect("stopped").is_none());
}

#[tokio::test]
async fn a_package_inside_a_zip_shares_the_total_cap_too() {
    let bomb = tgz(Tar::new().file("x/lookups/zeros.csv", vec![0u8; 4 << 20])).await;
    let outer = ZipBuilder::default()
        .stored("install/bomb.tgz", &bomb)
        .finish()
        .await;
    let err = read_all(&outer, small()).await.err();
    assert!(
        matches!(&err, ArchiveError::LimitExceeded { cap: Cap::TotalBytes, entry, .. }
            if entry.starts_with("install/bomb.tgz!")),
        "{err:?}"
    );
}

#[tokio::test]
async fn entry_count_and_conf_text_caps_are_shared_with_the_package() {
    let mut inner = Tar::new();
    for i in 0..8 {
        inner.file(format!("TA/default/f{i}.conf"), [b'#'; 1000]);
    }
    let inner = tgz(&mut inner).await;
    let outer = Tar::new()
        .file("A/default/a.conf", [b'#'; 1000])
        .file("A/default/b.conf", [b'#'; 1000])
        .file("install/TA.tgz", &inner)
        .finish();
    assert_eq!(read_all(&outer, small()).await.files.len(), 10);
    let entries = Limits {
        max_entries: 6,
        ..small()
    };
    let err = read_all(&outer, entries).await.err();
    assert!(
        matches!(&err, ArchiveError::LimitExceeded { cap: Cap::Entries, limit: 6, entry }
            if entry == "install/TA.tgz!TA/default/f4.conf"),
        "{err:?}"
    );
    let conf = Limits {
        max_conf_bytes: 4500,
        ..small()
    };
    let err = read_all(&outer, conf).await.err();
    assert!(
        matches!(&err, ArchiveError::LimitExceeded { cap: Cap::ConfBytes, entry, .. }
            if entry == "install/TA.tgz!TA/default/f2.conf"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_big_conf_member_inside_a_package_hits_the_entry_cap() {
    let inner = tgz(Tar::new().file("TA/default/big.conf", vec![b'x'; 100_000])).await;
    let outer = Tar::new().file("install/TA.spl", &inner).finish();
    let err = read_all(&outer, small()).await.err();
    assert!(
        matches!(&err, ArchiveError::LimitExceeded { cap: Cap::EntryBytes, entry, .. }
            if entry == "install/TA.spl!TA/default/big.conf"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_truncated_package_is_a_permanent_error_naming_it() {
    let inner = tgz(Tar::new().file("TA/default/props.conf", [b'#'; 20_000])).await;
    let outer = Tar::new()
        .file("install/TA.tgz", &inner[..inner.len() / 2])
        .finish();
    let err = read_all(&outer, Limits::default()).await.err();
    assert!(
        matches!(&err, ArchiveError::Truncated { entry } | ArchiveError::Corrupt { entry, .. }
            if entry.starts_with("install/TA.tgz!")),
        "{err:?}"
    );
    assert!(err.is_permanent());
}

#[tokio::test]
async fn a_storage_failure_while_reading_a_package_stays_retryable() {
    let noise: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let inner = Tar::new().file("TA/lookups/noise.bin", &noise).finish();
    let outer = Tar::new().file("install/TA.tar", &inner).finish();
    let failing = FailingReader {
        data: outer,
        ok: 100_000,
    };
    let mut reader = ArchiveReader::open(failing, Limits::default())
        .await
        .expect("opens");
    let err = reader.next_file().await.expect_err("fails");
    assert!(matches!(err, ArchiveError::Io(_)), "{err:?}");
    assert!(!err.is_permanent());
}
