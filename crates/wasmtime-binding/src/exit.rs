//! How a run ended, as the TypeScript layer's `ExitStatus` (see core `runtime/types.ts`).

use crate::limits::Limiter;
use wasmtime::component::ResourceTableError;
use wasmtime::Trap;
use wasmtime_wasi::I32Exit;

/// Exit code for traps and fuel exhaustion: 128 + SIGABRT, as the wasmtime CLI.
pub const CODE_TRAP: i64 = 134;
/// Exit code for `oom`: 128 + SIGKILL, as a container killed by the OOM killer.
pub const CODE_OOM: i64 = 137;
/// Exit code for `timed-out`, as coreutils `timeout`.
pub const CODE_TIMEOUT: i64 = 124;

/// Internal: the exit status of a run. `reason` is one of core's `ExitReason` values.
#[napi(object)]
#[derive(Clone, Debug)]
pub struct BindingExitStatus {
    pub reason: String,
    pub code: i64,
    pub signal: Option<String>,
    pub message: Option<String>,
}

impl BindingExitStatus {
    pub fn new(reason: &str, code: i64, message: Option<String>) -> Self {
        Self { reason: reason.to_string(), code, signal: None, message }
    }
}

/// Classify the result of instantiating and running `_start`. Never reports code 0 unless the
/// module returned from `_start` or called `proc_exit(0)`.
pub fn classify(result: wasmtime::Result<()>, limiter: &Limiter, fuel_limit: Option<u64>, open_files: Option<usize>) -> BindingExitStatus {
    let e = match result {
        Ok(()) => return BindingExitStatus::new("exited", 0, None),
        Err(e) => e,
    };
    if let Some(exit) = e.downcast_ref::<I32Exit>() {
        // Exactly as the module passed it to proc_exit (see `proc_exit.rs`), as node:wasi does.
        return BindingExitStatus::new("exited", i64::from(exit.0), None);
    }
    let trap = e.downcast_ref::<Trap>().copied();
    if trap == Some(Trap::OutOfFuel) {
        let msg = match fuel_limit {
            Some(f) => format!("the module used all of its fuel ({f} units)"),
            None => "the module used all of its fuel".to_string(),
        };
        return BindingExitStatus::new("fuel-exhausted", CODE_TRAP, Some(msg));
    }
    let table_full = e.chain().any(|c| matches!(c.downcast_ref::<ResourceTableError>(), Some(ResourceTableError::Full)));
    if table_full {
        let msg = match open_files {
            Some(n) => format!("the module holds more than openFiles = {n} WASI handles (open files, directories, streams) at once; raise openFiles or close what it does not need"),
            None => "the module holds more WASI handles than allowed".to_string(),
        };
        return BindingExitStatus::new("trapped", CODE_TRAP, Some(msg));
    }
    let what = describe(&e, trap);
    if let Some(refusal) = limiter.refusal() {
        return BindingExitStatus::new("oom", CODE_OOM, Some(format!("{refusal}; then: {what}")));
    }
    BindingExitStatus::new("trapped", CODE_TRAP, Some(what))
}

fn describe(e: &wasmtime::Error, trap: Option<Trap>) -> String {
    match trap {
        Some(t) => t.to_string(), // "wasm trap: …" already
        None => {
            let top = e.to_string();
            let root = e.root_cause().to_string();
            if root == top { top } else { format!("{top}: {root}") }
        }
    }
}
