//! Each word of the shared vocabulary is spelled once in the workspace's library and binary code:
//! in `protocol`, or (for the strings the broker writes itself) in `broker`. Tests, benches,
//! comments, `#[cfg(test)]` modules and `testenv` (the tests' support crate) may spell them, to
//! pin the contract's text.

use std::fs;
use std::path::{Path, PathBuf};

/// A quoted word, and the only files outside `protocol/src` that may spell it.
const WORDS: &[(&str, &[&str])] = &[
    ("\"ingest.parse_upload\"", &[]),
    ("\"ingest\"", &[]),
    ("\"permanent\"", &[]),
    ("\"transient_exhausted\"", &[]),
    ("\"unknown_task\"", &[]),
    ("\"transient\"", &["broker/src/consumer/finish.rs"]),
    ("\"timeout\"", &["broker/src/reaper.rs"]),
    ("\"malformed\"", &["broker/src/consumer/mod.rs"]),
    ("\"60,180,600\"", &[]),
    ("\"confq_", &[]),
    ("[60, 180, 600]", &[]),
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("protocol/ sits in the workspace root")
        .to_path_buf()
}

/// Every `.rs` file under the `src/` directories of the workspace (the root package's and each
/// member's but `testenv`, which only tests use), as paths relative to the workspace root.
fn sources(root: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![root.join("src")];
    for entry in fs::read_dir(root)
        .expect("read the workspace root")
        .flatten()
    {
        let src = entry.path().join("src");
        let tests_only = entry.file_name() == "testenv";
        if entry.path().join("Cargo.toml").is_file() && src.is_dir() && !tests_only {
            dirs.push(src);
        }
    }
    let mut files = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("read a source dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path.strip_prefix(root).expect("under root").to_path_buf());
            }
        }
    }
    files
}

/// The code of a file: comments dropped, and everything from `#[cfg(test)]` on.
fn code(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, line)| line.trim() != "#[cfg(test)]")
        .map(|(number, line)| (number, without_comment(line)))
}

/// `line` up to its `//` comment, if it has one outside a string literal.
fn without_comment(line: &str) -> &str {
    let mut quoted = false;
    let bytes = line.as_bytes();
    for (i, &byte) in bytes.iter().enumerate() {
        match byte {
            b'"' if i == 0 || bytes[i - 1] != b'\\' => quoted = !quoted,
            b'/' if !quoted && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
    }
    line
}

#[test]
fn each_word_of_the_vocabulary_has_one_home() {
    let root = workspace();
    let mut found = Vec::new();
    for file in sources(&root) {
        let name = file.to_string_lossy().replace('\\', "/");
        // The fuzz crate is outside the workspace and protocol/ is the home itself.
        if name.starts_with("protocol/") || name.starts_with("fuzz/") {
            continue;
        }
        let text = fs::read_to_string(root.join(&file)).expect("read a source file");
        for (number, line) in code(&text) {
            for (word, allowed) in WORDS {
                if line.contains(word) && !allowed.contains(&name.as_str()) {
                    found.push(format!("{name}:{}: {word}", number + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "spell these through `protocol` (or the broker's constants) instead:\n{}",
        found.join("\n")
    );
}
