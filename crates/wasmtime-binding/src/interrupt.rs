//! Ending a module at the next host call boundary.
//!
//! Fuel makes a module yield to the scheduler every [`crate::run::YIELD_INTERVAL`] units, which is
//! where kill and the wall-clock limit are noticed while it computes. But a host call costs the module
//! little fuel however much work it does (`random_get` of 64 MiB, `fd_write` of 200 MiB to a discarded
//! stdout): a loop of such calls would yield only minutes apart. So every call into and return from
//! the host also checks — through the store's call hook — whether the container was told to end or
//! its wall-clock deadline has passed, and if so traps with [`Interrupted`].

use crate::container::HostState;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;
use wasmtime::{CallHook, Store, StoreContextMut};

/// Shared between a container (which sets it on kill) and its store (whose call hook reads it).
#[derive(Clone, Default)]
pub struct InterruptFlag(Arc<AtomicBool>);

impl InterruptFlag {
    pub fn raise(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn is_raised(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The trap a call hook raises; `run` turns it into the kill's or the deadline's exit status.
#[derive(Debug)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted by kill or by the wall-clock limit")
    }
}

impl std::error::Error for Interrupted {}

/// What the call hook checks: the flag, and the deadline once the run has started.
pub struct InterruptState {
    pub flag: InterruptFlag,
    pub deadline: Option<Instant>,
}

fn check(store: StoreContextMut<'_, HostState>, hook: CallHook) -> wasmtime::Result<()> {
    if !matches!(hook, CallHook::CallingHost | CallHook::ReturningFromHost) {
        return Ok(());
    }
    let i = &store.data().interrupt;
    if i.flag.is_raised() || i.deadline.is_some_and(|d| Instant::now() >= d) {
        return Err(Interrupted.into());
    }
    Ok(())
}

/// Install the check on `store`.
pub fn install(store: &mut Store<HostState>) {
    store.call_hook(check);
}
