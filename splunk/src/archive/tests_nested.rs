//! App packages inside the archive: read one level deep, under the archive's caps, with the same
//! defences on their member names; archives built in the test.

use super::testkit::{self, ZipBuilder, read_all, tgz};
use super::*;
use testenv::archive::Tar;

const PROPS: &[u8] = b"[s]\nTRANSFORMS-a = t\n";
const INPUTS: &[u8] = b"[monitor:///var/log]\nindex = main\n";

/// A Splunk add-on package (`Splunk_TA_x.tgz`) as premium apps ship them under `install/`.
async fn add_on_tgz() -> Vec<u8> {
    tgz(Tar::new()
        .dir("Splunk_TA_x/")
        .file("Splunk_TA_x/default/props.conf", PROPS)
        .file("Splunk_TA_x/local/inputs.conf", INPUTS)
        .file("Splunk_TA_x/bin/run.py", b"print()"))
    .await
}

fn located(out: &testkit::Outcome) -> Vec<(&str, Option<&str>, Layer)> {
    out.files
        .iter()
        .map(|f| (f.path.as_str(), f.app.as_deref(), f.layer))
        .collect()
}

#[tokio::test]
async fn tgz_in_tgz_is_read_with_bang_paths_and_the_inner_app_and_layer() {
    let outer = tgz(Tar::new()
        .file("Premium/default/app.conf", b"[install]\nstate = enabled\n")
        .file("Premium/install/Splunk_TA_x.tgz", &add_on_tgz().await)
        .file("Premium/default/props.conf", PROPS))
    .await;
    let out = read_all(&outer, Limits::default()).await;
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(
        located(&out),
        [
            ("Premium/default/app.conf", Some("Premium"), Layer::Default),
            (
                "Premium/install/Splunk_TA_x.tgz!Splunk_TA_x/default/props.conf",
                Some("Splunk_TA_x"),
                Layer::Default
            ),
            (
                "Premium/install/Splunk_TA_x.tgz!Splunk_TA_x/local/inputs.conf",
                Some("Splunk_TA_x"),
                Layer::Local
            ),
            (
                "Premium/default/props.conf",
                Some("Premium"),
                Layer::Default
            ),
        ]
    );
    assert_eq!(&out.files[1].data[..], PROPS);
    assert_eq!(&out.files[2].data[..], INPUTS);
    assert_eq!(out.files[2].conf_type, "inputs");
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    // 3 outer members + the package's directory, 2 conf files and a script.
    assert_eq!(out.entries_seen, 7);
}

#[tokio::test]
async fn zip_in_tgz_is_read() {
    let inner = ZipBuilder::default()
        .file("TA-z/default/props.conf", PROPS)
        .streamed("TA-z\\local\\props.conf", INPUTS)
        .finish()
        .await;
    let outer = tgz(Tar::new().file("install/TA-z.zip", &inner)).await;
    let out = read_all(&outer, Limits::default()).await;
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(
        located(&out),
        [
            (
                "install/TA-z.zip!TA-z/default/props.conf",
                Some("TA-z"),
                Layer::Default
            ),
            (
                "install/TA-z.zip!TA-z/local/props.conf",
                Some("TA-z"),
                Layer::Local
            ),
        ]
    );
}

#[tokio::test]
async fn spl_in_zip_and_tar_in_zip_are_read_as_a_deployment_bundle_of_apps() {
    let plain_tar = Tar::new().file("B_app/default/props.conf", INPUTS).finish();
    let outer = ZipBuilder::default()
        .file("bundle/A_app.spl", &add_on_tgz().await)
        .stored("bundle/B_app.tar", &plain_tar)
        .file("bundle/notes.txt", b"deploy both")
        .finish()
        .await;
    let out = read_all(&outer, Limits::default()).await;
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(
        out.paths(),
        [
            "bundle/A_app.spl!Splunk_TA_x/default/props.conf",
            "bundle/A_app.spl!Splunk_TA_x/local/inputs.conf",
            "bundle/B_app.tar!B_app/default/props.conf",
        ]
    );
    assert_eq!(&out.files[2].data[..], INPUTS);
}

#[tokio::test]
async fn traversal_and_absolute_names_inside_a_package_are_rejected_like_outer_ones() {
    let cases: [(&str, Vec<u8>); 3] = [
        (
            "../../evil.conf",
            tgz(Tar::new().file("../../evil.conf", PROPS)).await,
        ),
        (
            "/etc/evil.conf",
            tgz(Tar::new().file("/etc/evil.conf", PROPS)).await,
        ),
        (
            "TA\\..\\..\\evil.conf",
            ZipBuilder::default()
                .file("TA\\..\\..\\evil.conf", PROPS)
                .finish()
                .await,
        ),
    ];
    for (name, inner) in cases {
        let outer = tgz(Tar::new()
            .file("A/default/props.conf", PROPS)
            .file("install/evil.tgz", &inner))
        .await;
        let out = read_all(&outer, Limits::default()).await;
        let expected = format!("install/evil.tgz!{name}");
        assert!(
            matches!(&out.error, Some(ArchiveError::PathTraversal { entry }) if *entry == expected),
            "{name}: {:?}",
            out.error
        );
        assert_eq!(out.paths(), ["A/default/props.conf"], "{name}");
    }
}

#[tokio::test]
async fn a_package_inside_a_package_is_a_warning_and_a_plain_file() {
    let deepest = tgz(Tar::new().file("C/default/props.conf", PROPS)).await;
    let middle = ZipBuilder::default()
        .file("B/default/props.conf", INPUTS)
        .file("B/install/C.tgz", &deepest)
        .finish()
        .await;
    let outer = tgz(Tar::new()
        .file("A/install/B.zip", &middle)
        .file("A/default/props.conf", PROPS))
    .await;
    let out = read_all(&outer, Limits::default()).await;
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(
        out.paths(),
        [
            "A/install/B.zip!B/default/props.conf",
            "A/default/props.conf"
        ]
    );
    assert_eq!(
        out.warnings,
        [ArchiveWarning {
            entry: "A/install/B.zip!B/install/C.tgz".into(),
            kind: ArchiveWarningKind::NestedTooDeep,
        }]
    );
    assert!(out.warnings[0].to_string().contains("one level deep"));
}

#[tokio::test]
async fn a_file_named_like_a_package_that_is_not_one_is_a_warning() {
    let outer = Tar::new()
        .file("A/install/readme.zip", b"not a zip at all, just text")
        .file("A/default/props.conf", PROPS)
        .finish();
    let out = read_all(&outer, Limits::default()).await;
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(out.paths(), ["A/default/props.conf"]);
    assert_eq!(out.warnings[0].kind, ArchiveWarningKind::NotAPackage);
    assert_eq!(out.warnings[0].entry, "A/install/readme.zip");
}

#[tokio::test]
async fn debris_links_and_duplicates_inside_a_package_are_handled_like_outer_ones() {
    let inner = Tar::new()
        .file("TA/default/props.conf", b"[first]\n")
        .file("__MACOSX/TA/default/._props.conf", b"\0\x05\x16\x07")
        .symlink("TA/default/inputs.conf", "/etc/passwd")
        .file("./TA/default/props.conf", b"[second]\n")
        .finish();
    let outer = Tar::new().file("install/TA.tar", &inner).finish();
    let out = read_all(&outer, Limits::default()).await;
    assert!(out.error.is_none(), "{:?}", out.error);
    let kinds: Vec<_> = out.warnings.iter().map(|w| w.kind).collect();
    use ArchiveWarningKind::{Duplicate, Link, MacDebris};
    assert_eq!(kinds, [MacDebris, Link, Duplicate]);
    assert_eq!(
        out.warnings[1].entry,
        "install/TA.tar!TA/default/inputs.conf"
    );
    let kept = keep_last(out.files);
    assert_eq!(kept.len(), 1);
    assert_eq!(&kept[0].data[..], b"[second]\n");
}

#[test]
fn the_archive_reader_never_touches_the_file_system() {
    // Nothing can be written outside the storage root when nothing is written at all.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/archive");
    for file in std::fs::read_dir(&dir).expect("src/archive") {
        let path = file.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("test") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("source");
        for call in [
            "std::fs",
            "tokio::fs",
            "File::",
            "OpenOptions",
            ".unpack",
            "unpack_in",
        ] {
            assert!(!text.contains(call), "{name} mentions {call}");
        }
    }
}
