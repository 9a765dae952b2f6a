//! A per-container lock (flock on the container's directory) that serialises start and delete
//! across processes. The monitor never takes it.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;

use magikrun_native_error::{NResult, NativeError, Code};
use magikrun_youki_shared::layout::ContainerPaths;

/// Held until dropped.
pub struct DirLock {
    _file: File,
}

/// Lock `paths.dir`; `Ok(None)` with `wait == false` when another process holds it.
pub fn lock(paths: &ContainerPaths, wait: bool) -> NResult<Option<DirLock>> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC | libc::O_NOFOLLOW)
        .open(&paths.dir)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                NativeError::new(Code::NotFound, format!("container {:?} does not exist", paths.id))
            } else {
                NativeError::io(format!("open {}", paths.dir.display()), &e)
            }
        })?;
    let op = if wait { libc::LOCK_EX } else { libc::LOCK_EX | libc::LOCK_NB };
    loop {
        // SAFETY: flock on an open descriptor.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Ok(Some(DirLock { _file: file }));
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) if !wait => return Ok(None),
            _ => return Err(NativeError::io(format!("lock {}", paths.dir.display()), &e)),
        }
    }
}
