//! `magikrun-youki-monitor`: one per container, like conmon or a containerd shim.
//!
//! Node.js spawns it (detached, in its own session) with one argument, the JSON `MonitorConfig`, and
//! a pipe on fd 3. It reserves the container's state directory, mounts the rootfs mounts, creates the
//! container through libcontainer (which clones — safe here, this process has one thread), reports
//! `{"ok":true,"pid":N}` (or `{"ok":false,"code":…,"message":…}`) on fd 3, then stays the init's
//! parent (child subreaper) until it exits, writes the exit record, reaps, and exits.

#[path = "../shared/mod.rs"]
#[allow(dead_code)]
mod shared;

#[path = "../monitor/mod.rs"]
mod monitor;

fn main() {
    std::process::exit(monitor::main());
}
