//! One container: its prepared store (until started), kill and exit channels, and pipe ends.

use crate::error::{fail, BResult, Code};
use crate::exit::BindingExitStatus;
use crate::limits::Limiter;
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::DuplexStream;
use tokio::sync::watch;
use wasmtime::{InstancePre, Store};
use wasmtime_wasi::p1::WasiP1Ctx;

/// The data of a container's store.
pub struct HostState {
    pub wasi: WasiP1Ctx,
    pub limiter: Limiter,
}

/// A compiled, linked module and its store, ready for `_start`.
pub struct Prepared {
    pub store: Store<HostState>,
    pub pre: InstancePre<HostState>,
    pub fuel_limit: Option<u64>,
    pub wall_clock: Option<Duration>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
    Created,
    Running,
    Exited,
}

pub struct Container {
    pub phase: Mutex<Phase>,
    pub prepared: Mutex<Option<Prepared>>,
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
            phase: Mutex::new(Phase::Created),
            prepared: Mutex::new(Some(prepared)),
            term_tx: watch::channel(None).0,
            exit_tx: watch::channel(None).0,
            stdin: tokio::sync::Mutex::new(stdin),
        }
    }

    /// Take the prepared store for `start`; fails unless the container is created.
    pub fn take_for_start(&self) -> BResult<Prepared> {
        let mut phase = self.phase.lock().unwrap();
        if *phase != Phase::Created {
            return fail(Code::InvalidState, format!("the container is {phase:?}, not created"));
        }
        let prepared = self.prepared.lock().unwrap().take();
        match prepared {
            Some(p) => {
                *phase = Phase::Running;
                Ok(p)
            }
            None => fail(Code::Internal, "the container has no prepared store"),
        }
    }

    /// Record the exit status (once) and free the store if it was never started.
    pub fn finish(&self, status: BindingExitStatus) {
        *self.phase.lock().unwrap() = Phase::Exited;
        drop(self.prepared.lock().unwrap().take());
        self.exit_tx.send_if_modified(|slot| {
            if slot.is_none() {
                *slot = Some(status);
                true
            } else {
                false
            }
        });
    }

    /// End the container with `status`: a running one through its termination channel, a created
    /// one at once. A container that has exited already is left as it is.
    pub fn terminate(&self, status: BindingExitStatus) {
        let phase = *self.phase.lock().unwrap();
        match phase {
            Phase::Created => self.finish(status),
            Phase::Running => {
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
