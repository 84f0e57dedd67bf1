//! Tar and tar.gz defences, each with an archive built in the test.

use tokio::io::AsyncRead;

use super::testkit::{TarballBuilder, gzip, read_all};
use super::*;

const PROPS: &[u8] = b"[s]\nTRANSFORMS-a = t\n";

fn small() -> Limits {
    Limits {
        max_total_bytes: 1 << 20,
        max_entry_bytes: 1 << 16,
        max_entries: 100,
    }
}

#[tokio::test]
async fn tar_reads_conf_and_meta_files_and_skips_the_rest() {
    let tar = TarballBuilder::default()
        .dir("app/")
        .file("app/default/props.conf", PROPS)
        .file("app/README/props.conf.spec", b"x = <string>")
        .file("app/bin/run.py", b"print()")
        .file("app/metadata/default.meta", b"[]\naccess = read : [ * ]\n")
        .finish();
    let out = read_all(&tar, Limits::default()).await;
    assert!(out.error.is_none());
    assert_eq!(
        out.paths(),
        ["app/default/props.conf", "app/metadata/default.meta"]
    );
    assert_eq!(out.entries_seen, 5);
    let props = &out.files[0];
    assert_eq!(
        (props.app.as_deref(), props.layer, props.conf_type.as_str()),
        (Some("app"), Layer::Default, "props")
    );
    assert_eq!(props.size, PROPS.len() as u64);
    assert_eq!(
        props.sha256,
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(PROPS))
    );
    assert_eq!(out.files[1].conf_type, "meta");
    assert_eq!(out.files[1].layer.as_str(), "metadata");
}

#[tokio::test]
async fn tgz_is_detected_by_content_not_by_name() {
    let tgz = gzip(
        &TarballBuilder::default()
            .file("app/local/props.conf", PROPS)
            .finish(),
    )
    .await;
    let reader = ArchiveReader::open(&tgz[..], Limits::default())
        .await
        .expect("opens");
    assert_eq!(reader.format(), ArchiveFormat::TarGz);
    let out = read_all(&tgz, Limits::default()).await;
    assert_eq!(out.files[0].layer, Layer::Local);
}

#[tokio::test]
async fn layouts_dot_slash_no_top_folder_etc_apps_and_system_are_located() {
    let tar = TarballBuilder::default()
        .file("./A/default/props.conf", PROPS)
        .file("default/inputs.conf", PROPS)
        .file("etc/apps/B/local/transforms.conf", PROPS)
        .file("etc/system/local/server.conf", PROPS)
        .finish();
    let out = read_all(&tar, Limits::default()).await;
    let got: Vec<_> = out
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.app.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("A/default/props.conf", Some("A")),
            ("default/inputs.conf", None),
            ("etc/apps/B/local/transforms.conf", Some("B")),
            ("etc/system/local/server.conf", Some("system")),
        ]
    );
}

#[tokio::test]
async fn tar_with_dotdot_entry_is_rejected() {
    let tar = TarballBuilder::default()
        .file("app/../../evil.conf", PROPS)
        .finish();
    let err = read_all(&tar, Limits::default()).await.err();
    assert!(
        matches!(&err, ArchiveError::PathTraversal { entry } if entry == "app/../../evil.conf")
    );
    assert!(err.is_permanent());
}

#[tokio::test]
async fn tar_with_absolute_path_is_rejected() {
    let tar = TarballBuilder::default()
        .file("/etc/evil.conf", PROPS)
        .finish();
    assert!(matches!(
        read_all(&tar, Limits::default()).await.err(),
        ArchiveError::PathTraversal { .. }
    ));
}

#[tokio::test]
async fn links_devices_and_fifos_are_skipped_with_warnings() {
    let tar = TarballBuilder::default()
        .symlink("app/default/props.conf", "/etc/passwd")
        .hardlink("app/default/inputs.conf", "app/default/props.conf")
        .raw(b"app/default/dev.conf", b'3', b"", "")
        .raw(b"app/default/fifo.conf", b'6', b"", "")
        .finish();
    let out = read_all(&tar, Limits::default()).await;
    assert!(out.error.is_none() && out.files.is_empty());
    let kinds: Vec<_> = out.warnings.iter().map(|w| w.kind).collect();
    use ArchiveWarningKind::{Link, Special};
    assert_eq!(kinds, [Link, Link, Special, Special]);
    assert_eq!(out.warnings[0].entry, "app/default/props.conf");
}

#[tokio::test]
async fn macos_debris_is_skipped() {
    let tar = TarballBuilder::default()
        .file("__MACOSX/app/default/props.conf", b"\0\x05\x16\x07")
        .file("app/default/._props.conf", b"\0\x05\x16\x07")
        .file("app/default/props.conf", PROPS)
        .finish();
    let out = read_all(&tar, Limits::default()).await;
    assert_eq!(out.paths(), ["app/default/props.conf"]);
    assert!(
        out.warnings
            .iter()
            .all(|w| w.kind == ArchiveWarningKind::MacDebris)
            && out.warnings.len() == 2
    );
}

#[tokio::test]
async fn duplicate_members_are_all_returned_warned_and_keep_last_keeps_the_last() {
    let tar = TarballBuilder::default()
        .file("app/default/props.conf", b"[first]\n")
        .file("app/default/inputs.conf", b"[i]\n")
        .file("./app/default/props.conf", b"[second]\n")
        .file("app/default/PROPS.conf", b"[case]\n")
        .finish();
    let out = read_all(&tar, Limits::default()).await;
    assert_eq!(out.files.len(), 4);
    assert_eq!(out.warnings.len(), 1);
    assert_eq!(out.warnings[0].kind, ArchiveWarningKind::Duplicate);
    let kept = keep_last(out.files);
    let got: Vec<_> = kept
        .iter()
        .map(|f| (f.path.as_str(), &f.data[..]))
        .collect();
    assert_eq!(
        got,
        [
            ("app/default/props.conf", &b"[second]\n"[..]),
            ("app/default/inputs.conf", b"[i]\n"),
            ("app/default/PROPS.conf", b"[case]\n"),
        ]
    );
}

#[tokio::test]
async fn gnu_long_names_are_honoured() {
    let name = format!("app/{}/default/props.conf", "d".repeat(150));
    let tar = TarballBuilder::default()
        .gnu_long_name(&name, PROPS)
        .finish();
    assert_eq!(
        read_all(&tar, Limits::default()).await.paths(),
        [name.as_str()]
    );
}

#[tokio::test]
async fn pax_long_names_are_honoured() {
    let name = format!("app/{}/local/props.conf", "p".repeat(200));
    let tar = TarballBuilder::default().pax_name(&name, PROPS).finish();
    let out = read_all(&tar, Limits::default()).await;
    assert_eq!(out.paths(), [name.as_str()]);
    assert_eq!(out.files[0].layer, Layer::Local);
}

#[tokio::test]
async fn truncated_tar_is_a_permanent_error_naming_the_entry() {
    let tar = TarballBuilder::default()
        .file("app/default/big.conf", &[b'x'; 4000])
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
        &TarballBuilder::default()
            .file("a/default/x.conf", &vec![b'k'; 100_000])
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
    let mut tgz = gzip(
        &TarballBuilder::default()
            .file("a/lookups/noise.bin", &noise)
            .finish(),
    )
    .await;
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
async fn gzip_without_a_tar_inside_is_unsupported() {
    let gz = gzip(b"[default]\nk = v\n").await;
    assert!(matches!(
        read_all(&gz, Limits::default()).await.err(),
        ArchiveError::Unsupported { .. }
    ));
}

#[tokio::test]
async fn unknown_content_is_unsupported_and_permanent() {
    let err = read_all(b"Rar!\x1a\x07\x00 not an archive", Limits::default())
        .await
        .err();
    assert!(matches!(&err, ArchiveError::Unsupported { reason } if reason.contains("rar")));
    assert!(err.is_permanent());
}

#[tokio::test]
async fn entry_count_cap_stops_reading() {
    let mut b = TarballBuilder::default();
    for i in 0..20 {
        b = b.file(&format!("a/bin/{i}.txt"), b"x");
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
    let tar = TarballBuilder::default()
        .file("a/default/big.conf", &vec![b'x'; 100_000])
        .finish();
    let err = read_all(&tar, small()).await.err();
    assert!(
        matches!(&err, ArchiveError::LimitExceeded { cap: Cap::EntryBytes, entry, .. } if entry == "a/default/big.conf")
    );
    assert!(err.to_string().contains("bytes per entry"));
}

#[tokio::test]
async fn big_non_conf_members_are_streamed_past_but_count_toward_the_total() {
    let tar = TarballBuilder::default()
        .file("a/lookups/big.csv", &vec![b'x'; 200_000])
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
    let tar = TarballBuilder::default()
        .file("a/default/bomb.conf", &vec![b'A'; 50 << 20])
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
    let tar = TarballBuilder::default()
        .gnu_long_name(&name, PROPS)
        .finish();
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
async fn nested_archives_are_plain_files() {
    let inner = gzip(
        &TarballBuilder::default()
            .file("x/default/props.conf", PROPS)
            .finish(),
    )
    .await;
    let tar = TarballBuilder::default()
        .file("a/default/inner.spl", &inner)
        .finish();
    let out = read_all(&tar, Limits::default()).await;
    assert!(out.error.is_none() && out.files.is_empty());
    assert_eq!(out.entries_seen, 1);
}

/// A reader whose storage fails after `ok` bytes.
struct FailingReader {
    data: Vec<u8>,
    ok: usize,
}

impl AsyncRead for FailingReader {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.ok == 0 {
            return std::task::Poll::Ready(Err(std::io::Error::other("disk on fire")));
        }
        let n = self.ok.min(buf.remaining()).min(self.data.len());
        buf.put_slice(&self.data[..n]);
        self.data.drain(..n);
        self.ok -= n;
        std::task::Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn a_failing_underlying_reader_is_an_io_error_that_is_not_permanent() {
    let tar = TarballBuilder::default()
        .file("a/default/x.conf", &[b'x'; 5000])
        .finish();
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
    let tgz = gzip(
        &TarballBuilder::default()
            .file("a/default/x.conf", PROPS)
            .finish(),
    )
    .await;
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
    let tar = TarballBuilder::default().finish();
    let mut reader = rt
        .block_on(ArchiveReader::open(&tar[..], Limits::default()))
        .expect("opens");
    is_send(&reader.next_file());
    is_send(&reader);
}
