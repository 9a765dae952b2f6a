//! The bundle's config.json must name the rootfs the caller handed over (core's `OciBundle.rootfs`:
//! "config.json's `root.path`, resolved"): the rootfs mounts go there, and delete removes them there.
//! A `root.path` elsewhere would run the container on another tree (a shared image rootfs, the host's
//! `/`) while its own rootfs stays unused: refused before anything is reserved or mounted.
//! Also reports the cgroups path libcontainer will use (see `cgroup::ensure_free`).

use std::path::{Path, PathBuf};

use magikrun_native_error::{fail, NResult, NativeError, Code};

/// config.json is read whole here (libcontainer reads it again); larger is not a runtime config.
const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

fn canonical(p: &Path, what: &str) -> NResult<PathBuf> {
    std::fs::canonicalize(p).map_err(|e| NativeError::io(format!("{what} {}", p.display()), &e))
}

/// What the monitor needs from config.json before libcontainer reads it.
pub struct BundleFacts {
    /// `linux.cgroupsPath`, when set.
    pub cgroups_path: Option<PathBuf>,
}

/// Check that `<bundle>/config.json`'s `root.path` (relative to the bundle, as runtime-spec
/// config.md says) is `rootfs`, after resolving symlinks. @throws INVALID_ARGUMENT, NOT_FOUND
pub fn check_root_path(bundle: &Path, rootfs: &Path) -> NResult<BundleFacts> {
    let file = bundle.join("config.json");
    let meta = std::fs::metadata(&file).map_err(|e| NativeError::io(format!("the bundle's {}", file.display()), &e))?;
    if meta.len() > MAX_CONFIG_BYTES {
        return fail(Code::InvalidArgument, format!("{} is {} bytes; at most {MAX_CONFIG_BYTES} are accepted", file.display(), meta.len()));
    }
    let text = std::fs::read(&file).map_err(|e| NativeError::io(format!("read {}", file.display()), &e))?;
    let config: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| NativeError::new(Code::InvalidArgument, format!("{} is not valid JSON: {e}", file.display())))?;
    let Some(root) = config.pointer("/root/path").and_then(|v| v.as_str()) else {
        return fail(Code::InvalidArgument, format!("{} has no root.path (the container's root filesystem)", file.display()));
    };
    let named = canonical(&bundle.join(root), "the config's root.path")?;
    let given = canonical(rootfs, "the rootfs")?;
    if named != given {
        return fail(
            Code::InvalidArgument,
            format!(
                "{}'s root.path {root:?} resolves to {}, not to the bundle's rootfs {}: the container would run on another tree; point root.path at the rootfs",
                file.display(),
                named.display(),
                given.display()
            ),
        );
    }
    let cgroups_path = config.pointer("/linux/cgroupsPath").and_then(|v| v.as_str()).filter(|p| !p.is_empty()).map(PathBuf::from);
    Ok(BundleFacts { cgroups_path })
}
