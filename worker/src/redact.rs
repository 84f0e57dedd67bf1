//! Hides credentials in free text: every `scheme://user:password@host` becomes
//! `scheme://user:***@host`, wherever it appears in an error message or log line.

/// Returns `text` with the password of every URL in it replaced by `***`.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        // The authority ends at the first '/', whitespace or quote; credentials end at its last '@'.
        let end = tail
            .find(|c: char| c == '/' || c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => {
                out.push_str(&authority[..=colon]);
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn password_in_url_is_hidden() {
        assert_eq!(
            redact("connect postgres://app:s3cret@db:5432/confq failed"),
            "connect postgres://app:***@db:5432/confq failed"
        );
    }

    #[test]
    fn several_urls_are_all_redacted() {
        let text = "redis://:pw@h:6379 and s3://bucket/x and postgres://u:p@h/db";
        assert_eq!(
            redact(text),
            "redis://:***@h:6379 and s3://bucket/x and postgres://u:***@h/db"
        );
    }

    #[test]
    fn text_without_credentials_is_unchanged() {
        for text in [
            "redis://127.0.0.1:6379",
            "no url here",
            "file:///tmp/x",
            "a://",
        ] {
            assert_eq!(redact(text), text);
        }
    }
}
