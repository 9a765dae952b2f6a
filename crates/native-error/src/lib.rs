//! The one error type of magikrun's native crates, and how it crosses into JavaScript.
//!
//! A failure is a [`Code`] — spelled exactly as one of `@magikrun/core`'s `ErrorCode` values — plus a
//! message. It crosses as data, never as text to parse:
//!
//! - into JavaScript (feature `napi`): a JavaScript `Error` whose `code` property is the code and whose
//!   `message` is the message, both for synchronous calls ([`js::sync`]) and for promises
//!   ([`js::settle`]); `@magikrun/core/native`'s `fromNativeError` reads `code`;
//! - from the youki monitor executable: the `code` and `message` fields of its JSON report line.
//!
//! There is deliberately no `From<NativeError> for napi::Error`: napi's own errors carry napi's status
//! (`GenericFailure`, …) as their code, and a conversion would lose ours.

use std::fmt;

#[cfg(feature = "napi")]
pub mod js;

/// The codes a native crate reports: a subset of `@magikrun/core`'s `ErrorCode`, spelled identically
/// (a test in `@magikrun/core` checks every spelling against `ErrorCode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    NotFound,
    AlreadyExists,
    InvalidArgument,
    InvalidState,
    Unsupported,
    Unavailable,
    DigestMismatch,
    LimitExceeded,
    Timeout,
    Aborted,
    Internal,
}

impl Code {
    /// Every code, for tests that compare the spellings with core's.
    pub const ALL: [Code; 11] = [
        Code::NotFound,
        Code::AlreadyExists,
        Code::InvalidArgument,
        Code::InvalidState,
        Code::Unsupported,
        Code::Unavailable,
        Code::DigestMismatch,
        Code::LimitExceeded,
        Code::Timeout,
        Code::Aborted,
        Code::Internal,
    ];

    /// The code as core's `ErrorCode` spells it (`"NOT_FOUND"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Code::NotFound => "NOT_FOUND",
            Code::AlreadyExists => "ALREADY_EXISTS",
            Code::InvalidArgument => "INVALID_ARGUMENT",
            Code::InvalidState => "INVALID_STATE",
            Code::Unsupported => "UNSUPPORTED",
            Code::Unavailable => "UNAVAILABLE",
            Code::DigestMismatch => "DIGEST_MISMATCH",
            Code::LimitExceeded => "LIMIT_EXCEEDED",
            Code::Timeout => "TIMEOUT",
            Code::Aborted => "ABORTED",
            Code::Internal => "INTERNAL",
        }
    }
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// One failure: a code and a message a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeError {
    pub code: Code,
    pub message: String,
}

impl NativeError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// An I/O failure on `what` (a path or an operation): `NOT_FOUND` for ENOENT, else `INTERNAL`.
    pub fn io(what: impl fmt::Display, e: &std::io::Error) -> Self {
        let code = if e.kind() == std::io::ErrorKind::NotFound { Code::NotFound } else { Code::Internal };
        Self::new(code, format!("{what}: {e}"))
    }
}

/// `CODE: message`, for logs on the Rust side; JavaScript never parses it.
impl fmt::Display for NativeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for NativeError {}

pub type NResult<T> = Result<T, NativeError>;

/// Shorthand: `fail(Code::NotFound, "…")`.
pub fn fail<T>(code: Code, message: impl Into<String>) -> NResult<T> {
    Err(NativeError::new(code, message))
}

/// An error and its `source()` chain in one line: libraries' own messages are often terse
/// ("io error") and the cause is what a user can act on.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cur = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_maps_enoent_to_not_found_and_the_rest_to_internal() {
        let e = NativeError::io("/x", &std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!(e.code, Code::NotFound);
        assert!(e.message.starts_with("/x: "));
        let e = NativeError::io("/x", &std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert_eq!(e.code, Code::Internal);
    }

    #[test]
    fn spellings_are_distinct_upper_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(s.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_'), "{s}");
            assert!(seen.insert(s), "{s} twice");
        }
    }
}
