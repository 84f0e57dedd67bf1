//! Keyset cursors of the computed views: the sort key of the last item shown (stanza names and
//! keys are arbitrary text, so the key is JSON, hex-encoded into an opaque, URL-safe token).

use crate::error::ApiError;

/// The sort key of an item: `[stanza]` for the effective view, `[conf, stanza, key]` for a diff.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor(pub Vec<String>);

impl Cursor {
    /// The token handed out as `next`.
    pub fn encode(&self) -> String {
        hex::encode(serde_json::to_vec(&self.0).unwrap_or_default())
    }

    /// Reads `after=`: absent or empty means the first page.
    ///
    /// # Errors
    /// 400 for a token this API did not hand out.
    pub fn decode(raw: Option<&str>) -> Result<Option<Cursor>, ApiError> {
        After::parse(raw)?.cursor()
    }
}

/// `after=` in two steps: its syntax (lowercase hex, the documented pattern) is checked before the
/// run is looked up, so malformed input is a 400 whatever the run; its content after, so a
/// well-formed token on an unknown run is the run's 404.
#[derive(Clone, Debug, Default)]
pub struct After(Option<Vec<u8>>);

impl After {
    /// Checks the syntax of `after=`.
    ///
    /// # Errors
    /// 400 unless it is empty or lowercase hex.
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let Some(raw) = raw.filter(|r| !r.is_empty()) else {
            return Ok(After(None));
        };
        let lower = raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        match hex::decode(raw) {
            Ok(bytes) if lower => Ok(After(Some(bytes))),
            _ => Err(invalid()),
        }
    }

    /// The cursor it holds.
    ///
    /// # Errors
    /// 400 when it is not a cursor this API handed out.
    pub fn cursor(self) -> Result<Option<Cursor>, ApiError> {
        self.0
            .map(|bytes| serde_json::from_slice::<Vec<String>>(&bytes).map(Cursor))
            .transpose()
            .map_err(|_| invalid())
    }
}

fn invalid() -> ApiError {
    ApiError::BadRequest("invalid cursor `after`".to_owned())
}

/// The page of `items` (sorted by `key`) after `after`, and the cursor of the next page.
pub fn paginate<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> Cursor,
    after: Option<&Cursor>,
    limit: u64,
) -> (Vec<T>, Option<String>) {
    let start = after.map_or(0, |after| items.partition_point(|item| key(item) <= *after));
    let size = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut page: Vec<T> = items.into_iter().skip(start).take(size + 1).collect();
    let more = page.len() > size;
    page.truncate(size);
    let next = more
        .then(|| page.last().map(|item| key(item).encode()))
        .flatten();
    (page, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(parts: &[&str]) -> Cursor {
        Cursor(parts.iter().map(|p| (*p).to_owned()).collect())
    }

    #[test]
    fn cursors_round_trip_any_text_and_reject_foreign_tokens() {
        for parts in [&["", "a b", "é\0[x]"][..], &["props", "s", "EVAL-x"]] {
            let c = cursor(parts);
            assert_eq!(Cursor::decode(Some(&c.encode())).ok(), Some(Some(c)));
        }
        assert_eq!(Cursor::decode(Some("")).ok(), Some(None));
        for bad in ["12", "zz", "7b7d", "5B5D"] {
            assert!(Cursor::decode(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn pages_follow_each_other_without_gaps_even_after_the_empty_name() {
        let items = vec!["", "a", "b", "c", "d"];
        let key = |s: &&str| cursor(&[s]);
        let (mut seen, mut after) = (Vec::new(), None);
        loop {
            let (page, next) = paginate(items.clone(), key, after.as_ref(), 2);
            seen.extend(page);
            match next {
                Some(token) => after = Cursor::decode(Some(&token)).expect("ours"),
                None => break,
            }
        }
        assert_eq!(seen, items);
    }
}
