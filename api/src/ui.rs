//! The dashboard at `/ui/`: hand-written HTML, CSS and plain JavaScript (`api/ui/`, no library)
//! compiled into the binary with `include_str!`, so `confq api` needs no files on disk, no CDN
//! and no Node build.
//! The page reads `/v1/stream` and calls the `/v1` routes (docs/api.md, "Dashboard").

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

/// Every file of the dashboard: name, content type, content.
const FILES: &[(&str, &str, &str)] = &[
    ("index.html", HTML, include_str!("../ui/index.html")),
    ("style.css", CSS, include_str!("../ui/style.css")),
    ("core.js", JS, include_str!("../ui/core.js")),
    ("overview.js", JS, include_str!("../ui/overview.js")),
    ("runs.js", JS, include_str!("../ui/runs.js")),
    ("run.js", JS, include_str!("../ui/run.js")),
    ("dead.js", JS, include_str!("../ui/dead.js")),
    ("main.js", JS, include_str!("../ui/main.js")),
];
const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// Only our own files; the stream over `ws:`/`wss:` of this host.
const POLICY: &str = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; \
                      style-src 'self'; script-src 'self'; frame-ancestors 'none'";

/// `/ui` → `/ui/`, so the page's relative links resolve.
pub async fn redirect() -> Redirect {
    Redirect::permanent("/ui/")
}

/// One of the dashboard's files (`/ui/` is the page).
pub async fn asset(path: Option<Path<String>>) -> Response {
    let name = path.map(|Path(p)| p).unwrap_or_default();
    let name = if name.is_empty() { "index.html" } else { &name };
    let Some(&(_, kind, body)) = FILES.iter().find(|(n, _, _)| *n == name) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, POLICY),
        ],
        body,
    )
        .into_response()
}
