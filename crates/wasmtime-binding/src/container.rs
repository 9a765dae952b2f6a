//! One container: its prepared store (until started), kill and exit channels, and pipe ends.

use magikrun_native_error::{fail, NResult, Code};
use crate::exit::BindingExitStatus;
use crate::interrupt::{InterruptFlag, InterruptState};
use crate::limits::Limiter;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::DuplexStream;
use tokio::sync::watch;
use wasmtime::{InstancePre, Store};
use wasmtime_wasi::p1::WasiP1Ctx;

/// The data of a container's store.
pub struct HostState {
    pub wasi: WasiP1Ctx,
    pub limiter: Limiter,
    /// Counts this store among the engine's live stores until the store is dropped.
    pub _live: LiveStore,
    /// Kill and deadline, checked at every host call boundary (see `interrupt.rs`).
    pub interrupt: InterruptState,
}

/// A count of live stores, for `BindingEngine.stats` (proof that delete frees everything).
pub struct LiveStore(Arc<AtomicU32>);

impl LiveStore {
    pub fn new(count: &Arc<AtomicU32>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count.clone())
    }
}

impl Drop for LiveStore {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A compiled, linked module and its store, ready for `_start`.
pub struct Prepared {
    pub store: Store<HostState>,
    /// The store's interrupt flag, raised by `terminate`.
    pub flag: InterruptFlag,
    pub pre: InstancePre<HostState>,
    pub fuel_limit: Option<u64>,
    pub wall_clock: Option<Duration>,
}

/// Where a container is in its life. One lock guards it, so that start, kill and the end of a run
/// never interleave: a kill either finds the prepared store (and frees it) or a running module (and
/// cancels it), never a store in between.
pub enum Phase {
    Created(Prepared),
    Running,
    Exited,
}

impl Phase {
    fn name(&self) -> &'static str {
        match self {
            Phase::Created(_) => "created",
            Phase::Running => "running",
            Phase::Exited => "exited",
        }
    }
}

pub struct Container {
    pub phase: Mutex<Phase>,
    /// Raised with a termination request, so that the store's call hook ends the module at its next
    /// host call boundary.
    flag: InterruptFlag,
    /// A termination request: the exit status to report when the run is cut short.
    pub term_tx: watch::Sender<Option<BindingExitStatus>>,
    pub exit_tx: watch::Sender<Option<BindingExitStatus>>,
    pub stdin: tokio::sync::Mutex<Option<DuplexStream>>,
}

impl Container {
    /// `stdin` is the host end of the stdin pipe, if any. (Output pipes are kept by the engine: they
    /// outlive the container until their last bytes are read.)
    pub fn new(prepared: Prepared, stdin: Option<DuplexStream>) -> Self {
        Self {
            flag: prepared.flag.clone(),
            phase: Mutex::new(Phase::Created(prepared)),
            term_tx: watch::channel(None).0,
            exit_tx: watch::channel(None).0,
            stdin: tokio::sync::Mutex::new(stdin),
        }
    }

    /// Take the prepared store for `start`; fails unless the container is created.
    pub fn take_for_start(&self) -> NResult<Prepared> {
        let mut phase = self.phase.lock().unwrap();
        match std::mem::replace(&mut *phase, Phase::Running) {
            Phase::Created(p) => Ok(p),
            other => {
                let name = other.name();
                *phase = other;
                fail(Code::InvalidState, format!("the container is {name}, not created"))
            }
        }
    }

    /// The run has ended (its store already dropped): record the exit status.
    pub fn finish(&self, status: BindingExitStatus) {
        *self.phase.lock().unwrap() = Phase::Exited;
        self.publish(status);
    }

    /// Publish the exit status (only the first one counts).
    fn publish(&self, status: BindingExitStatus) {
        self.exit_tx.send_if_modified(|slot| {
            if slot.is_none() {
                *slot = Some(status);
                true
            } else {
                false
            }
        });
    }

    /// End the container with `status`: a created one at once (its store is freed), a running one
    /// through its termination channel (the run cancels the module and reports `status`). A container
    /// that has exited already is left as it is.
    pub fn terminate(&self, status: BindingExitStatus) {
        let mut phase = self.phase.lock().unwrap();
        match &*phase {
            Phase::Created(_) => {
                let prepared = std::mem::replace(&mut *phase, Phase::Exited);
                drop(phase);
                drop(prepared);
                self.publish(status);
            }
            Phase::Running => {
                self.flag.raise();
                self.term_tx.send_if_modified(|slot| {
                    if slot.is_none() {
                        *slot = Some(status);
                        true
                    } else {
                        false
                    }
                });
            }
            Phase::Exited => {}
        }
    }
}
