//! Private napi-rs binding behind `@magikrun/runtime-wasmtime`: WASI preview 1 command modules on
//! wasmtime 48 with an async store (so that kill cancels host calls), fuel, memory limits, bounded
//! stdio pipes and a verified compiled-module cache. Everything exported here is internal
//! (`Binding*`); the TypeScript class `WasmtimeRuntime` is the public API.

#[macro_use]
extern crate napi_derive;

mod cache;
mod container;
mod engine;
mod exit;
mod interrupt;
mod limits;
mod module_check;
mod options;
mod proc_exit;
mod run;
mod stdio;

pub use engine::BindingEngine;
pub use exit::BindingExitStatus;
pub use options::*;
