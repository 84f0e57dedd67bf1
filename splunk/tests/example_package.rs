//! The example package in `examples/` (three apps) reads the same from its .tgz and its .zip, and
//! every member parses.

use std::collections::BTreeMap;

use splunk::archive::{ArchiveFormat, ArchiveReader, Layer, Limits};

/// path → (app, layer, conf type, stanza count, sha256)
type Summary = BTreeMap<String, (Option<String>, Layer, String, usize, String)>;

async fn summarise(bytes: &[u8], format: ArchiveFormat) -> Summary {
    let mut reader = ArchiveReader::open(bytes, Limits::default())
        .await
        .expect("opens");
    assert_eq!(reader.format(), format);
    let mut out = Summary::new();
    while let Some(e) = reader.next_file().await.expect("reads") {
        let parsed = splunk::parse(&e.data).expect("every example file parses");
        out.insert(
            e.path,
            (e.app, e.layer, e.conf_type, parsed.stanzas.len(), e.sha256),
        );
    }
    out
}

#[tokio::test]
async fn example_tgz_and_zip_yield_the_same_files() {
    let tgz = include_bytes!("../../examples/splunk-apps.tgz");
    let zip = include_bytes!("../../examples/splunk-apps.zip");
    let from_tgz = summarise(tgz, ArchiveFormat::TarGz).await;
    let from_zip = summarise(zip, ArchiveFormat::Zip).await;
    assert_eq!(from_tgz, from_zip);
    assert!(
        !from_tgz
            .keys()
            .any(|p| p.ends_with(".spec") || p.ends_with(".csv"))
    );
    let nginx = &from_tgz["acme_web_TA/bin/default.conf"];
    assert_eq!(
        (nginx.0.as_deref(), nginx.1, nginx.2.as_str()),
        (Some("acme_web_TA"), Layer::Other, "default")
    );
    let meta = &from_tgz["acme_search/metadata/local.meta"];
    assert_eq!((meta.1, meta.2.as_str()), (Layer::Metadata, "meta"));
    assert_eq!(from_tgz.len(), 15);
}
