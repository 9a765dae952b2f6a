//! Private napi-rs binding behind `@magikrun/runtime-youki`: the in-process half of YoukiRuntime.
//! Containers are created by the `magikrun-youki-monitor` executable (`crates/youki-monitor`, shipped
//! beside the `.node` file): Node.js never forks. Everything exported here is internal (`Binding*`);
//! the TypeScript class `YoukiRuntime` is the public API.

#[macro_use]
extern crate napi_derive;

mod addon;
mod binding;

pub use binding::*;
