//! The name of something tasks depend on: `database`, `storage`, or a custom task's own.

use std::fmt;

/// A dependency a task declares; one breaker per dependency in every worker.
///
/// # Examples
/// ```
/// use worker::breaker::Dependency;
///
/// const CATALOGUE: Dependency = Dependency::new("catalogue");
/// assert_eq!(Dependency::DATABASE.as_str(), "database");
/// assert_eq!(CATALOGUE.to_string(), "catalogue");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dependency(&'static str);

impl Dependency {
    /// The run store (PostgreSQL or SQLite).
    pub const DATABASE: Self = Self("database");
    /// The object storage holding uploaded archives.
    pub const STORAGE: Self = Self("storage");

    /// A dependency named `name` (a short lowercase word: it is a metrics label).
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    /// Its name.
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}
