//! Format detection from the first bytes of the content (never from a file name).

use crate::error::ArchiveError;

/// Bytes to look at: one tar header block.
pub(crate) const SNIFF_LEN: usize = 512;

/// What the first bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sniffed {
    /// A zip archive; `empty` when it starts with the end-of-central-directory record.
    Zip { empty: bool },
    /// Gzip: the tar inside is checked after decompression.
    Gzip,
    /// A plain tar.
    Tar,
}

/// Detects the container from its first (up to) [`SNIFF_LEN`] bytes.
pub(crate) fn sniff(head: &[u8]) -> Result<Sniffed, ArchiveError> {
    if head.starts_with(b"PK\x03\x04") {
        return Ok(Sniffed::Zip { empty: false });
    }
    if head.starts_with(b"PK\x05\x06") {
        return Ok(Sniffed::Zip { empty: true });
    }
    if head.starts_with(b"\x1f\x8b") {
        return Ok(Sniffed::Gzip);
    }
    if is_tar(head) {
        return Ok(Sniffed::Tar);
    }
    Err(ArchiveError::Unsupported {
        reason: describe(head),
    })
}

/// A tar header block: `ustar` magic, or a valid old-style checksum, or the all-zero end block.
pub(crate) fn is_tar(head: &[u8]) -> bool {
    let Some(block) = head.get(..SNIFF_LEN) else {
        return false;
    };
    &block[257..262] == b"ustar" || block.iter().all(|&b| b == 0) || checksum_ok(block)
}

fn checksum_ok(block: &[u8]) -> bool {
    let field = &block[148..156];
    let digits: Vec<u8> = field
        .iter()
        .copied()
        .filter(|b| !matches!(b, b' ' | 0))
        .collect();
    let Ok(text) = std::str::from_utf8(&digits) else {
        return false;
    };
    let Ok(stored) = u32::from_str_radix(text, 8) else {
        return false;
    };
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(b)
            }
        })
        .sum();
    !digits.is_empty() && stored == sum
}

fn describe(head: &[u8]) -> String {
    let known: &[(&[u8], &str)] = &[
        (b"\x28\xb5\x2f\xfd", "zstd"),
        (b"BZh", "bzip2"),
        (b"\xfd7zXZ\x00", "xz"),
        (b"7z\xbc\xaf\x27\x1c", "7-zip"),
        (b"Rar!", "rar"),
    ];
    if head.is_empty() {
        return "empty input".into();
    }
    match known.iter().find(|(magic, _)| head.starts_with(magic)) {
        Some((_, name)) => format!("{name} data (expected zip, tar or tar.gz)"),
        None => {
            let shown = &head[..head.len().min(8)];
            format!(
                "not zip, tar or tar.gz (first bytes: {})",
                hex::encode(shown)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_gzip_and_empty_zip_are_recognised() {
        assert_eq!(
            sniff(b"PK\x03\x04rest").ok(),
            Some(Sniffed::Zip { empty: false })
        );
        assert_eq!(
            sniff(b"PK\x05\x06rest").ok(),
            Some(Sniffed::Zip { empty: true })
        );
        assert_eq!(sniff(b"\x1f\x8b\x08").ok(), Some(Sniffed::Gzip));
    }

    #[test]
    fn old_style_tar_is_recognised_by_its_checksum() {
        let mut block = [0u8; 512];
        block[..5].copy_from_slice(b"a.txt");
        let sum: u32 = block.iter().map(|&b| u32::from(b)).sum::<u32>() + 8 * 32;
        block[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        assert_eq!(sniff(&block).ok(), Some(Sniffed::Tar));
    }

    #[test]
    fn other_content_is_unsupported_and_says_what_it_saw() {
        let err = sniff(b"\x28\xb5\x2f\xfdxxxx").expect_err("zstd");
        assert!(err.to_string().contains("zstd") && err.is_permanent());
        assert!(sniff(b"").expect_err("empty").to_string().contains("empty"));
        assert!(sniff(b"[default]\nk = v\n").is_err());
    }
}
