//! Errors that cross into JavaScript as data: a stable code plus a message.
//!
//! The code travels in the message as `[CODE] message` (napi-rs rejects with its own status); the
//! TypeScript layer (`binding/errors.ts`) maps it onto `@magikrun/core`'s `ErrorCode`. The monitor
//! reports the same code and message over its report pipe.

use std::fmt;

/// The binding's error codes: a subset of core's `ErrorCode`, spelled identically.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    NotFound,
    AlreadyExists,
    InvalidArgument,
    InvalidState,
    Unavailable,
    Timeout,
    Aborted,
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::NotFound => "NOT_FOUND",
            Code::AlreadyExists => "ALREADY_EXISTS",
            Code::InvalidArgument => "INVALID_ARGUMENT",
            Code::InvalidState => "INVALID_STATE",
            Code::Unavailable => "UNAVAILABLE",
            Code::Timeout => "TIMEOUT",
            Code::Aborted => "ABORTED",
            Code::Internal => "INTERNAL",
        }
    }
}

/// One failure.
#[derive(Debug)]
pub struct BindingError {
    pub code: Code,
    pub message: String,
}

impl BindingError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// An I/O failure on `what` (a path or an operation): `NOT_FOUND` for ENOENT, else `INTERNAL`.
    pub fn io(what: impl fmt::Display, e: &std::io::Error) -> Self {
        let code = if e.kind() == std::io::ErrorKind::NotFound { Code::NotFound } else { Code::Internal };
        Self::new(code, format!("{what}: {e}"))
    }
}

impl fmt::Display for BindingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for BindingError {}

pub type BResult<T> = Result<T, BindingError>;

/// Shorthand: `fail(Code::NotFound, "…")`.
pub fn fail<T>(code: Code, message: impl Into<String>) -> BResult<T> {
    Err(BindingError::new(code, message))
}

/// An error and its `source()` chain in one line: libcontainer's own messages are terse
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
