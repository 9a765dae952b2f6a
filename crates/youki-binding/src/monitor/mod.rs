//! The monitor process (see `bin/monitor.rs`).

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
    match create::create(&config) {
        Ok(created) => {
            report.created(created.init.pid);
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
