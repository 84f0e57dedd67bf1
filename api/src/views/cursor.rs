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
        let Some(raw) = raw.filter(|r| !r.is_empty()) else {
            return Ok(None);
        };
        hex::decode(raw)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Vec<String>>(&bytes).ok())
            .map(|key| Some(Cursor(key)))
            .ok_or_else(|| ApiError::BadRequest("invalid cursor `after`".to_owned()))
    }
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
        for bad in ["12", "zz", "7b7d"] {
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
