//! `BindingEngine`: one wasmtime `Engine` + WASI preview 1 linker + compiled-module cache, and the
//! containers created through it (they live in this process only).

use crate::cache::{self, CacheOutcome, ModuleCache};
use crate::container::{Container, HostState, LiveStore, Prepared};
use magikrun_native_error::{fail, NResult, NativeError, Code};
use crate::exit::{BindingExitStatus, CODE_TRAP};
use crate::interrupt::{self, InterruptFlag, InterruptState};
use crate::limits::{self, Limiter, SandboxLimits};
use crate::module_check;
use crate::proc_exit;
use crate::options::{BindingCreateOptions, BindingCreated, BindingEngineOptions, BindingStats};
use crate::run::{self, YIELD_INTERVAL};
use crate::stdio::{self, InputSpec, OutputSpec};
use magikrun_native_error::js::{settle, sync};
use napi::bindgen_prelude::{Buffer, PromiseRaw};
use napi::Env;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use wasmtime::{Config, Engine, ExternType, Linker, Store};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder, WasiView};

/// Bytes handed to JavaScript per `read`.
const READ_CHUNK: usize = 64 * 1024;

/// The host end of an output pipe, shared by the reads of one stream.
type Pipe = Arc<tokio::sync::Mutex<DuplexStream>>;

struct Inner {
    engine: Engine,
    linker: Linker<HostState>,
    cache: Option<ModuleCache>,
    containers: Mutex<HashMap<u32, Arc<Container>>>,
    /// Output pipes by (handle, stream). They outlive `delete`: the bytes a module wrote before it
    /// ended stay readable until end-of-stream is read or the pipe is released.
    pipes: Mutex<HashMap<(u32, OutStream), Pipe>>,
    next_handle: AtomicU32,
    /// Stores alive (see `LiveStore`).
    live_stores: Arc<AtomicU32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum OutStream {
    Stdout,
    Stderr,
}

fn out_stream(name: &str) -> NResult<OutStream> {
    match name {
        "stdout" => Ok(OutStream::Stdout),
        "stderr" => Ok(OutStream::Stderr),
        _ => fail(Code::InvalidArgument, format!("unknown stream {name:?}")),
    }
}

/// Internal: the native engine behind one `WasmtimeRuntime`.
#[napi]
pub struct BindingEngine {
    inner: Arc<Inner>,
}

fn engine_config(max_wasm_stack: usize) -> Config {
    let mut c = Config::new();
    c.consume_fuel(true)
        .max_wasm_stack(max_wasm_stack)
        // The fiber stack must hold the wasm stack plus the host calls made from it.
        .async_stack_size(max_wasm_stack.max(512 * 1024) + 1024 * 1024)
        // Threads are off by construction: the `threads` feature of wasmtime is not compiled in.
        .wasm_memory64(false)
        .parallel_compilation(true);
    c
}

impl Inner {
    fn get(&self, handle: u32) -> NResult<Arc<Container>> {
        match self.containers.lock().unwrap().get(&handle) {
            Some(c) => Ok(c.clone()),
            None => fail(Code::NotFound, format!("no container with handle {handle}")),
        }
    }

    /// Read, verify and compile the module (blocking: runs on Tokio's blocking pool).
    fn load_module(&self, o: &LoadArgs) -> NResult<(wasmtime::Module, CacheOutcome)> {
        let path = PathBuf::from(&o.module_path);
        let max = u64::try_from(o.max_module_size).map_err(|_| NativeError::new(Code::InvalidArgument, "maxModuleSize must be positive"))?;
        let bytes = module_check::read_verified(&path, max, &o.module_digest)?;
        module_check::check_header(&bytes, &format!("module {}", path.display()))?;
        let module_hex = module_check::parse_sha256(&o.module_digest)?;
        let (module, outcome) = match &self.cache {
            Some(c) => c.load_or_compile(&self.engine, &module_hex, &bytes)?,
            None => (cache::compile(&self.engine, &bytes)?, CacheOutcome::Disabled),
        };
        match module.get_export("_start") {
            Some(ExternType::Func(f)) if f.params().len() == 0 && f.results().len() == 0 => {}
            _ => return fail(Code::InvalidArgument, format!("module {} is not a WASI command: it exports no `_start() -> ()`", path.display())),
        }
        Ok((module, outcome))
    }
}

impl Inner {
    /// The blocking part of `create`: the module, its limits check, linking, the WASI context (opens
    /// preopened directories and stdio files) and the store.
    fn prepare(&self, o: BindingCreateOptions) -> NResult<(Prepared, stdio::HostEnds, CacheOutcome)> {
        let limits = SandboxLimits {
            memory_size: to_usize(o.memory_size, "memorySize")?,
            table_elements: o.table_elements as usize,
            instances: o.instances as usize,
            tables: o.tables as usize,
            memories: o.memories as usize,
        };
        let fuel_limit = match o.fuel {
            Some(f) => Some(u64::try_from(f).map_err(|_| NativeError::new(Code::InvalidArgument, "fuel must be positive"))?),
            None => None,
        };
        let wall_clock = match o.wall_clock_ms {
            Some(ms) => Some(Duration::from_millis(u64::try_from(ms).map_err(|_| NativeError::new(Code::InvalidArgument, "wallClockMs must be positive"))?)),
            None => None,
        };
        let load = LoadArgs { module_path: o.module_path.clone(), module_digest: o.module_digest.clone(), max_module_size: o.max_module_size };
        let (module, outcome) = self.load_module(&load)?;
        limits::check_module(&module, &limits, &format!("module {}", o.module_path))?;
        let pre = self.linker.instantiate_pre(&module).map_err(|e| {
            NativeError::new(Code::InvalidArgument, format!("module {} needs imports that WASI preview 1 does not provide: {e:#}", o.module_path))
        })?;

        let mut b = WasiCtxBuilder::new();
        b.args(&o.args);
        for kv in &o.env {
            match kv.split_once('=') {
                Some((k, v)) if !k.is_empty() => {
                    b.env(k, v);
                }
                _ => return fail(Code::InvalidArgument, format!("env entry {kv:?} is not KEY=VALUE")),
            }
        }
        if let Some(cwd) = &o.cwd {
            b.initial_cwd(cwd);
        }
        for p in &o.preopens {
            let perms = if p.readonly { FsPerms::ReadOnly } else { FsPerms::ReadWrite };
            b.preopened_dir(&p.host_path, &p.guest_path, perms).map_err(|e| {
                NativeError::new(Code::InvalidArgument, format!("cannot preopen {} as {}: {e:#}", p.host_path, p.guest_path))
            })?;
        }
        let ends = stdio::wire(&mut b, input_spec(&o.stdin)?, output_spec(&o.stdout, "stdout")?, output_spec(&o.stderr, "stderr")?)?;

        let mut wasi = b.build_p1();
        // Every open file is a file descriptor of this process: cap what one module may hold, so that
        // it cannot exhaust them for the others (an open beyond the cap fails in the module).
        WasiView::ctx(&mut wasi).table.set_max_capacity(o.open_files as usize);
        let flag = InterruptFlag::default();
        let host = HostState {
            wasi,
            limiter: Limiter::new(&limits),
            _live: LiveStore::new(&self.live_stores),
            interrupt: InterruptState { flag: flag.clone(), deadline: None },
        };
        let mut store = Store::new(&self.engine, host);
        store.limiter(|s| &mut s.limiter);
        interrupt::install(&mut store);
        let internal = |e: wasmtime::Error| NativeError::new(Code::Internal, format!("cannot configure the store: {e:#}"));
        store.set_fuel(fuel_limit.unwrap_or(u64::MAX)).map_err(internal)?;
        store.fuel_async_yield_interval(Some(YIELD_INTERVAL)).map_err(internal)?;
        Ok((Prepared { store, flag, pre, fuel_limit, wall_clock }, ends, outcome))
    }
}

struct LoadArgs {
    module_path: String,
    module_digest: String,
    max_module_size: i64,
}

fn output_spec(o: &crate::options::BindingOutput, which: &str) -> NResult<OutputSpec> {
    match (o.kind.as_str(), &o.path) {
        ("ignore", _) => Ok(OutputSpec::Ignore),
        ("pipe", _) => Ok(OutputSpec::Pipe),
        ("file", Some(p)) => Ok(OutputSpec::File { path: p.clone(), append: o.append.unwrap_or(false) }),
        _ => fail(Code::InvalidArgument, format!("{which}: unknown output kind {:?}", o.kind)),
    }
}

fn input_spec(i: &crate::options::BindingInput) -> NResult<InputSpec> {
    match (i.kind.as_str(), &i.path) {
        ("ignore", _) => Ok(InputSpec::Ignore),
        ("pipe", _) => Ok(InputSpec::Pipe),
        ("file", Some(p)) => Ok(InputSpec::File { path: p.clone() }),
        _ => fail(Code::InvalidArgument, format!("stdin: unknown input kind {:?}", i.kind)),
    }
}

fn to_usize(v: i64, what: &str) -> NResult<usize> {
    usize::try_from(v).map_err(|_| NativeError::new(Code::InvalidArgument, format!("{what} must be a non-negative integer")))
}

/// Each failure reaches JavaScript as an `Error` whose `code` is one of core's `ErrorCode` values.
#[napi]
impl BindingEngine {
    #[napi(constructor)]
    pub fn new(env: Env, options: BindingEngineOptions) -> napi::Result<Self> {
        sync(&env, Self::open(options))
    }

    fn open(options: BindingEngineOptions) -> NResult<Self> {
        let engine = Engine::new(&engine_config(options.max_wasm_stack as usize))
            .map_err(|e| NativeError::new(Code::Internal, format!("cannot configure wasmtime: {e:#}")))?;
        let mut linker: Linker<HostState> = Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_async(&mut linker, |s: &mut HostState| &mut s.wasi)
            .and_then(|()| proc_exit::shadow(&mut linker))
            .map_err(|e| NativeError::new(Code::Internal, format!("cannot link WASI preview 1: {e:#}")))?;
        let cache = match &options.cache_dir {
            Some(dir) => Some(ModuleCache::open(&PathBuf::from(dir), &engine)?),
            None => None,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                engine,
                linker,
                cache,
                containers: Mutex::new(HashMap::new()),
                pipes: Mutex::new(HashMap::new()),
                next_handle: AtomicU32::new(1),
                live_stores: Arc::new(AtomicU32::new(0)),
            }),
        })
    }

    /// The engine's compatibility hash (hex sha256), part of every cache entry's name.
    #[napi]
    pub fn engine_hash(&self) -> String {
        cache::engine_hash(&self.inner.engine)
    }

    /// What this engine holds right now: containers, buffered pipes, live stores.
    #[napi]
    pub fn stats(&self) -> BindingStats {
        let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        BindingStats {
            containers: n(self.inner.containers.lock().unwrap().len()),
            pipes: n(self.inner.pipes.lock().unwrap().len()),
            stores: self.inner.live_stores.load(Ordering::SeqCst),
        }
    }

    /// The path of the cache entry for a module digest, or null without a cache.
    #[napi]
    pub fn cache_entry_path(&self, env: Env, module_digest: String) -> napi::Result<Option<String>> {
        let hex = sync(&env, module_check::parse_sha256(&module_digest))?;
        Ok(self.inner.cache.as_ref().map(|c| c.entry_path(&hex).to_string_lossy().into_owned()))
    }

    /// Read, verify, compile (or load from the cache) and link the module; build its store.
    #[napi]
    pub fn create<'env>(&self, env: &'env Env, o: BindingCreateOptions) -> napi::Result<PromiseRaw<'env, BindingCreated>> {
        settle(env, Self::create_in(self.inner.clone(), o))
    }

    async fn create_in(inner: Arc<Inner>, o: BindingCreateOptions) -> NResult<BindingCreated> {
        // Everything that touches the filesystem (the module, the cache, preopened directories, stdio
        // files — any of which may block, a FIFO until its other end opens) runs on the blocking pool,
        // so that it can neither stall the JavaScript thread nor the async workers running modules.
        let (prepared, ends, outcome) = {
            let inner = inner.clone();
            tokio::task::spawn_blocking(move || inner.prepare(o))
                .await
                .map_err(|e| NativeError::new(Code::Internal, format!("the create task failed: {e}")))??
        };
        let container = Arc::new(Container::new(prepared, ends.stdin));
        let handle = inner.next_handle.fetch_add(1, Ordering::Relaxed);
        {
            let mut pipes = inner.pipes.lock().unwrap();
            if let Some(p) = ends.stdout {
                pipes.insert((handle, OutStream::Stdout), Arc::new(tokio::sync::Mutex::new(p)));
            }
            if let Some(p) = ends.stderr {
                pipes.insert((handle, OutStream::Stderr), Arc::new(tokio::sync::Mutex::new(p)));
            }
        }
        inner.containers.lock().unwrap().insert(handle, container);
        Ok(BindingCreated { handle, cache: outcome.as_str().to_string() })
    }

    /// Run `_start` on a Tokio task. Synchronous, so that a `kill` or `delete` the JavaScript thread
    /// makes next finds the container running (and cancels the run) — never still created.
    #[napi]
    pub fn start(&self, env: Env, handle: u32) -> napi::Result<()> {
        let c = sync(&env, self.inner.get(handle))?;
        let prepared = sync(&env, c.take_for_start())?;
        let task = napi::bindgen_prelude::spawn(run::run(c.clone(), prepared));
        // Should the run task panic, `wait` must still resolve: report it as a trap, never as 0.
        napi::bindgen_prelude::spawn(async move {
            if let Err(e) = task.await {
                c.finish(BindingExitStatus::new("trapped", CODE_TRAP, Some(format!("the wasmtime run task failed: {e}"))));
            }
        });
        Ok(())
    }

    /// Resolve with the exit status once the container has ended.
    #[napi]
    pub fn wait<'env>(&self, env: &'env Env, handle: u32) -> napi::Result<PromiseRaw<'env, BindingExitStatus>> {
        let inner = self.inner.clone();
        settle(env, async move {
            let mut rx = inner.get(handle)?.exit_tx.subscribe();
            drop(inner);
            let status = rx
                .wait_for(|s| s.is_some())
                .await
                .map_err(|_| NativeError::new(Code::NotFound, format!("container {handle} was deleted before it exited")))?
                .clone()
                .expect("checked by wait_for");
            Ok(status)
        })
    }

    /// End the container, reporting `status` as its exit status (no-op once it has exited).
    #[napi]
    pub fn kill(&self, env: Env, handle: u32, status: BindingExitStatus) -> napi::Result<()> {
        sync(&env, self.inner.get(handle))?.terminate(status);
        Ok(())
    }

    /// Forget the container; a still-running one is killed first. Frees store, instance and stdin;
    /// output pipes go once read to their end or released (`releasePipe`).
    #[napi]
    pub fn delete(&self, env: Env, handle: u32) -> napi::Result<()> {
        let c = self.inner.containers.lock().unwrap().remove(&handle);
        match c {
            Some(c) => {
                c.terminate(BindingExitStatus { reason: "killed".into(), code: 137, signal: Some("SIGKILL".into()), message: None });
                Ok(())
            }
            None => Err(NativeError::new(Code::NotFound, format!("no container with handle {handle}")).into_js(&env)),
        }
    }

    /// The next chunk (at most 64 KiB) of `stdout` or `stderr`, or null at end of stream (after which
    /// the pipe is freed). Works after `delete` until the buffered bytes are read.
    #[napi]
    pub fn read<'env>(&self, env: &'env Env, handle: u32, stream: String) -> napi::Result<PromiseRaw<'env, Option<Buffer>>> {
        let inner = self.inner.clone();
        settle(env, async move {
            let key = (handle, out_stream(&stream)?);
            let pipe = inner.pipes.lock().unwrap().get(&key).cloned();
            let Some(pipe) = pipe else {
                return Ok(None); // released, or already at its end
            };
            let mut buf = vec![0u8; READ_CHUNK];
            let n = pipe
                .lock()
                .await
                .read(&mut buf)
                .await
                .map_err(|e| NativeError::new(Code::Internal, format!("reading {stream}: {e}")))?;
            if n == 0 {
                inner.pipes.lock().unwrap().remove(&key);
                return Ok(None);
            }
            buf.truncate(n);
            Ok(Some(buf.into()))
        })
    }

    /// Free an output pipe and whatever it still buffers (its reader gave up).
    #[napi]
    pub fn release_pipe(&self, env: Env, handle: u32, stream: String) -> napi::Result<()> {
        let key = (handle, sync(&env, out_stream(&stream))?);
        self.inner.pipes.lock().unwrap().remove(&key);
        Ok(())
    }

    /// Write a chunk to the stdin pipe, waiting for room. Resolves false when the module can no
    /// longer read (it has ended, or stdin was closed).
    #[napi]
    pub async fn write_stdin(&self, handle: u32, chunk: Buffer) -> napi::Result<bool> {
        let c = match self.inner.get(handle) {
            Ok(c) => c,
            Err(_) => return Ok(false),
        };
        let data: Vec<u8> = chunk.to_vec();
        let mut guard = c.stdin.lock().await;
        let Some(w) = guard.as_mut() else { return Ok(false) };
        Ok(w.write_all(&data).await.is_ok())
    }

    /// Close the stdin pipe: the module reads end-of-file once the buffered bytes are consumed.
    #[napi]
    pub async fn close_stdin(&self, handle: u32) -> napi::Result<()> {
        if let Ok(c) = self.inner.get(handle) {
            let taken = c.stdin.lock().await.take();
            if let Some(mut w) = taken {
                let _ = w.shutdown().await;
            }
        }
        Ok(())
    }
}
