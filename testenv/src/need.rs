//! Tools and services a test needs: found, or the test fails naming what to install; under CI
//! nothing may be skipped.

use std::path::PathBuf;

/// Whether this is a CI run: `CI` set to anything but empty, `0` or `false` (`.ci/run` sets
/// `CI=true`, as most CI services do).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| !matches!(value.trim(), "" | "0" | "false"))
}

/// What a test needs and does not have, with how to get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// What is missing, e.g. "`moto_server` on PATH".
    pub what: String,
    /// How to provide it, e.g. "pip install 'moto[server]'".
    pub how: String,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (to provide it: {})", self.what, self.how)
    }
}

impl Missing {
    /// `program` (a name looked up on PATH, or a path) when it exists; otherwise what is missing.
    ///
    /// # Errors
    /// When `program` is not found.
    pub fn tool(program: &str, how: &str) -> Result<PathBuf, Missing> {
        let found = if program.contains('/') {
            Some(PathBuf::from(program)).filter(|path| path.is_file())
        } else {
            std::env::var_os("PATH").and_then(|path| {
                std::env::split_paths(&path)
                    .map(|dir| dir.join(program))
                    .find(|candidate| candidate.is_file())
            })
        };
        found.ok_or_else(|| Missing {
            what: format!("`{program}` on PATH"),
            how: how.to_owned(),
        })
    }

    /// The non-empty value of the environment variable `name`; otherwise what is missing.
    ///
    /// # Errors
    /// When `name` is unset or empty.
    pub fn var(name: &str, how: &str) -> Result<String, Missing> {
        std::env::var(name)
            .ok()
            .filter(|value| !value.is_empty())
            .ok_or_else(|| Missing {
                what: format!("the environment variable {name}"),
                how: how.to_owned(),
            })
    }
}

/// The value of something a test cannot do without; fails the test when it is missing.
///
/// # Panics
/// When `found` is an error: the message names what is missing and how to install it.
pub fn need<T>(found: Result<T, Missing>) -> T {
    found.unwrap_or_else(|missing| {
        let ci = if in_ci() {
            " (CI=true: nothing may skip)"
        } else {
            ""
        };
        panic!("this test needs {missing}{ci}")
    })
}

/// The value of something one part of a test needs: under CI a missing one fails the test;
/// elsewhere it prints `SKIPPED: …` to stderr and gives `None`, and the caller leaves that part
/// out.
///
/// # Panics
/// Under CI, when `found` is an error.
pub fn optional<T>(part: &str, found: Result<T, Missing>) -> Option<T> {
    optional_in(in_ci(), part, found)
}

fn optional_in<T>(ci: bool, part: &str, found: Result<T, Missing>) -> Option<T> {
    match found {
        Ok(value) => Some(value),
        Err(missing) if ci => {
            panic!("{part} needs {missing} (CI=true: nothing may skip)")
        }
        Err(missing) => {
            eprintln!("SKIPPED: {part}: {missing}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tool_on_path_is_found_and_a_missing_one_is_named() {
        assert!(Missing::tool("sh", "any POSIX system").is_ok());
        let missing = Missing::tool("confq-no-such-tool", "apt-get install nothing").unwrap_err();
        assert_eq!(
            missing.to_string(),
            "`confq-no-such-tool` on PATH (to provide it: apt-get install nothing)"
        );
    }

    #[test]
    #[should_panic(
        expected = "this test needs `confq-no-such-tool` on PATH (to provide it: see docs)"
    )]
    fn need_fails_the_test_when_the_tool_is_missing() {
        need(Missing::tool("confq-no-such-tool", "see docs"));
    }

    #[test]
    fn an_unset_variable_is_missing() {
        let missing = Missing::var("CONFQ_TESTENV_SURELY_UNSET", "set it").unwrap_err();
        assert_eq!(
            missing.what,
            "the environment variable CONFQ_TESTENV_SURELY_UNSET"
        );
    }

    #[test]
    fn outside_ci_an_optional_part_is_left_out() {
        let found = Missing::tool("confq-no-such-tool", "see docs");
        assert_eq!(optional_in(false, "the zip case", found), None);
    }

    #[test]
    #[should_panic(
        expected = "the zip case needs `confq-no-such-tool` on PATH (to provide it: \
                               see docs) (CI=true: nothing may skip)"
    )]
    fn under_ci_a_missing_optional_part_fails_the_test() {
        optional_in(
            true,
            "the zip case",
            Missing::tool("confq-no-such-tool", "see docs"),
        );
    }
}
