//! `proc_exit` with every exit code.
//!
//! wasmtime-wasi's preview 1 `proc_exit` turns a status of 126 or more into a plain error (the wasmtime
//! CLI reserves those codes for its own use as a process), which would reach us as a trap. A module
//! that calls `exit(200)` chose to exit with 200, so this shadows the import with one that reports
//! every status exactly, as the i32 the module passed — what `node:wasi` reports too.

use crate::container::HostState;
use wasmtime::{Caller, Linker};
use wasmtime_wasi::I32Exit;

/// Replace `wasi_snapshot_preview1.proc_exit` in `linker` (which already holds WASI preview 1).
pub fn shadow(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    linker.func_wrap("wasi_snapshot_preview1", "proc_exit", |_caller: Caller<'_, HostState>, status: i32| -> wasmtime::Result<()> {
        Err(I32Exit(status).into())
    })?;
    linker.allow_shadowing(false);
    Ok(())
}
