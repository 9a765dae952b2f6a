//! The rootfs mounts a snapshotter hands over (core's `OciBundle.rootfsMounts`): applied in order at
//! the rootfs by the monitor before the container is created, removed by delete.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use magikrun_native_error::{fail, NResult, NativeError, Code};
use crate::records::RootfsMount;

/// The kernel takes at most one page of mount data.
const MAX_MOUNT_DATA: usize = 4095;

fn cstr(s: &[u8], what: &str) -> NResult<CString> {
    CString::new(s).map_err(|_| NativeError::new(Code::InvalidArgument, format!("{what} holds a NUL byte")))
}

/// Split options into mount(2) flags and the data string (what the filesystem parses).
fn parse_options(options: &[String]) -> (libc::c_ulong, Vec<String>) {
    let mut flags: libc::c_ulong = 0;
    let mut data = Vec::new();
    for o in options {
        match o.as_str() {
            "ro" => flags |= libc::MS_RDONLY,
            "rw" => flags &= !libc::MS_RDONLY,
            "bind" => flags |= libc::MS_BIND,
            "rbind" => flags |= libc::MS_BIND | libc::MS_REC,
            "nosuid" => flags |= libc::MS_NOSUID,
            "nodev" => flags |= libc::MS_NODEV,
            "noexec" => flags |= libc::MS_NOEXEC,
            "noatime" => flags |= libc::MS_NOATIME,
            "nodiratime" => flags |= libc::MS_NODIRATIME,
            "relatime" => flags |= libc::MS_RELATIME,
            "strictatime" => flags |= libc::MS_STRICTATIME,
            "sync" => flags |= libc::MS_SYNCHRONOUS,
            "dirsync" => flags |= libc::MS_DIRSYNC,
            "suid" | "dev" | "exec" | "atime" | "diratime" | "async" | "defaults" => {}
            other => data.push(other.to_owned()),
        }
    }
    (flags, data)
}

fn mount_one(target: &CString, m: &RootfsMount) -> NResult<()> {
    let (mut flags, data) = parse_options(&m.options);
    let (source, fstype) = match m.kind.as_str() {
        "overlay" => {
            if flags & libc::MS_BIND != 0 {
                return fail(Code::InvalidArgument, "an overlay rootfs mount cannot have bind options");
            }
            (cstr(m.source.as_bytes(), "the mount source")?, Some(cstr(b"overlay", "fstype")?))
        }
        "bind" => {
            if !Path::new(&m.source).is_absolute() {
                return fail(Code::InvalidArgument, format!("a bind rootfs mount needs an absolute source, not {:?}", m.source));
            }
            flags |= libc::MS_BIND;
            (cstr(m.source.as_bytes(), "the mount source")?, None)
        }
        other => return fail(Code::InvalidArgument, format!("rootfs mount type {other:?} is not supported (use overlay or bind)")),
    };
    let data_text = data.join(",");
    if data_text.len() > MAX_MOUNT_DATA {
        return fail(
            Code::InvalidArgument,
            format!("the {} mount options are {} bytes; the kernel takes at most {MAX_MOUNT_DATA} (too many layers for one overlay mount)", m.kind, data_text.len()),
        );
    }
    let data_c = cstr(data_text.as_bytes(), "the mount options")?;
    let data_ptr = if data_text.is_empty() { std::ptr::null() } else { data_c.as_ptr() as *const libc::c_void };
    let ro_bind = flags & libc::MS_BIND != 0 && flags & libc::MS_RDONLY != 0;
    // SAFETY: valid NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            fstype.as_ref().map_or(std::ptr::null(), |f| f.as_ptr()),
            if ro_bind { flags & !libc::MS_RDONLY } else { flags },
            data_ptr,
        )
    };
    if rc != 0 {
        let e = std::io::Error::last_os_error();
        return fail(Code::Internal, format!("mount {} {} at {}: {e}", m.kind, m.source, target.to_string_lossy()));
    }
    if ro_bind {
        // A bind mount ignores MS_RDONLY; a remount applies it.
        // SAFETY: as above.
        let rc = unsafe {
            libc::mount(std::ptr::null(), target.as_ptr(), std::ptr::null(), libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY | (flags & libc::MS_REC), std::ptr::null())
        };
        if rc != 0 {
            let e = std::io::Error::last_os_error();
            // SAFETY: as above.
            unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
            return fail(Code::Internal, format!("remount {} read-only: {e}", target.to_string_lossy()));
        }
    }
    Ok(())
}

/// Apply `mounts` in order at `rootfs`. On failure the ones already made are removed again.
/// Returns how many were made.
pub fn mount_all(rootfs: &Path, mounts: &[RootfsMount]) -> NResult<usize> {
    if mounts.is_empty() {
        return Ok(0);
    }
    match std::fs::symlink_metadata(rootfs) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return fail(Code::InvalidArgument, format!("the rootfs {} is not a directory", rootfs.display())),
        Err(e) => return Err(NativeError::io(format!("the rootfs {}", rootfs.display()), &e)),
    }
    let target = cstr(rootfs.as_os_str().as_bytes(), "the rootfs path")?;
    for (i, m) in mounts.iter().enumerate() {
        if let Err(e) = mount_one(&target, m) {
            let _ = unmount_all(rootfs, i);
            return Err(e);
        }
    }
    Ok(mounts.len())
}

/// How many mounts sit at exactly `path` (in this process's mount namespace).
pub fn mounts_at(path: &Path) -> usize {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else { return 0 };
    let want = path.as_os_str().as_bytes();
    info.lines().filter(|line| line.split(' ').nth(4).map(unescape).as_deref() == Some(want)).count()
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
fn unescape(field: &str) -> Vec<u8> {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// Remove up to `max` mounts stacked at `rootfs` (lazily: the container's processes are gone, and a
/// lazy unmount cannot fail for a busy mount). Returns how many were removed.
pub fn unmount_all(rootfs: &Path, max: usize) -> NResult<usize> {
    if max == 0 {
        return Ok(0);
    }
    let target = cstr(rootfs.as_os_str().as_bytes(), "the rootfs path")?;
    let mut removed = 0;
    while removed < max && mounts_at(rootfs) > 0 {
        // SAFETY: a valid NUL-terminated path.
        if unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) } != 0 {
            let e = std::io::Error::last_os_error();
            return fail(Code::Internal, format!("unmount {}: {e}", rootfs.display()));
        }
        removed += 1;
    }
    Ok(removed)
}
