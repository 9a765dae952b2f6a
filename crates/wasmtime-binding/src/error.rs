//! Errors that cross into JavaScript as data: a stable code plus a message.
//!
//! napi-rs async functions reject with its own `Status`, so the code travels in the message as
//! `[CODE] message`; the TypeScript layer (`binding/errors.ts`) parses it and maps it onto
//! `@magikrun/core`'s `ErrorCode`.

use std::fmt;

/// The binding's error codes: a subset of core's `ErrorCode`, spelled identically.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    NotFound,
    InvalidArgument,
    InvalidState,
    Unsupported,
    DigestMismatch,
    LimitExceeded,
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::NotFound => "NOT_FOUND",
            Code::InvalidArgument => "INVALID_ARGUMENT",
            Code::InvalidState => "INVALID_STATE",
            Code::Unsupported => "UNSUPPORTED",
            Code::DigestMismatch => "DIGEST_MISMATCH",
            Code::LimitExceeded => "LIMIT_EXCEEDED",
            Code::Internal => "INTERNAL",
        }
    }
}

/// One failure of a binding call.
#[derive(Debug)]
pub struct BindingError {
    pub code: Code,
    pub message: String,
}

impl BindingError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

impl fmt::Display for BindingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code.as_str(), self.message)
    }
}

impl From<BindingError> for napi::Error {
    fn from(e: BindingError) -> Self {
        napi::Error::new(napi::Status::GenericFailure, e.to_string())
    }
}

pub type BResult<T> = Result<T, BindingError>;

/// Shorthand: `fail(Code::NotFound, "…")`.
pub fn fail<T>(code: Code, message: impl Into<String>) -> BResult<T> {
    Err(BindingError::new(code, message))
}
