//! After "created": stay the init's parent until it exits, write the exit record, only then reap it
//! (so its pid cannot be reused while no exit record exists). Without its own pid namespace the
//! init's death does not end the container's other processes: they are killed through the cgroup
//! (as containerd's shim does for such containers, and runc at delete). Then reap every orphan and
//! return.

use std::mem::MaybeUninit;

use crate::cgroup;
use crate::create::Created;
use magikrun_youki_shared::fsutil::{exists, write_json_atomic};
use magikrun_youki_shared::layout::{EXIT_FILE, KILLED_FILE};
use magikrun_youki_shared::proc;
use magikrun_youki_shared::records::{now_ms, ExitReason, ExitRecord};

/// How a child ended: `CLD_EXITED` with a code, or killed by a signal.
enum Ended {
    Exited(i32),
    Signaled(i32),
    /// We could not learn it (the init was not our child).
    Unknown(String),
}

/// Block until some child has exited, without reaping it: its pid and how it ended.
fn next_exited() -> std::io::Result<(i32, Ended)> {
    loop {
        let mut info = MaybeUninit::<libc::siginfo_t>::zeroed();
        // SAFETY: waitid fills `info`; P_ALL with id 0 waits for any child.
        let rc = unsafe { libc::waitid(libc::P_ALL, 0, info.as_mut_ptr(), libc::WEXITED | libc::WNOWAIT) };
        if rc < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(e);
        }
        // SAFETY: waitid succeeded, so `info` is initialised.
        let info = unsafe { info.assume_init() };
        // SAFETY: for SIGCHLD-type siginfo these union fields are the ones set.
        let (pid, status) = unsafe { (info.si_pid(), info.si_status()) };
        let ended = if info.si_code == libc::CLD_EXITED { Ended::Exited(status) } else { Ended::Signaled(status) };
        return Ok((pid, ended));
    }
}

fn reap(pid: i32) {
    // SAFETY: waitpid of our own child.
    unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
}

/// How long the monitor waits for the container's other processes to exit and come to it.
const REAP_OTHERS_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// Reap every other child (orphans of the container come to us, the subreaper) until none is left,
/// or, should some process have escaped the kill, until `REAP_OTHERS_FOR` has passed.
fn reap_others() {
    let deadline = std::time::Instant::now() + REAP_OTHERS_FOR;
    loop {
        // SAFETY: as above, non-blocking.
        let rc = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
        if rc > 0 {
            continue;
        }
        if rc < 0 || std::time::Instant::now() >= deadline {
            break; // ECHILD: nothing left
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// SIGKILL every process left in the container's cgroups (libcontainer freezes, signals, thaws).
fn kill_remaining(created: &Created) {
    if let Ok(mut c) = libcontainer::container::Container::load(created.paths.libcontainer_dir()) {
        if let Ok(sig) = libcontainer::signal::Signal::try_from(libc::SIGKILL) {
            let _ = c.kill(sig, true);
        }
    }
}

/// The init was not our child (it was not reparented to us): wait through a pidfd; the status is lost.
fn wait_foreign(init_pid: i32, start_time: u64, why: std::io::Error) -> Ended {
    let id = proc::ProcessId { pid: init_pid, start_time };
    if let Some(fd) = proc::open_checked(id) {
        while !proc::poll_exit(&fd, -1) {}
    }
    Ended::Unknown(format!("the monitor could not wait for the init (pid {init_pid}) as its parent ({why}); its exit status is unknown"))
}

fn record(created: &Created, ended: Ended) -> ExitRecord {
    let oom_kills = created.init.oom_events_file.as_deref().map(cgroup::oom_kills).unwrap_or(0);
    let killed = exists(&created.paths.file(KILLED_FILE));
    let (code, signal, reason, message) = match ended {
        Ended::Exited(code) => (code, None, ExitReason::Exited, None),
        Ended::Signaled(sig) => {
            let reason = if sig == libc::SIGKILL && killed {
                ExitReason::Killed
            } else if sig == libc::SIGKILL && oom_kills > 0 {
                ExitReason::Oom
            } else {
                ExitReason::Signaled
            };
            let message = (reason == ExitReason::Oom).then(|| format!("the memory cgroup's OOM killer ended the container ({oom_kills} OOM kill(s) counted)"));
            (128 + sig, Some(sig), reason, message)
        }
        Ended::Unknown(why) => (255, None, ExitReason::Exited, Some(why)),
    };
    ExitRecord { code, signal, reason, message, oom_kills, exited_at_ms: now_ms() }
}

/// Watch the init until it exits; returns once the exit record is written and everything is reaped.
pub fn watch(created: &Created) {
    let init = created.init.pid;
    let ended = loop {
        match next_exited() {
            Ok((pid, ended)) if pid == init => break ended,
            Ok((pid, _)) => reap(pid),
            Err(e) => break wait_foreign(init, created.init.start_time, e),
        }
    };
    let rec = record(created, ended);
    // If the record cannot be written there is nobody to tell; the state then reads "stopped"
    // with an unknown status. Reap regardless so that no zombie stays behind.
    let _ = write_json_atomic(&created.paths.file(EXIT_FILE), &rec);
    // The init is still unreaped (a zombie), so libcontainer sees the container stopped and kills
    // what is left in its cgroups; no pid it signals can have been reused.
    if !created.init_owns_pid_ns {
        kill_remaining(created);
    }
    reap(init);
    reap_others();
}
