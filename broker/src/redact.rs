//! Hiding passwords in connection URLs before they reach an error or a log line.

/// Returns `url` with the password of its user-info replaced by `***`
/// (`redis://user:secret@host:6379/0` → `redis://user:***@host:6379/0`).
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest_start = scheme_end + 3;
    let rest = &url[rest_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let user_info = &authority[..at];
    let user = match user_info.find(':') {
        Some(colon) => &user_info[..colon],
        None => user_info,
    };
    format!("{}{}:***@{}", &url[..rest_start], user, &rest[at + 1..])
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn password_is_hidden() {
        assert_eq!(
            redact_url("redis://user:s3cr3t@host:6379/0"),
            "redis://user:***@host:6379/0"
        );
        assert_eq!(redact_url("redis://:pw@h"), "redis://:***@h");
        assert_eq!(redact_url("rediss://token@h/1"), "rediss://token:***@h/1");
    }

    #[test]
    fn url_without_credentials_is_unchanged() {
        assert_eq!(
            redact_url("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
        assert_eq!(redact_url("not a url"), "not a url");
        assert_eq!(redact_url("redis://h/path@x"), "redis://h/path@x");
    }
}
