//! How a [`NativeError`] crosses into JavaScript: an `Error` object whose `code` property is the
//! code (`"NOT_FOUND"`, …) and whose `message` is the message — the shape of Node.js's own system
//! errors. Built on the JavaScript thread (it needs the `Env`), then handed to napi as an error that
//! holds that object, which napi throws or rejects with as it is.

use std::future::Future;

use napi::bindgen_prelude::{JsError, PromiseRaw, ToNapiValue, Unknown};
use napi::Env;

use crate::{NResult, NativeError};

impl NativeError {
    /// The JavaScript `Error` for this failure, as a napi error to return from a `#[napi]` function.
    /// Call on the JavaScript thread only (where an `Env` is at hand).
    pub fn into_js(self, env: &Env) -> napi::Error {
        let NativeError { code, message } = self;
        // napi builds the object with `code` = the status's string: with `Code` as the status, ours.
        // SAFETY: `env` is the live environment of the calling (JavaScript) thread.
        let value = unsafe { JsError::from(napi::Error::new(code, message.clone())).into_value(env.raw()) };
        if value.is_null() {
            // The environment is shutting down and could build no object: nobody is left to read it.
            return napi::Error::new(napi::Status::GenericFailure, message);
        }
        // SAFETY: `value` was just created in `env`.
        let unknown = unsafe { Unknown::from_raw_unchecked(env.raw(), value) };
        napi::Error::from(unknown)
    }
}

/// The result of a synchronous `#[napi]` function: a failure becomes a thrown `Error` with `code`.
pub fn sync<T>(env: &Env, result: NResult<T>) -> napi::Result<T> {
    result.map_err(|e| e.into_js(env))
}

/// Run `fut` on napi's Tokio runtime and return its promise: it resolves with the value, or rejects
/// with an `Error` whose `code` is the failure's code. The rejection is built when the future has
/// finished, back on the JavaScript thread.
pub fn settle<'env, T, F>(env: &'env Env, fut: F) -> napi::Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = NResult<T>> + Send + 'static,
{
    env.spawn_future_with_callback(async move { Ok(fut.await) }, |env, result: NResult<T>| sync(env, result))
}
