//! Tar and tar.gz layouts and defences, each with an archive built in the test. Caps, truncation,
//! corruption and storage failures are in `tests_limits.rs`.

use super::testkit::{gzip, read_all};
use super::*;
use testenv::archive::Tar;

const PROPS: &[u8] = b"[s]\nTRANSFORMS-a = t\n";

#[tokio::test]
async fn tar_reads_conf_and_meta_files_and_skips_the_rest() {
    let tar = Tar::new()
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
    let tgz = gzip(&Tar::new().file("app/local/props.conf", PROPS).finish()).await;
    let reader = ArchiveReader::open(&tgz[..], Limits::default())
        .await
        .expect("opens");
    assert_eq!(reader.format(), ArchiveFormat::TarGz);
    let out = read_all(&tgz, Limits::default()).await;
    assert_eq!(out.files[0].layer, Layer::Local);
}

#[tokio::test]
async fn layouts_dot_slash_no_top_folder_etc_apps_and_system_are_located() {
    let tar = Tar::new()
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
    let tar = Tar::new().file("app/../../evil.conf", PROPS).finish();
    let err = read_all(&tar, Limits::default()).await.err();
    assert!(
        matches!(&err, ArchiveError::PathTraversal { entry } if entry == "app/../../evil.conf")
    );
    assert!(err.is_permanent());
}

#[tokio::test]
async fn tar_with_absolute_path_is_rejected() {
    let tar = Tar::new().file("/etc/evil.conf", PROPS).finish();
    assert!(matches!(
        read_all(&tar, Limits::default()).await.err(),
        ArchiveError::PathTraversal { .. }
    ));
}

#[tokio::test]
async fn links_devices_and_fifos_are_skipped_with_warnings() {
    let tar = Tar::new()
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
    let tar = Tar::new()
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
    let tar = Tar::new()
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
    let tar = Tar::new().gnu_long_name(&name, PROPS).finish();
    assert_eq!(
        read_all(&tar, Limits::default()).await.paths(),
        [name.as_str()]
    );
}

#[tokio::test]
async fn pax_long_names_are_honoured() {
    let name = format!("app/{}/local/props.conf", "p".repeat(200));
    let tar = Tar::new().pax_name(&name, PROPS).finish();
    let out = read_all(&tar, Limits::default()).await;
    assert_eq!(out.paths(), [name.as_str()]);
    assert_eq!(out.files[0].layer, Layer::Local);
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
