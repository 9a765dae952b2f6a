//! Reserve the state directory, mount the rootfs, create the container through libcontainer.

use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use libcontainer::container::builder::ContainerBuilder;
use libcontainer::error::LibcontainerError;
use libcontainer::syscall::syscall::SyscallType;

use crate::bundle::check_root_path;
use crate::cgroup;
use crate::stdio::{self, Stdio};
use magikrun_native_error::{chain, fail, NResult, NativeError, Code};
use magikrun_youki_shared::fsutil::{ensure_private_dir, remove_tree, rename_noreplace, write_json_atomic};
use magikrun_youki_shared::layout::{self, ContainerPaths, CREATING_PREFIX, INIT_FILE, MONITOR_FILE, STDERR_LOG, STDOUT_LOG};
use magikrun_youki_shared::mounts;
use magikrun_youki_shared::proc;
use magikrun_youki_shared::records::{now_ms, InitRecord, MonitorConfig, MonitorRecord, StdioTarget};

/// A created container the monitor now watches.
pub struct Created {
    pub paths: ContainerPaths,
    pub init: InitRecord,
    /// The init is pid 1 of its own pid namespace (its death ends every process of the container).
    pub init_owns_pid_ns: bool,
}

fn absolute(p: &str, what: &str) -> NResult<PathBuf> {
    let path = PathBuf::from(p);
    if !path.is_absolute() {
        return fail(Code::InvalidArgument, format!("{what} {p:?} must be an absolute path"));
    }
    Ok(path)
}

/// The code of libcontainer's default-executor validation failures, which reach us only as text
/// (`ExecutorValidationError::ArgValidationError`, sent by the init as `ExecFailed(String)`): argv[0]
/// missing (`executable 'x' not found in $PATH`, also for an absolute path) is `NOT_FOUND`; present
/// without an execute bit (`… does not have correct permissions`) is `INVALID_ARGUMENT` — as runc's
/// "executable file not found" / "permission denied", which docker reports as exit 127 / 126.
fn entrypoint_code(text: &str) -> Option<Code> {
    if !text.contains("executable '") {
        return None;
    }
    if text.contains("' not found in $PATH") {
        Some(Code::NotFound)
    } else if text.contains("' does not have correct permissions") {
        Some(Code::InvalidArgument)
    } else {
        None
    }
}

/// libcontainer's error as a code: bad bundles are the caller's to fix.
fn from_libcontainer(e: &LibcontainerError) -> NativeError {
    let text = chain(e);
    if let Some(code) = entrypoint_code(&text) {
        return NativeError::new(code, format!("libcontainer could not create the container: {text}; the process args[0] must name an executable file in the container (a path, or a name on its PATH)"));
    }
    let code = match e {
        LibcontainerError::Exist => Code::AlreadyExists,
        LibcontainerError::InvalidID(_)
        | LibcontainerError::MissingSpec(_)
        | LibcontainerError::InvalidSpec(_)
        | LibcontainerError::Spec(_)
        | LibcontainerError::InvalidInput(_)
        | LibcontainerError::NoUserNamespace => Code::InvalidArgument,
        _ => Code::Internal,
    };
    NativeError::new(code, format!("libcontainer could not create the container: {text}"))
}

/// Write `monitor.json` and the log files into a fresh temporary directory, then rename it to
/// `<root>/<id>` without replacing anything: the id is taken atomically, and a directory under a
/// valid id is always complete.
fn reserve(config: &MonitorConfig, paths: &ContainerPaths, root: &Path) -> NResult<Stdio> {
    let tmp = root.join(layout::temp_name(CREATING_PREFIX, ""));
    fs::DirBuilder::new().mode(0o700).create(&tmp).map_err(|e| NativeError::io(format!("create {}", tmp.display()), &e))?;
    let result = (|| {
        let stdio = Stdio::open([&config.stdin, &config.stdout, &config.stderr], &tmp, [STDOUT_LOG, STDERR_LOG])?;
        let me = std::process::id() as i32;
        let log = |t: &StdioTarget, name: &str| matches!(t, StdioTarget::Log).then(|| paths.file(name).to_string_lossy().into_owned());
        let record = MonitorRecord {
            version: 1,
            config: config.clone(),
            monitor_pid: me,
            monitor_start_time: proc::start_time(me).unwrap_or(0),
            created_at_ms: now_ms(),
            stdout_log: log(&config.stdout, STDOUT_LOG),
            stderr_log: log(&config.stderr, STDERR_LOG),
        };
        write_json_atomic(&tmp.join(MONITOR_FILE), &record)?;
        if !rename_noreplace(&tmp, &paths.dir)? {
            return fail(Code::AlreadyExists, format!("a container with id {:?} already exists in {}", paths.id, root.display()));
        }
        Ok(stdio)
    })();
    if result.is_err() {
        let _ = remove_tree(&tmp);
    }
    result
}

fn set_sigpipe(handler: libc::sighandler_t) {
    // SAFETY: setting a disposition to SIG_DFL or SIG_IGN.
    unsafe { libc::signal(libc::SIGPIPE, handler) };
}

/// Kill and reap the init (our child), then libcontainer's delete (cgroups, its directory).
fn undo_container(pid: i32, container: &mut libcontainer::container::Container) {
    // SAFETY: kill and waitpid of our own (reparented) child.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        libc::waitpid(pid, std::ptr::null_mut(), 0);
    }
    let _ = container.delete(true);
}

/// Create the container, then `tell` Node.js the init's pid. On failure — and when `tell` returns
/// false: the creator is gone and nobody knows of the container — nothing is left: no process, no
/// mounts, no cgroup, no state directory.
pub fn create(config: &MonitorConfig, tell: impl FnOnce(i32) -> bool) -> NResult<Created> {
    let root = absolute(&config.state_root, "the state root")?;
    let paths = ContainerPaths::new(&root, &config.id)?;
    let bundle = absolute(&config.bundle, "the bundle")?;
    let rootfs = absolute(&config.rootfs, "the rootfs")?;
    let facts = check_root_path(&bundle, &rootfs)?;
    cgroup::ensure_free(facts.cgroups_path.as_deref(), &config.id, config.systemd)?;

    // Orphans (the init, once its intermediate parent exits) come to us, not to the host's init.
    // SAFETY: prctl with integer arguments.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } != 0 {
        let e = std::io::Error::last_os_error();
        return fail(Code::Internal, format!("PR_SET_CHILD_SUBREAPER: {e}"));
    }
    ensure_private_dir(&root)?;
    let stdio = reserve(config, &paths, &root)?;

    let mut mounted = 0;
    let result = (|| -> NResult<Created> {
        let rootfs = if config.rootfs_mounts.is_empty() { rootfs.clone() } else { fs::canonicalize(&rootfs).map_err(|e| NativeError::io(format!("the rootfs {}", rootfs.display()), &e))? };
        mounted = mounts::mount_all(&rootfs, &config.rootfs_mounts)?;
        ensure_private_dir(&paths.libcontainer_root())?;

        stdio.install()?;
        // Rust starts with SIGPIPE ignored, and an ignored signal stays ignored across exec: the init
        // is cloned with the default disposition instead.
        set_sigpipe(libc::SIG_DFL);
        let built = ContainerBuilder::new(paths.id.clone(), SyscallType::default())
            .with_root_path(paths.libcontainer_root())
            .and_then(|b| b.validate_id())
            .map(|b| b.as_init(&bundle).with_systemd(config.systemd).with_detach(true).build());
        set_sigpipe(libc::SIG_IGN);
        drop(stdio);
        stdio::release();
        let mut container = match built {
            Ok(Ok(c)) => c,
            Ok(Err(e)) | Err(e) => return Err(from_libcontainer(&e)),
        };

        let pid = container.pid().map(|p| p.as_raw()).ok_or_else(|| NativeError::new(Code::Internal, "libcontainer created the container but recorded no init pid"))?;
        let init = InitRecord {
            pid,
            start_time: proc::start_time(pid).unwrap_or(0),
            oom_events_file: cgroup::oom_events_file(pid).map(|p| p.to_string_lossy().into_owned()),
            rootfs_mounted: mounted,
        };
        if let Err(e) = write_json_atomic(&paths.file(INIT_FILE), &init) {
            // Without init.json no other process could tell this init from a reused pid: undo.
            undo_container(pid, &mut container);
            return Err(e);
        }
        let init_owns_pid_ns = proc::owns_pid_namespace(pid);
        if !tell(pid) {
            undo_container(pid, &mut container);
            return fail(Code::Aborted, format!("the process that created container {:?} is gone before it learned of it: the container was removed", paths.id));
        }
        Ok(Created { paths: paths.clone(), init, init_owns_pid_ns })
    })();
    if result.is_err() {
        // libcontainer removed its own directory and cgroup when its build failed.
        if mounted > 0 {
            if let Ok(r) = fs::canonicalize(&rootfs) {
                let _ = mounts::unmount_all(&r, mounted);
            }
        }
        let _ = remove_tree(&paths.dir);
    }
    result
}
