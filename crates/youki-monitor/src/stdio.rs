//! The container's stdio: the monitor opens each target and installs it as its own fd 0/1/2 just
//! before libcontainer creates the container (whose init inherits them), then drops its copies.

use std::fs::OpenOptions;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use magikrun_native_error::{NResult, NativeError, Code};
use magikrun_youki_shared::records::StdioTarget;

/// The three descriptors to install as 0, 1, 2.
pub struct Stdio {
    fds: [OwnedFd; 3],
}

fn dup_high(fd: i32) -> NResult<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC on a descriptor number; fails with EBADF if it is not open.
    let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    if new < 0 {
        let e = std::io::Error::last_os_error();
        return Err(NativeError::new(Code::Internal, format!("the monitor's fd {fd} (inherited stdio) is not usable: {e}")));
    }
    // SAFETY: a new descriptor nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

fn open_null(write: bool) -> NResult<OwnedFd> {
    let f = OpenOptions::new().read(!write).write(write).custom_flags(libc::O_CLOEXEC).open("/dev/null").map_err(|e| NativeError::io("open /dev/null", &e))?;
    Ok(f.into())
}

fn open_target(target: &StdioTarget, fd: i32, log_path: &Path) -> NResult<OwnedFd> {
    let write = fd != 0;
    match target {
        StdioTarget::Inherit => dup_high(fd),
        StdioTarget::Null => open_null(write),
        StdioTarget::File { path, append } => {
            if !Path::new(path).is_absolute() {
                return Err(NativeError::new(Code::InvalidArgument, format!("stdio file {path:?} must be an absolute path")));
            }
            let mut o = OpenOptions::new();
            if write {
                o.write(true).create(true).mode(0o644);
                if *append {
                    o.append(true);
                } else {
                    o.truncate(true);
                }
            } else {
                o.read(true);
            }
            let f = o.custom_flags(libc::O_CLOEXEC).open(path).map_err(|e| NativeError::io(format!("open the stdio file {path}"), &e))?;
            Ok(f.into())
        }
        StdioTarget::Log => {
            if !write {
                return Err(NativeError::new(Code::InvalidArgument, "stdin cannot come from a log file"));
            }
            let f = OpenOptions::new()
                .create_new(true)
                .append(true)
                .mode(0o640)
                .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
                .open(log_path)
                .map_err(|e| NativeError::io(format!("create the log file {}", log_path.display()), &e))?;
            Ok(f.into())
        }
    }
}

impl Stdio {
    /// Open the targets. Log files are created as `dir/stdout.log` and `dir/stderr.log`.
    pub fn open(targets: [&StdioTarget; 3], dir: &Path, logs: [&str; 2]) -> NResult<Self> {
        let stdin = open_target(targets[0], 0, dir)?;
        let stdout = open_target(targets[1], 1, &dir.join(logs[0]))?;
        let stderr = open_target(targets[2], 2, &dir.join(logs[1]))?;
        Ok(Self { fds: [stdin, stdout, stderr] })
    }

    /// Make them this process's fd 0, 1 and 2 (inherited by the container's init).
    pub fn install(&self) -> NResult<()> {
        for (i, fd) in self.fds.iter().enumerate() {
            // SAFETY: dup2 onto 0..2; the source stays owned by `self`.
            if unsafe { libc::dup2(fd.as_raw_fd(), i as i32) } < 0 {
                let e = std::io::Error::last_os_error();
                return Err(NativeError::new(Code::Internal, format!("install stdio fd {i}: {e}")));
            }
        }
        Ok(())
    }
}

/// Point fd 0, 1 and 2 at /dev/null, so that the monitor holds no end of the container's pipes:
/// Node.js's streams end when the container's processes have closed theirs.
pub fn release() {
    if let Ok(null) = OpenOptions::new().read(true).write(true).open("/dev/null") {
        for i in 0..3 {
            // SAFETY: dup2 onto 0..2 from a valid descriptor.
            unsafe { libc::dup2(null.as_raw_fd(), i) };
        }
    }
}
