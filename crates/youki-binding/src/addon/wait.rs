//! `wait`: resolves from the exit record. Blocks nowhere: the monitor's pidfd is registered with
//! tokio's reactor and becomes readable when the monitor exits (right after it wrote the record).
//! Cancellable (the TypeScript layer wires an AbortSignal to `cancel`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::Notify;

use super::inspect::inspect;
use magikrun_native_error::{NResult, NativeError, Code};
use magikrun_youki_shared::proc;
use magikrun_youki_shared::records::ExitRecord;

/// A cancellation flag plus a wake-up.
#[derive(Default)]
pub struct Cancel {
    flag: AtomicBool,
    notify: Notify,
}

impl Cancel {
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
        self.notify.notify_one();
    }

    fn cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

fn aborted(id: &str) -> NativeError {
    NativeError::new(Code::Aborted, format!("waiting for container {id:?} was aborted (the container keeps running)"))
}

/// Wait for container `id`'s exit record.
pub async fn wait(root: PathBuf, id: String, cancel: Arc<Cancel>) -> NResult<ExitRecord> {
    loop {
        if cancel.cancelled() {
            return Err(aborted(&id));
        }
        let ins = inspect(&root, &id)?;
        if let Some(exit) = ins.exit {
            return Ok(exit);
        }
        // Normally the monitor; an init whose monitor died is waited for directly.
        let target = if ins.monitor_alive {
            Some(ins.monitor.monitor())
        } else if ins.init_alive {
            ins.init_process()
        } else {
            None
        };
        let Some(target) = target else {
            return Err(NativeError::new(
                Code::Internal,
                format!("the monitor of container {id:?} (pid {}) ended without recording its exit status; delete the container", ins.monitor.monitor_pid),
            ));
        };
        let Some(fd) = proc::open_checked(target) else { continue };
        // SAFETY: the OwnedFd moves into the AsyncFd, which alone owns and closes it.
        let afd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }
            .map_err(|e| NativeError::io("register a pidfd", &e.into_parts().1))?;
        tokio::select! {
            r = afd.readable() => { drop(r.map_err(|e| NativeError::io("poll a pidfd", &e))?); }
            _ = cancel.notify.notified() => return Err(aborted(&id)),
        }
    }
}
