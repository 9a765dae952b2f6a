//! The monitor process (see `bin/monitor.rs`).

mod bundle;
mod cgroup;
mod create;
mod reap;
mod report;
mod stdio;

use crate::shared::error::{BindingError, Code};
use crate::shared::records::MonitorConfig;

/// Run the monitor; the process exit code.
pub fn main() -> i32 {
    let mut report = report::Report::open();
    let config: MonitorConfig = match std::env::args().nth(1).map(|a| serde_json::from_str(&a)) {
        Some(Ok(c)) => c,
        Some(Err(e)) => {
            report.failed(&BindingError::new(Code::InvalidArgument, format!("the monitor's configuration is not valid JSON: {e}")));
            return 2;
        }
        None => {
            report.failed(&BindingError::new(Code::InvalidArgument, "usage: magikrun-youki-monitor CONFIG_JSON (it is started by @magikrun/runtime-youki)"));
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
