//! Turns a file's bytes into text: UTF-8 (BOM skipped), or UTF-16/32 when a byte-order mark says so.

use std::borrow::Cow;

use crate::error::ParseError;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decoded text, and the encoding name when it was not UTF-8 (the caller warns).
pub(crate) fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, Option<&'static str>), ParseError> {
    // UTF-32LE's mark starts with UTF-16LE's, so test the longer marks first.
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE\x00\x00") {
        return wide(rest, 4, "UTF-32LE", |c| {
            u32::from_le_bytes([c[0], c[1], c[2], c[3]])
        })
        .map(owned);
    }
    if let Some(rest) = bytes.strip_prefix(b"\x00\x00\xFE\xFF") {
        return wide(rest, 4, "UTF-32BE", |c| {
            u32::from_be_bytes([c[0], c[1], c[2], c[3]])
        })
        .map(owned);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, "UTF-16LE", u16::from_le_bytes).map(owned);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, "UTF-16BE", u16::from_be_bytes).map(owned);
    }
    let (skip, text) = match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => (UTF8_BOM.len(), rest),
        None => (0, bytes),
    };
    match std::str::from_utf8(text) {
        Ok(s) => Ok((Cow::Borrowed(s), None)),
        Err(e) => {
            let bad = e.valid_up_to();
            let newlines = memchr::memchr_iter(b'\n', &text[..bad]).count();
            Err(ParseError::InvalidUtf8 {
                line: u32::try_from(newlines).unwrap_or(u32::MAX - 1) + 1,
                offset: skip + bad,
            })
        }
    }
}

fn owned((s, enc): (String, &'static str)) -> (Cow<'static, str>, Option<&'static str>) {
    (Cow::Owned(s), Some(enc))
}

fn utf16(
    rest: &[u8],
    encoding: &'static str,
    unit: fn([u8; 2]) -> u16,
) -> Result<(String, &'static str), ParseError> {
    let bad = |offset| ParseError::InvalidUtf16 { encoding, offset };
    if !rest.len().is_multiple_of(2) {
        return Err(bad(rest.len() + 1));
    }
    let units = rest.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let mut out = String::with_capacity(rest.len() / 2);
    for (i, ch) in char::decode_utf16(units).enumerate() {
        out.push(ch.map_err(|_| bad(2 + 2 * i))?);
    }
    Ok((out, encoding))
}

fn wide(
    rest: &[u8],
    width: usize,
    encoding: &'static str,
    unit: fn(&[u8]) -> u32,
) -> Result<(String, &'static str), ParseError> {
    let bad = |offset| ParseError::InvalidUtf16 { encoding, offset };
    if !rest.len().is_multiple_of(width) {
        return Err(bad(rest.len() + width));
    }
    let mut out = String::with_capacity(rest.len() / width);
    for (i, c) in rest.chunks_exact(width).enumerate() {
        out.push(char::from_u32(unit(c)).ok_or_else(|| bad(width + width * i))?);
    }
    Ok((out, encoding))
}
