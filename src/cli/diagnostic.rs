//! How an error is shown on a terminal: the library's error as a miette diagnostic, its help
//! text as miette's help. The library crates know nothing of miette.

use crate::Error;
use std::fmt;

/// An [`Error`] as miette shows it.
pub struct Shown(pub Error);

impl fmt::Debug for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Shown {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl miette::Diagnostic for Shown {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0
            .help_text()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
}
