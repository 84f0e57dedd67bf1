//! The dashboard's files at `/ui/`: built into the binary, each with its type and a policy that
//! allows nothing from elsewhere; open even when reads need the token (they hold no data).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use api::ApiConfig;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::TestApp;

async fn get(t: &TestApp, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let (status, headers, body) = t.send(request).await;
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn the_page_and_every_file_it_references_are_served() {
    let t = TestApp::with(ApiConfig {
        api_token: Some("t0ken".into()),
        protect_reads: true,
        ..ApiConfig::default()
    })
    .await;
    let (status, headers, page) = get(&t, "/ui/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no CDN: {page}"
    );

    let referenced: Vec<&str> = page
        .split(['"', '\''])
        .filter(|s| s.ends_with(".js") || s.ends_with(".css"))
        .collect();
    assert!(referenced.len() >= 3, "{referenced:?}");
    for file in referenced {
        let (status, headers, body) = get(&t, &format!("/ui/{file}")).await;
        assert_eq!(status, StatusCode::OK, "{file}");
        let kind = headers[header::CONTENT_TYPE].to_str().unwrap();
        let expected = if file.ends_with(".js") {
            "text/javascript"
        } else {
            "text/css"
        };
        assert!(kind.starts_with(expected), "{file}: {kind}");
        assert!(
            !body.contains("https://"),
            "{file} loads something from the internet"
        );
    }
}

#[tokio::test]
async fn unknown_files_are_404_and_ui_redirects_to_the_page() {
    let t = TestApp::new().await;
    assert_eq!(get(&t, "/ui/../Cargo.toml").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&t, "/ui/nope.js").await.0, StatusCode::NOT_FOUND);
    let (status, headers, _) = get(&t, "/ui").await;
    assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(headers[header::LOCATION], "/ui/");
}

#[tokio::test]
async fn the_stream_without_an_upgrade_is_a_client_error() {
    let t = TestApp::new().await;
    let (status, _, _) = get(&t, "/v1/stream").await;
    assert!(status.is_client_error(), "{status}");
}
