//! The health probes behind `confq worker --check` and `confq reaper --check` (the compose
//! health checks): each exits 0 only when the process it asks about is alive and doing its work.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::exit::Failure;

/// How long a probe waits for an answer: a frozen process accepts connections (the kernel does)
/// but never answers, and that must fail the probe rather than hang it.
pub(crate) const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// `GET http://<addr>/healthz`: `Ok` on a 200 answer. An unspecified address (`0.0.0.0`, `::`)
/// is asked on loopback, where a process bound to it also listens.
///
/// # Errors
/// A runtime failure naming what went wrong: no answer, a timeout, or the status received.
pub(crate) async fn healthz(addr: SocketAddr) -> Result<(), Failure> {
    let addr = loopback_if_unspecified(addr);
    let answer = tokio::time::timeout(PROBE_TIMEOUT, get(addr, "/healthz"))
        .await
        .map_err(|_| {
            Failure::runtime(format!(
                "no answer from http://{addr}/healthz within {PROBE_TIMEOUT:?}: the process is frozen or overloaded"
            ))
        })?
        .map_err(|error| {
            Failure::runtime(format!(
                "cannot reach http://{addr}/healthz: {error} — is the process running with this --metrics-bind?"
            ))
        })?;
    let status_line = answer.lines().next().unwrap_or_default();
    if status_line.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default().trim();
        Err(Failure::runtime(format!(
            "http://{addr}/healthz answered {status_line:?}: {body}"
        )))
    }
}

/// One HTTP/1.1 request without keep-alive; the whole answer as text.
async fn get(addr: SocketAddr, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.take(64 * 1024).read_to_end(&mut answer).await?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

fn loopback_if_unspecified(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => {
            SocketAddr::from((Ipv4Addr::LOCALHOST, v4.port()))
        }
        SocketAddr::V6(v6) if v6.ip().is_unspecified() => {
            SocketAddr::from((Ipv6Addr::LOCALHOST, v6.port()))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::loopback_if_unspecified;

    #[test]
    fn an_unspecified_bind_is_probed_on_loopback() {
        let probe = |bind: &str| loopback_if_unspecified(bind.parse().expect("a socket address"));
        assert_eq!(probe("0.0.0.0:9464").to_string(), "127.0.0.1:9464");
        assert_eq!(probe("[::]:9464").to_string(), "[::1]:9464");
        assert_eq!(probe("10.1.2.3:9464").to_string(), "10.1.2.3:9464");
    }
}
