//! The compiled-module cache: `<dir>/<module sha256>-<engine hash, 32 hex>.cwasm`.
//!
//! Deserializing compiled code is `unsafe`: it is machine code that runs unchecked. So an entry is
//! loaded only if it is provably the compilation of exactly this module by exactly this engine, read
//! from the directory this cache checked:
//!
//! - **The directory** is opened once, without following a symlink, and checked through that handle:
//!   a directory, owned by this user, not group/world-writable. Every entry is then opened *relative to
//!   that handle* (`openat`), so a directory renamed or swapped after the check is never read.
//! - **An entry** is opened with `O_NOFOLLOW | O_NONBLOCK` (a symlink or FIFO cannot redirect or hang
//!   the read) and must be a regular file owned by this user, not group/world-writable, of bounded size.
//! - **Its header** names the module digest and engine hash it was made for; both must match the
//!   lookup, so another module's entry copied under this name is refused. The payload's sha256 must
//!   match the one recorded. The whole file is read into memory, checked, and only then are those same
//!   bytes handed to `Module::deserialize` (no second read: no time-of-check/time-of-use gap).
//!
//! An entry that fails any check is deleted and the module compiled again. Writes are atomic: a temp
//! file in the same directory (`O_EXCL`, 0600), fsync, `renameat`, fsync of the directory; temp files
//! of writers that died mid-write are removed when a cache is opened. Concurrent
//! lookups of one entry within this process wait for the first (one compile); across processes, the
//! atomic rename makes concurrent writers safe (the last complete entry wins).
//!
//! Entry layout: `MKCWASM2` (8) ‖ module sha256 (32) ‖ engine hash (32) ‖ sha256(payload) (32) ‖
//! payload (`Module::serialize`).

use magikrun_native_error::{fail, Code, NResult, NativeError};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::ffi::CString;
use std::fs::{self, File};
use std::hash::{Hash, Hasher};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use wasmtime::wasmparser::{Validator, WasmFeatures};
use wasmtime::{Engine, Module};

const MAGIC: &[u8; 8] = b"MKCWASM2";
const HEADER_LEN: usize = 8 + 32 + 32 + 32;
/// Largest entry accepted for a module of `n` bytes: compiled code plus metadata stays far below this.
fn max_entry_len(wasm_len: usize) -> u64 {
    64 * 1024 * 1024 + 16 * wasm_len as u64
}

/// What a lookup found, for diagnostics and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded a verified entry.
    Hit,
    /// No entry: compiled and stored.
    Miss,
    /// An entry failed verification (or deserialization): deleted, compiled and stored again.
    Rejected,
    /// No cache configured.
    Disabled,
}

impl CacheOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheOutcome::Hit => "hit",
            CacheOutcome::Miss => "miss",
            CacheOutcome::Rejected => "rejected",
            CacheOutcome::Disabled => "disabled",
        }
    }
}

/// A cache directory bound to one engine.
pub struct ModuleCache {
    dir: PathBuf,
    /// The directory checked in `open`; every entry is reached through it.
    handle: File,
    engine_hash: [u8; 32],
    /// One lock per entry name, so that concurrent lookups compile once.
    locks: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

/// Feeds `Hash` output into sha256, so that the engine's compatibility hash is stable across runs
/// (std's `DefaultHasher` makes no such promise).
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

fn engine_hash_bytes(engine: &Engine) -> [u8; 32] {
    let mut h = Sha256Hasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut h);
    h.0.finalize().into()
}

/// The hex sha256 of `engine.precompile_compatibility_hash()`: changes whenever compiled code from
/// this engine could not be loaded by another (wasmtime version, target, compiler settings).
pub fn engine_hash(engine: &Engine) -> String {
    hex::encode(engine_hash_bytes(engine))
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// `openat(dir, name, flags | O_CLOEXEC | O_NOFOLLOW, mode)`.
fn open_at(dir: &File, name: &str, flags: libc::c_int, mode: libc::c_uint) -> io::Result<File> {
    let c = CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `c` is a valid NUL-terminated string and `dir` an open directory for the call's duration.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), c.as_ptr(), flags | libc::O_CLOEXEC | libc::O_NOFOLLOW, mode) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by openat and is owned by nobody else.
    Ok(unsafe { File::from_raw_fd(fd) })
}

fn unlink_at(dir: &File, name: &str) -> io::Result<()> {
    let c = CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: as in `open_at`.
    if unsafe { libc::unlinkat(dir.as_raw_fd(), c.as_ptr(), 0) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn rename_at(dir: &File, from: &str, to: &str) -> io::Result<()> {
    let f = CString::new(from).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let t = CString::new(to).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: as in `open_at`.
    if unsafe { libc::renameat(dir.as_raw_fd(), f.as_ptr(), dir.as_raw_fd(), t.as_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl ModuleCache {
    /// Open (creating it 0700 when missing) the cache directory. Refused, as `INVALID_ARGUMENT`: a
    /// directory that is a symlink, group- or world-writable, or owned by another user — its entries
    /// could have been planted.
    pub fn open(dir: &Path, engine: &Engine) -> NResult<Self> {
        let show = dir.display();
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .or_else(|e| fail(Code::InvalidArgument, format!("cannot create cache directory {show}: {e}")))?;
        let handle = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(dir)
            .or_else(|e| {
                if fs::symlink_metadata(dir).map(|m| m.file_type().is_symlink()).unwrap_or(false) {
                    let real = fs::canonicalize(dir).map(|p| p.display().to_string()).unwrap_or_else(|_| "its target".into());
                    return fail(Code::InvalidArgument, format!("cache directory {show} is a symlink; set cacheDir to the real directory ({real})"));
                }
                fail(Code::InvalidArgument, format!("cannot open cache directory {show}: {e}"))
            })?;
        let meta = handle.metadata().or_else(|e| fail(Code::InvalidArgument, format!("cannot stat cache directory {show}: {e}")))?;
        if !meta.is_dir() {
            return fail(Code::InvalidArgument, format!("cache directory {show} is not a directory"));
        }
        let me = euid();
        if meta.uid() != me {
            return fail(
                Code::InvalidArgument,
                format!("cache directory {show} is owned by uid {}, not by this user ({me}); use a cacheDir of your own", meta.uid()),
            );
        }
        if meta.mode() & 0o022 != 0 {
            return fail(Code::InvalidArgument, format!("cache directory {show} is group- or world-writable; run `chmod 700 {show}` or use another cacheDir"));
        }
        let cache = Self { dir: dir.to_path_buf(), handle, engine_hash: engine_hash_bytes(engine), locks: Mutex::new(HashMap::new()) };
        cache.remove_orphaned_temp_files();
        Ok(cache)
    }

    /// Remove the temp files of writers that died mid-write: `.tmp-<pid>-<n>.cwasm` whose process no
    /// longer exists. (A live process's temp file may be a write in progress; it is left alone.)
    fn remove_orphaned_temp_files(&self) {
        let Ok(entries) = fs::read_dir(format!("/proc/self/fd/{}", self.handle.as_raw_fd())) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(pid) = name.strip_prefix(".tmp-").and_then(|r| r.split('-').next()).and_then(|p| p.parse::<libc::pid_t>().ok()) else {
                continue;
            };
            // SAFETY: kill with signal 0 only checks whether the process exists.
            let gone = pid > 0 && unsafe { libc::kill(pid, 0) } != 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
            if gone && name.ends_with(".cwasm") {
                let _ = unlink_at(&self.handle, name);
            }
        }
    }

    fn entry_name(&self, module_hex: &str) -> String {
        format!("{module_hex}-{}.cwasm", &hex::encode(self.engine_hash)[..32])
    }

    /// The entry path for a module digest (hex), for diagnostics: entries are reached through the
    /// directory handle, not this path.
    pub fn entry_path(&self, module_hex: &str) -> PathBuf {
        self.dir.join(self.entry_name(module_hex))
    }

    /// Load the verified entry for `module_hex` (the sha256 `wasm` was verified to have), or compile
    /// `wasm` and store it.
    pub fn load_or_compile(&self, engine: &Engine, module_hex: &str, wasm: &[u8]) -> NResult<(Module, CacheOutcome)> {
        let name = self.entry_name(module_hex);
        let module_digest: [u8; 32] = hex::decode(module_hex)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| NativeError::new(Code::InvalidArgument, format!("module digest {module_hex:?} is not 64 hex digits")))?;
        let lock = self.locks.lock().unwrap().entry(name.clone()).or_default().clone();
        let result = {
            let _held = lock.lock().unwrap_or_else(|p| p.into_inner());
            self.load_or_compile_locked(engine, &name, &module_digest, wasm)
        };
        // Forget the lock once nobody else holds it (the map stays small).
        let mut locks = self.locks.lock().unwrap();
        if Arc::strong_count(&lock) == 2 {
            locks.remove(&name);
        }
        result
    }

    fn load_or_compile_locked(&self, engine: &Engine, name: &str, module_digest: &[u8; 32], wasm: &[u8]) -> NResult<(Module, CacheOutcome)> {
        let limit = max_entry_len(wasm.len());
        let outcome = match self.read_entry(name, limit) {
            Ok(None) => CacheOutcome::Miss,
            Ok(Some(bytes)) => match self.verify_and_load(engine, &bytes, module_digest) {
                Some(module) => return Ok((module, CacheOutcome::Hit)),
                None => CacheOutcome::Rejected,
            },
            Err(_) => CacheOutcome::Rejected,
        };
        if outcome == CacheOutcome::Rejected {
            let _ = unlink_at(&self.handle, name);
        }
        let module = compile(engine, wasm)?;
        // The cache is an optimisation: a failed write leaves no entry and is not an error.
        if let Ok(payload) = module.serialize() {
            if ((HEADER_LEN + payload.len()) as u64) <= limit {
                let _ = self.store(name, module_digest, &payload);
            }
        }
        Ok((module, outcome))
    }

    /// The entry's bytes; `None` when there is none. An error means "present but unusable".
    fn read_entry(&self, name: &str, limit: u64) -> io::Result<Option<Vec<u8>>> {
        let file = match open_at(&self.handle, name, libc::O_RDONLY | libc::O_NONBLOCK, 0) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let meta = file.metadata()?;
        let untrusted = !meta.is_file() || meta.uid() != euid() || meta.mode() & 0o022 != 0 || meta.len() > limit;
        if untrusted {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "not a private regular file of bounded size"));
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        file.take(limit + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "grew while being read"));
        }
        Ok(Some(bytes))
    }

    /// Check the header (magic, module digest, engine hash) and the payload's sha256, then deserialize
    /// exactly the bytes that were hashed.
    fn verify_and_load(&self, engine: &Engine, bytes: &[u8], module_digest: &[u8; 32]) -> Option<Module> {
        if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
            return None;
        }
        let (for_module, rest) = bytes[8..].split_at(32);
        let (for_engine, rest) = rest.split_at(32);
        let (recorded, payload) = rest.split_at(32);
        if for_module != module_digest || for_engine != self.engine_hash || Sha256::digest(payload).as_slice() != recorded {
            return None;
        }
        // SAFETY: `payload` is exactly the output of `Module::serialize` for this module (its digest is
        // in the header) and an engine with this compatibility hash, as its recorded sha256 proves; it
        // was read from a private regular file in the private directory checked in `open`, reached
        // through that directory's handle.
        unsafe { Module::deserialize(engine, payload) }.ok()
    }

    fn store(&self, name: &str, module_digest: &[u8; 32], payload: &[u8]) -> io::Result<()> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let tmp = format!(".tmp-{}-{}.cwasm", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed));
        let result = (|| {
            let mut f = open_at(&self.handle, &tmp, libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL, 0o600)?;
            f.write_all(MAGIC)?;
            f.write_all(module_digest)?;
            f.write_all(&self.engine_hash)?;
            f.write_all(&Sha256::digest(payload))?;
            f.write_all(payload)?;
            f.sync_all()?;
            drop(f);
            rename_at(&self.handle, &tmp, name)?;
            self.handle.sync_all()
        })();
        if result.is_err() {
            let _ = unlink_at(&self.handle, &tmp);
        }
        result
    }
}

/// Compile a module. A module that would be valid with every WebAssembly proposal enabled uses one this
/// engine keeps off (memory64, threads, GC, …): `UNSUPPORTED`; any other failure is `INVALID_ARGUMENT`.
pub fn compile(engine: &Engine, wasm: &[u8]) -> NResult<Module> {
    Module::from_binary(engine, wasm).or_else(|e| {
        let valid_elsewhere = Validator::new_with_features(WasmFeatures::all()).validate_all(wasm).is_ok();
        if valid_elsewhere {
            fail(
                Code::Unsupported,
                format!("the module uses a WebAssembly feature this runtime keeps off (memory64, threads and others are disabled): {e:#}"),
            )
        } else {
            fail(Code::InvalidArgument, format!("the module does not compile: {e:#}"))
        }
    })
}
