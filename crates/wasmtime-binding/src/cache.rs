//! The compiled-module cache: `<dir>/<module sha256>-<engine hash>.cwasm`.
//!
//! Deserializing compiled code is `unsafe` (it is machine code that runs unchecked), so each entry
//! carries the sha256 of its payload and is verified on every load: the whole file is read into
//! memory, its payload hashed and compared, and only then are those same bytes handed to
//! `Module::deserialize` (no second read, so no time-of-check/time-of-use gap). An entry that
//! fails any check is deleted and the module is compiled again. Writes are atomic: a temp file in
//! the same directory, fsync, rename, fsync of the directory.
//!
//! Entry layout: `MKCWASM1` (8 bytes) ‖ sha256(payload) (32 bytes) ‖ payload (`Module::serialize`).

use crate::error::{fail, BResult, Code};
use sha2::{Digest, Sha256};
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use wasmtime::wasmparser::{Validator, WasmFeatures};
use wasmtime::{Engine, Module};

const MAGIC: &[u8; 8] = b"MKCWASM1";
const HEADER_LEN: usize = 8 + 32;

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
    engine_hash: String,
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

/// The hex sha256 of `engine.precompile_compatibility_hash()`: changes whenever compiled code from
/// this engine could not be loaded by another (wasmtime version, target, compiler settings).
pub fn engine_hash(engine: &Engine) -> String {
    let mut h = Sha256Hasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut h);
    hex::encode(h.0.finalize())
}

impl ModuleCache {
    /// Open (creating it 0700 when missing) the cache directory. A directory that is group- or
    /// world-writable, or owned by another user, is refused: its entries could have been planted.
    pub fn open(dir: &Path, engine: &Engine) -> BResult<Self> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .or_else(|e| fail(Code::InvalidArgument, format!("cannot create cache directory {}: {e}", dir.display())))?;
        let meta = fs::metadata(dir).or_else(|e| fail(Code::InvalidArgument, format!("cannot stat cache directory {}: {e}", dir.display())))?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let euid = unsafe { libc::geteuid() };
        if meta.uid() != euid {
            return fail(
                Code::InvalidArgument,
                format!("cache directory {} is owned by uid {}, not by this user ({euid}); use a cacheDir of your own", dir.display(), meta.uid()),
            );
        }
        if meta.permissions().mode() & 0o022 != 0 {
            return fail(
                Code::InvalidArgument,
                format!("cache directory {} is group- or world-writable; run `chmod 700 {}` or use another cacheDir", dir.display(), dir.display()),
            );
        }
        Ok(Self { dir: dir.to_path_buf(), engine_hash: engine_hash(engine) })
    }

    /// The entry path for a module digest (hex).
    pub fn entry_path(&self, module_hex: &str) -> PathBuf {
        self.dir.join(format!("{module_hex}-{}.cwasm", &self.engine_hash[..32]))
    }

    /// Load the verified entry for `module_hex`, or compile `wasm` and store it.
    pub fn load_or_compile(&self, engine: &Engine, module_hex: &str, wasm: &[u8]) -> BResult<(Module, CacheOutcome)> {
        let path = self.entry_path(module_hex);
        let mut outcome = CacheOutcome::Miss;
        match fs::read(&path) {
            Ok(bytes) => match verify_and_load(engine, &bytes) {
                Some(module) => return Ok((module, CacheOutcome::Hit)),
                None => {
                    let _ = fs::remove_file(&path);
                    outcome = CacheOutcome::Rejected;
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => {
                let _ = fs::remove_file(&path);
                outcome = CacheOutcome::Rejected;
            }
        }
        let module = compile(engine, wasm)?;
        // The cache is an optimisation: a failed write leaves no entry and is not an error.
        if let Ok(payload) = module.serialize() {
            let _ = self.store(&path, &payload);
        }
        Ok((module, outcome))
    }

    fn store(&self, path: &Path, payload: &[u8]) -> std::io::Result<()> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let tmp = self.dir.join(format!(".tmp-{}-{}.cwasm", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed)));
        let result = (|| {
            let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
            f.write_all(MAGIC)?;
            f.write_all(&Sha256::digest(payload))?;
            f.write_all(payload)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, path)?;
            fs::File::open(&self.dir)?.sync_all()
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

/// Check the magic and the payload's sha256, then deserialize exactly the bytes that were hashed.
fn verify_and_load(engine: &Engine, bytes: &[u8]) -> Option<Module> {
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        return None;
    }
    let (recorded, payload) = bytes[8..].split_at(32);
    if Sha256::digest(payload).as_slice() != recorded {
        return None;
    }
    // SAFETY: `payload` is exactly the output of `Module::serialize` for an engine with the same
    // compatibility hash (the hash is part of the file name), as its recorded sha256 proves; the
    // cache directory belongs to this user and is not group/world-writable (checked in `open`).
    unsafe { Module::deserialize(engine, payload) }.ok()
}

/// Compile a module. A module that would be valid with every WebAssembly proposal enabled uses one this
/// engine keeps off (memory64, threads, GC, …): `UNSUPPORTED`; any other failure is `INVALID_ARGUMENT`.
pub fn compile(engine: &Engine, wasm: &[u8]) -> BResult<Module> {
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
