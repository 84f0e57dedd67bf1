//! The one redaction function of confq: hides credentials in any text (a URL, an error chain, a
//! log line) before it is printed, logged or stored.
//!
//! Two forms are hidden: the password of a URL's user-info (`scheme://user:pass@host`) and the
//! value of a secret-named parameter (`?password=…`, `&X-Amz-Signature=…`, `token=…` in a
//! connection string). The user name stays visible, so an operator can still tell which account
//! was used.

/// Parameter names whose value is a secret (compared without case, `-` read as `_`); a name that
/// ends in `_` plus one of these (`aws_secret_access_key`, `x_amz_signature`) is one too.
const SECRET_NAMES: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "token",
    "access_key",
    "secret_key",
    "secret_access_key",
    "sig",
    "signature",
    "api_key",
    "apikey",
    "auth",
    "credential",
    "credentials",
    "private_key",
];

/// What replaces a hidden secret.
const MASK: &str = "***";

/// Returns `text` with every URL password and every secret-named parameter value replaced by
/// `***` (`postgres://app:s3cret@db/confq?sslpassword=x` → `postgres://app:***@db/confq?sslpassword=***`).
///
/// # Examples
/// ```
/// use broker::redact::redact;
///
/// assert_eq!(
///     redact("cannot reach redis://worker:hunter2@cache:6379/0"),
///     "cannot reach redis://worker:***@cache:6379/0"
/// );
/// ```
pub fn redact(text: &str) -> String {
    hide_parameters(&hide_user_info(text))
}

/// `scheme://user:password@host` → `scheme://user:***@host`, for every URL in `text`.
fn hide_user_info(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        // The authority ends at the path, query, fragment, whitespace or a quote; the user-info
        // ends at its last '@' (an unescaped '@' in a password is still hidden).
        let end = authority_end(tail);
        let authority = &tail[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => {
                out.push_str(&authority[..=colon]);
                out.push_str(MASK);
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Where the authority at the start of `tail` ends: at the path, query, fragment, whitespace, a
/// quote, or a comma that starts the next URL of a list (`redis://a:1,redis://b:2`).
fn authority_end(tail: &str) -> usize {
    for (i, c) in tail.char_indices() {
        if matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>') || c.is_whitespace() {
            return i;
        }
        if c == ',' && starts_with_scheme(&tail[i + 1..]) {
            return i;
        }
    }
    tail.len()
}

/// Whether `text` starts with `scheme://` (letters, digits, `+ - .`, starting with a letter).
fn starts_with_scheme(text: &str) -> bool {
    let text = text.trim_start();
    let scheme_len = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .unwrap_or(text.len());
    scheme_len > 0
        && text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text[scheme_len..].starts_with("://")
}

/// `name=value` → `name=***` wherever `name` is a secret and starts a word: in a URL query
/// (`?`/`&`/`;`) or a key/value connection string (`host=db password=x`).
fn hide_parameters(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(eq) = rest.find('=') {
        let (before, after) = (&rest[..eq], &rest[eq + 1..]);
        let name_start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
            .map_or(0, |i| {
                i + before[i..].chars().next().map_or(1, char::len_utf8)
            });
        out.push_str(before);
        out.push('=');
        if is_secret(&before[name_start..]) {
            let value_end = value_end(after);
            if value_end > 0 {
                out.push_str(MASK);
            }
            rest = &after[value_end..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Where a parameter's value ends: at a separator, a quote, whitespace, or a `: ` that joins the
/// next cause of an error chain.
fn value_end(value: &str) -> usize {
    let mut chars = value.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let ends_clause = c == ':' && chars.peek().is_none_or(|(_, next)| next.is_whitespace());
        if ends_clause
            || c.is_whitespace()
            || matches!(
                c,
                '&' | '#' | ';' | ',' | '"' | '\'' | ')' | '>' | ']' | '}'
            )
        {
            return i;
        }
    }
    value.len()
}

/// Whether a parameter named `name` carries a secret.
fn is_secret(name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let name = name.to_ascii_lowercase().replace(['-', '.'], "_");
    SECRET_NAMES.iter().any(|secret| {
        name == *secret
            || name
                .strip_suffix(secret)
                .is_some_and(|prefix| prefix.ends_with('_'))
    })
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn password_in_user_info_is_hidden() {
        assert_eq!(
            redact("redis://user:s3cr3t@host:6379/0"),
            "redis://user:***@host:6379/0"
        );
        assert_eq!(redact("redis://:pw@h"), "redis://:***@h");
        assert_eq!(
            redact("connect postgres://app:s3cret@db:5432/confq failed"),
            "connect postgres://app:***@db:5432/confq failed"
        );
        assert_eq!(
            redact("redis://u:p@ss@h:1?db=0"),
            "redis://u:***@h:1?db=0",
            "an unescaped '@' in the password"
        );
    }

    #[test]
    fn every_password_of_a_cluster_node_list_is_hidden() {
        assert_eq!(
            redact("redis://u:a1@h1:7000,redis://u:b2@h2:7001, rediss://:c,3@h3:7002"),
            "redis://u:***@h1:7000,redis://u:***@h2:7001, rediss://:***@h3:7002"
        );
    }

    #[test]
    fn every_url_of_a_text_is_redacted() {
        let text = "redis://:pw@h:6379 and s3://bucket/x and postgres://u:p@h/db";
        assert_eq!(
            redact(text),
            "redis://:***@h:6379 and s3://bucket/x and postgres://u:***@h/db"
        );
    }

    #[test]
    fn secret_query_parameters_are_hidden() {
        assert_eq!(
            redact("postgres://db/confq?user=app&password=s3cret&sslmode=require"),
            "postgres://db/confq?user=app&password=***&sslmode=require"
        );
        assert_eq!(
            redact("redis://h:6379?Token=abc#frag"),
            "redis://h:6379?Token=***#frag"
        );
        assert_eq!(
            redact(
                "GET https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA1&X-Amz-Signature=f00d failed"
            ),
            "GET https://b.s3.amazonaws.com/k?X-Amz-Credential=***&X-Amz-Signature=*** failed"
        );
        for name in [
            "passwd",
            "pass",
            "secret",
            "access_key",
            "secret_access_key",
            "aws_secret_access_key",
            "sig",
            "signature",
            "api_key",
            "api-key",
        ] {
            assert_eq!(
                redact(&format!("s3://b/p?{name}=hunter2&region=eu")),
                format!("s3://b/p?{name}=***&region=eu"),
                "{name}"
            );
        }
    }

    #[test]
    fn connection_strings_and_both_forms_at_once_are_hidden() {
        assert_eq!(
            redact("host=db user=app password=s3cret dbname=confq"),
            "host=db user=app password=*** dbname=confq"
        );
        assert_eq!(
            redact("postgres://app:one@db/c?password=two"),
            "postgres://app:***@db/c?password=***"
        );
    }

    #[test]
    fn text_without_credentials_is_unchanged() {
        for text in [
            "redis://127.0.0.1:6379",
            "redis://postgres@127.0.0.1:6379",
            "no url here",
            "file:///tmp/x",
            "a://",
            "redis://h/path@x",
            "s3://bucket/prefix?region=eu-west-1&bypass=1&passage=2",
            "a = b, key=value, x==y, =, password=",
            "",
        ] {
            assert_eq!(redact(text), text);
        }
    }

    #[test]
    fn redacting_twice_changes_nothing_more() {
        let once = redact("postgres://u:p@h/db?token=t and password=x");
        assert_eq!(redact(&once), once);
        let chain = "cannot reach h/db?password=x: refused";
        assert_eq!(redact(chain), "cannot reach h/db?password=***: refused");
        assert_eq!(redact(&redact(chain)), redact(chain));
    }
}
