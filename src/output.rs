//! Standard output for commands: a reader that closed the pipe (`confq dead list | head`) ends
//! the command quietly with exit 0, as Unix tools do, instead of a panic.

use std::fmt::Arguments;
use std::io::{ErrorKind, Write};

/// Writes one line to stdout; exits 0 at once when the reader has gone away.
pub(crate) fn line(text: Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = writeln!(stdout, "{text}").and_then(|()| stdout.flush())
        && error.kind() == ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// `println!` for commands, through [`line`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))
    };
}

pub(crate) use out;
