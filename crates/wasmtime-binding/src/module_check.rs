//! Reading a module file under a size cap, checking its digest and its header.

use magikrun_native_error::{fail, NResult, Code};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The 4-byte WebAssembly magic, `\0asm`.
const WASM_MAGIC: [u8; 4] = *b"\0asm";
/// Version bytes of a core module (version 1).
const CORE_MODULE_VERSION: [u8; 4] = [0x01, 0x00, 0x00, 0x00];
/// Version bytes of a component (version 0x0d, layer 1): WASI preview 2.
const COMPONENT_VERSION: [u8; 4] = [0x0d, 0x00, 0x01, 0x00];

/// Read `path` whole, refusing more than `max_size` bytes, and check it against `expected_digest`
/// (`sha256:<64 lowercase hex>`). The bytes returned are the bytes that were hashed.
pub fn read_verified(path: &Path, max_size: u64, expected_digest: &str) -> NResult<Vec<u8>> {
    let expected_hex = parse_sha256(expected_digest)?;
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below as not a regular
    // file); on a regular file the flag changes nothing.
    let file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC).open(path).or_else(|e| {
        let code = if e.kind() == std::io::ErrorKind::NotFound { Code::NotFound } else { Code::InvalidArgument };
        fail(code, format!("cannot open module {}: {e}", path.display()))
    })?;
    let meta = file.metadata().or_else(|e| fail(Code::Internal, format!("cannot stat module {}: {e}", path.display())))?;
    if !meta.is_file() {
        return fail(Code::InvalidArgument, format!("module {} is not a regular file", path.display()));
    }
    if meta.len() > max_size {
        return fail(
            Code::LimitExceeded,
            format!("module {} is {} bytes, above the limit of {max_size} bytes (maxModuleSize)", path.display(), meta.len()),
        );
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // Take one byte more than allowed so that a file that grew after the stat is still caught.
    file.take(max_size + 1)
        .read_to_end(&mut bytes)
        .or_else(|e| fail(Code::Internal, format!("cannot read module {}: {e}", path.display())))?;
    if bytes.len() as u64 > max_size {
        return fail(Code::LimitExceeded, format!("module {} grew above the limit of {max_size} bytes while being read", path.display()));
    }
    let actual_hex = hex::encode(Sha256::digest(&bytes));
    if actual_hex != expected_hex {
        return fail(
            Code::DigestMismatch,
            format!(
                "module {} hashes to sha256:{actual_hex}, but the bundle says {expected_digest}; rebuild the bundle from a trusted image",
                path.display()
            ),
        );
    }
    Ok(bytes)
}

/// `sha256:<64 hex>` → the lowercase hex.
pub fn parse_sha256(digest: &str) -> NResult<String> {
    match digest.strip_prefix("sha256:") {
        Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) => Ok(h.to_string()),
        _ => fail(Code::InvalidArgument, format!("module digest {digest:?} is not of the form sha256:<64 lowercase hex>")),
    }
}

/// Refuse anything that is not a WebAssembly core module: a component (WASI preview 2) is
/// `UNSUPPORTED`, anything else `INVALID_ARGUMENT`.
pub fn check_header(bytes: &[u8], what: &str) -> NResult<()> {
    if bytes.len() < 8 || bytes[0..4] != WASM_MAGIC {
        return fail(Code::InvalidArgument, format!("{what} is not a WebAssembly module (no \\0asm magic)"));
    }
    let version: [u8; 4] = bytes[4..8].try_into().expect("length checked");
    if version == CORE_MODULE_VERSION {
        return Ok(());
    }
    if version == COMPONENT_VERSION {
        return fail(
            Code::Unsupported,
            format!("{what} is a WebAssembly component (WASI preview 2); this runtime runs WASI preview 1 core modules only"),
        );
    }
    fail(Code::InvalidArgument, format!("{what} has unknown WebAssembly version bytes {}", hex::encode(version)))
}
