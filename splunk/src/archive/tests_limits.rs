//! Tar and tar.gz caps, truncation, corruption and storage failures, with archives built in the test.

use super::testkit::{FailingReader, gzip, read_all, small};
use super::*;
use testenv::archive::Tar;

const PROPS: &[u8] = b"[s]\nTRANSFORMS-a = t\n";

#[tokio::test]
async fn conf_text_over_the_whole_archive_is_capped() {
    let body = vec![b'#'; 40_000];
    let tar = Tar::new()
        .file("a/default/one.conf", &body)
        .file("a/default/two.conf", &body)
        .file("a/default/three.conf", &body)
        .finish();
    assert_eq!(read_all(&tar, small()).await.files.len(), 3);
    let tight = Limits {
        max_conf_bytes: 100_000,
        ..small()
    };
    let err = read_all(&tar, tight).await.err();
    assert!(
        matches!(
            &err,
            ArchiveError::LimitExceeded { cap: Cap::ConfBytes, limit: 100_000, entry }
                if entry == "a/default/three.conf"
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn truncated_tar_is_a_permanent_error_naming_the_entry() {
    let tar = Tar::new()
        .file("app/default/big.conf", [b'x'; 4000])
        .finish();
    let err = read_all(&tar[..2000], Limits::default()).await.err();
    assert!(
        matches!(&err, ArchiveError::Truncated { entry } if entry == "app/default/big.conf"),
        "{err:?}"
    );
    assert!(err.is_permanent());
}

#[tokio::test]
async fn truncated_gzip_is_a_truncated_error() {
    let tgz = gzip(
        &Tar::new()
            .file("a/default/x.conf", vec![b'k'; 100_000])
            .finish(),
    )
    .await;
    let err = read_all(&tgz[..tgz.len() - 20], Limits::default())
        .await
        .err();
    assert!(matches!(err, ArchiveError::Truncated { .. }), "{err:?}");
}

#[tokio::test]
async fn corrupt_gzip_is_a_corrupt_error() {
    // Incompressible content, so a flipped byte late in the stream breaks the deflate data or the CRC.
    let mut x: u32 = 7;
    let noise: Vec<u8> = (0..100_000)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8
        })
        .collect();
    let mut tgz = gzip(&Tar::new().file("a/lookups/noise.bin", &noise).finish()).await;
    let at = tgz.len() * 3 / 4;
    tgz[at..at + 8].copy_from_slice(b"\xff\x00\xff\x00\xff\x00\xff\x00");
    let err = read_all(&tgz, Limits::default()).await.err();
    assert!(
        matches!(&err, ArchiveError::Corrupt { entry, .. } if entry == "a/lookups/noise.bin"),
        "{err:?}"
    );
    assert!(err.is_permanent());
}

#[tokio::test]
async fn entry_count_cap_stops_reading() {
    let mut b = Tar::new();
    for i in 0..20 {
        b.file(format!("a/bin/{i}.txt"), b"x");
    }
    let limits = Limits {
        max_entries: 10,
        ..small()
    };
    let err = read_all(&b.finish(), limits).await.err();
    assert!(
        matches!(
            err,
            ArchiveError::LimitExceeded {
                cap: Cap::Entries,
                limit: 10,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn per_entry_cap_stops_a_big_conf_file() {
    let tar = Tar::new()
        .file("a/default/big.conf", vec![b'x'; 100_000])
        .finish();
    let err = read_all(&tar, small()).await.err();
    assert!(
        matches!(&err, ArchiveError::LimitExceeded { cap: Cap::EntryBytes, entry, .. } if entry == "a/default/big.conf")
    );
    assert!(err.to_string().contains("bytes per entry"));
}

#[tokio::test]
async fn big_non_conf_members_are_streamed_past_but_count_toward_the_total() {
    let tar = Tar::new()
        .file("a/lookups/big.csv", vec![b'x'; 200_000])
        .file("a/default/props.conf", PROPS)
        .finish();
    assert_eq!(read_all(&tar, small()).await.files.len(), 1);
    let tight = Limits {
        max_total_bytes: 100_000,
        ..small()
    };
    let err = read_all(&tar, tight).await.err();
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
async fn a_50_mb_conf_compressed_to_kilobytes_hits_the_entry_cap_without_reading_it_all() {
    let tar = Tar::new()
        .file("a/default/bomb.conf", vec![b'A'; 50 << 20])
        .finish();
    let tgz = gzip(&tar).await;
    assert!(tgz.len() < 200 << 10, "compressed to {} bytes", tgz.len());
    drop(tar);
    let mut reader = ArchiveReader::open(&tgz[..], small()).await.expect("opens");
    let err = reader.next_file().await.expect_err("capped");
    assert!(matches!(
        err,
        ArchiveError::LimitExceeded {
            cap: Cap::EntryBytes,
            ..
        }
    ));
    assert!(
        reader.uncompressed_bytes() < 1 << 20,
        "read {} bytes",
        reader.uncompressed_bytes()
    );
    assert!(reader.next_file().await.expect("stopped").is_none());
}

#[tokio::test]
async fn a_gnu_long_name_bigger_than_the_entry_cap_is_refused() {
    let name = format!("a/{}.conf", "n".repeat(200_000));
    let tar = Tar::new().gnu_long_name(&name, PROPS).finish();
    let err = read_all(&tar, small()).await.err();
    assert!(
        matches!(
            err,
            ArchiveError::LimitExceeded {
                cap: Cap::EntryBytes,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_failing_underlying_reader_is_an_io_error_that_is_not_permanent() {
    let tar = Tar::new().file("a/default/x.conf", [b'x'; 5000]).finish();
    let mut reader = ArchiveReader::open(
        FailingReader {
            data: tar,
            ok: 2048,
        },
        Limits::default(),
    )
    .await
    .expect("opens");
    let err = reader.next_file().await.expect_err("fails");
    assert!(matches!(err, ArchiveError::Io(_)), "{err:?}");
    assert!(!err.is_permanent());
}

#[tokio::test]
async fn bytes_read_counts_the_compressed_input() {
    let tgz = gzip(&Tar::new().file("a/default/x.conf", PROPS).finish()).await;
    let mut reader = ArchiveReader::open(&tgz[..], Limits::default())
        .await
        .expect("opens");
    while reader.next_file().await.expect("reads").is_some() {}
    assert_eq!(reader.bytes_read(), tgz.len() as u64);
}

#[test]
fn the_reader_and_its_futures_are_send_so_a_worker_can_spawn_them() {
    fn is_send<T: Send>(_: &T) {}
    let bytes: &[u8] = b"";
    let open = ArchiveReader::open(bytes, Limits::default());
    is_send(&open);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let tar = Tar::new().finish();
    let mut reader = rt
        .block_on(ArchiveReader::open(&tar[..], Limits::default()))
        .expect("opens");
    is_send(&reader.next_file());
    is_send(&reader);
}
