//! `magikrun-youki-monitor`: one per container, like conmon or a containerd shim.
//!
//! Node.js spawns it (detached, in its own session) with one argument, the JSON `MonitorConfig`, and
//! a pipe on fd 3. It reserves the container's state directory, mounts the rootfs mounts, creates the
//! container through libcontainer (which clones — safe here, this process has one thread), reports
//! `{"ok":true,"pid":N}` (or `{"ok":false,"code":…,"message":…}`, the code one of core's `ErrorCode`
//! values) on fd 3, then stays the init's parent (child subreaper) until it exits, writes the exit
//! record, reaps, and exits. The state directory layout and records are `magikrun-youki-shared`'s,
//! which the addon reads. The contract is written down in `docs/monitor-contract.md`.

mod bundle;
mod cgroup;
mod create;
mod reap;
mod report;
mod stdio;

use magikrun_native_error::{NativeError, Code};
use magikrun_youki_shared::records::MonitorConfig;

fn main() {
    std::process::exit(run());
}

/// Run the monitor; the process exit code.
fn run() -> i32 {
    let mut report = report::Report::open();
    let config: MonitorConfig = match std::env::args().nth(1).map(|a| serde_json::from_str(&a)) {
        Some(Ok(c)) => c,
        Some(Err(e)) => {
            report.failed(&NativeError::new(Code::InvalidArgument, format!("the monitor's configuration is not valid JSON: {e}")));
            return 2;
        }
        None => {
            report.failed(&NativeError::new(Code::InvalidArgument, "usage: magikrun-youki-monitor CONFIG_JSON (it is started by @magikrun/runtime-youki)"));
            return 2;
        }
    };
    // Report the init's pid to Node.js; a creator that is gone never learns of the container, so
    // create undoes it (nothing may be left that nobody knows of).
    match create::create(&config, |pid| report.created(pid)) {
        Ok(created) => {
            drop(report);
            reap::watch(&created);
            0
        }
        Err(e) => {
            report.failed(&e);
            1
        }
    }
}
