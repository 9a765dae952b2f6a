//! stdio of a container: discarded, a bounded in-memory pipe read by JavaScript, or a host file.
//!
//! A pipe is a `tokio::io::duplex` of [`PIPE_CAPACITY`] bytes: when JavaScript does not read, the
//! module's `fd_write` waits for room (backpressure) — and stays cancellable, because the wait is
//! an `.await` inside the store's future. Nothing is ever held whole in memory.

use magikrun_native_error::{fail, NResult, Code};
use std::os::unix::fs::OpenOptionsExt;
use tokio::io::DuplexStream;
use wasmtime_wasi::cli::{AsyncStdinStream, AsyncStdoutStream};
use wasmtime_wasi::WasiCtxBuilder;

/// Bytes a pipe buffers between the module and JavaScript (as a Linux pipe: 64 KiB).
pub const PIPE_CAPACITY: usize = 64 * 1024;

/// Where an output stream goes.
pub enum OutputSpec {
    Ignore,
    Pipe,
    File { path: String, append: bool },
}

/// Where stdin comes from.
pub enum InputSpec {
    Ignore,
    Pipe,
    File { path: String },
}

/// The host ends of the pipes, kept by the container.
#[derive(Default)]
pub struct HostEnds {
    pub stdin: Option<DuplexStream>,
    pub stdout: Option<DuplexStream>,
    pub stderr: Option<DuplexStream>,
}

fn open_output(path: &str, append: bool) -> NResult<tokio::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).mode(0o644);
    if append {
        o.append(true);
    } else {
        o.truncate(true);
    }
    let f = o.open(path).or_else(|e| fail(Code::InvalidArgument, format!("cannot open output file {path}: {e}")))?;
    Ok(tokio::fs::File::from_std(f))
}

/// Wire the three streams into `builder`; returns the host ends of the pipes.
/// Must run inside a Tokio runtime (the WASI stream adapters spawn their worker tasks).
pub fn wire(builder: &mut WasiCtxBuilder, stdin: InputSpec, stdout: OutputSpec, stderr: OutputSpec) -> NResult<HostEnds> {
    let mut ends = HostEnds::default();
    match stdin {
        InputSpec::Ignore => {} // the builder's default: closed, reads see end-of-file
        InputSpec::Pipe => {
            let (module_end, host_end) = tokio::io::duplex(PIPE_CAPACITY);
            builder.stdin(AsyncStdinStream::new(module_end));
            ends.stdin = Some(host_end);
        }
        InputSpec::File { path } => {
            let f = std::fs::File::open(&path).or_else(|e| fail(Code::InvalidArgument, format!("cannot open stdin file {path}: {e}")))?;
            builder.stdin(AsyncStdinStream::new(tokio::fs::File::from_std(f)));
        }
    }
    for (spec, is_err) in [(stdout, false), (stderr, true)] {
        let stream = match spec {
            OutputSpec::Ignore => None,
            OutputSpec::Pipe => {
                let (module_end, host_end) = tokio::io::duplex(PIPE_CAPACITY);
                if is_err {
                    ends.stderr = Some(host_end);
                } else {
                    ends.stdout = Some(host_end);
                }
                Some(AsyncStdoutStream::new(PIPE_CAPACITY, module_end))
            }
            OutputSpec::File { path, append } => Some(AsyncStdoutStream::new(PIPE_CAPACITY, open_output(&path, append)?)),
        };
        if let Some(s) = stream {
            if is_err {
                builder.stderr(s);
            } else {
                builder.stdout(s);
            }
        }
    }
    Ok(ends)
}
