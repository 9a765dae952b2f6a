//! Where a container's state lives.
//!
//! ```text
//! <root>/<id>/                        one directory per container, created atomically (renameat2
//!                                     RENAME_NOREPLACE of a fully written temporary directory)
//!   monitor.json                      what the monitor was asked to do, and its pid + start time
//!   init.json                         the container init's pid + start time, its memory cgroup
//!   exit.json                         the exit record (written before the init is reaped)
//!   killed                            marker: a SIGKILL was sent through the API (reason 'killed')
//!   stdout.log, stderr.log            output of a container created with 'log' stdio
//!   libcontainer/<id>/                libcontainer's container directory (state.json, notify.sock,
//!                                     youki_config.json): `youki --root <root>/<id>/libcontainer`
//! <root>/@creating-<pid>-<n>/         a reservation being written (never a valid container id)
//! <root>/@deleting-<pid>-<n>/         a deleted container's directory being removed
//! ```

use std::path::{Path, PathBuf};

use magikrun_native_error::{fail, NResult, Code};

pub const MONITOR_FILE: &str = "monitor.json";
pub const INIT_FILE: &str = "init.json";
pub const EXIT_FILE: &str = "exit.json";
pub const KILLED_FILE: &str = "killed";
pub const STDOUT_LOG: &str = "stdout.log";
pub const STDERR_LOG: &str = "stderr.log";
pub const LIBCONTAINER_DIR: &str = "libcontainer";
pub const CREATING_PREFIX: &str = "@creating-";
pub const DELETING_PREFIX: &str = "@deleting-";

/// Longest accepted id: the id names a directory, and a file name has at most 255 bytes (core's
/// `validateContainerId` allows 1024; longer ids than this are refused here, never truncated).
pub const MAX_ID_LENGTH: usize = 255;

/// Check an id as core's `validateContainerId` and libcontainer's `validate_id` do: letters, digits,
/// `_ + - .`, not `.` or `..`. Repeated here so that no path is ever built from an unchecked id.
pub fn validate_id(id: &str) -> NResult<()> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LENGTH
        && id != "."
        && id != ".."
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'-' | b'.'));
    if ok {
        Ok(())
    } else if id.len() > MAX_ID_LENGTH && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'-' | b'.')) {
        fail(Code::InvalidArgument, format!("container id of {} characters is too long: it names the state directory, so at most {MAX_ID_LENGTH}", id.len()))
    } else {
        fail(Code::InvalidArgument, format!("invalid container id {id:?}: use letters, digits, \"_\", \"+\", \"-\" or \".\", and not \".\" or \"..\""))
    }
}

/// The paths of one container.
#[derive(Clone, Debug)]
pub struct ContainerPaths {
    pub id: String,
    pub dir: PathBuf,
}

impl ContainerPaths {
    /// Paths of `id` under `root`. @throws INVALID_ARGUMENT for a bad id or a relative root.
    pub fn new(root: &Path, id: &str) -> NResult<Self> {
        validate_id(id)?;
        if !root.is_absolute() {
            return fail(Code::InvalidArgument, format!("the state root {} must be an absolute path", root.display()));
        }
        Ok(Self { id: id.to_owned(), dir: root.join(id) })
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// libcontainer's root path (its container directory is `<this>/<id>`).
    pub fn libcontainer_root(&self) -> PathBuf {
        self.dir.join(LIBCONTAINER_DIR)
    }

    /// libcontainer's container directory.
    pub fn libcontainer_dir(&self) -> PathBuf {
        self.libcontainer_root().join(&self.id)
    }
}

/// A name that cannot be a container id (it holds '@'), unique to this process and call:
/// `<prefix><pid>-<nanos>-<n>[-<tail>]`. The pid comes first so that a leftover of a dead process
/// can be recognised ({@link temp_name_pid}).
pub fn temp_name(prefix: &str, tail: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let sep = if tail.is_empty() { "" } else { "-" };
    format!("{prefix}{}-{nanos}-{n}{sep}{tail}", std::process::id())
}

/// The pid of the process that made a {@link temp_name}, if `name` is one with this prefix.
pub fn temp_name_pid(name: &str, prefix: &str) -> Option<i32> {
    name.strip_prefix(prefix)?.split('-').next()?.parse().ok()
}
