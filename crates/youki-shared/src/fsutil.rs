//! File helpers: atomic JSON records (temp file, fsync, rename, fsync of the directory) and reads
//! that tell "absent" from "broken".

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

use magikrun_native_error::{NResult, NativeError, Code};
use crate::layout::temp_name;

/// Write `value` as JSON to `path` atomically: a reader sees the old file or the whole new one.
/// The file is 0600; `path`'s directory is fsynced after the rename, so the record survives a crash.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> NResult<()> {
    let bytes = serde_json::to_vec(value).map_err(|e| NativeError::new(Code::Internal, format!("serialise {}: {e}", path.display())))?;
    write_atomic(path, &bytes)
}

/// Write `bytes` to `path` atomically (see {@link write_json_atomic}).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> NResult<()> {
    let dir = path.parent().ok_or_else(|| NativeError::new(Code::Internal, format!("{} has no parent directory", path.display())))?;
    let tmp = dir.join(temp_name("@tmp-", ""));
    let result = (|| -> std::io::Result<()> {
        let mut f = OpenOptions::new().write(true).create_new(true).mode(0o600).custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(NativeError::io(format!("write {}", path.display()), &e));
    }
    Ok(())
}

/// Read and parse a JSON file; `Ok(None)` when it does not exist.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> NResult<Option<T>> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(NativeError::io(format!("read {}", path.display()), &e)),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| NativeError::new(Code::Internal, format!("{} is not valid: {e}", path.display())))
}

/// Create `path` (mode 0700) and its missing parents; an existing directory is fine, anything else
/// at that path (a file, a symlink) is refused.
pub fn ensure_private_dir(path: &Path) -> NResult<()> {
    match fs::DirBuilder::new().recursive(true).mode(0o700).create(path) {
        Ok(()) => {}
        Err(e) => return Err(NativeError::io(format!("create the directory {}", path.display()), &e)),
    }
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(NativeError::new(Code::InvalidArgument, format!("{} is not a directory (a symlink or a file is there)", path.display()))),
        Err(e) => Err(NativeError::io(format!("inspect {}", path.display()), &e)),
    }
}

/// True when `path` exists (without following a final symlink).
pub fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// Remove a directory tree; a missing tree is fine.
pub fn remove_tree(path: &Path) -> NResult<()> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(NativeError::io(format!("remove {}", path.display()), &e)),
    }
}

/// `renameat2(from, to, RENAME_NOREPLACE)`: `Ok(false)` when `to` exists.
pub fn rename_noreplace(from: &Path, to: &Path) -> NResult<bool> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let cf = CString::new(from.as_os_str().as_bytes()).map_err(|_| NativeError::new(Code::InvalidArgument, "path holds a NUL byte"))?;
    let ct = CString::new(to.as_os_str().as_bytes()).map_err(|_| NativeError::new(Code::InvalidArgument, "path holds a NUL byte"))?;
    // SAFETY: both are valid NUL-terminated strings; renameat2 does not keep them.
    let rc = unsafe { libc::renameat2(libc::AT_FDCWD, cf.as_ptr(), libc::AT_FDCWD, ct.as_ptr(), libc::RENAME_NOREPLACE) };
    if rc == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EEXIST) {
        return Ok(false);
    }
    Err(NativeError::io(format!("rename {} to {}", from.display(), to.display()), &e))
}
