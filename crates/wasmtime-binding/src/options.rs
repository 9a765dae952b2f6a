//! Options objects passed from TypeScript. Internal: the TypeScript layer validates every value
//! (limits through core's `checkLimit`) before they get here.

/// Internal: engine-wide settings, fixed when a `WasmtimeRuntime` is constructed.
#[napi(object)]
pub struct BindingEngineOptions {
    /// Largest wasm stack, in bytes.
    pub max_wasm_stack: u32,
    /// Directory of the compiled-module cache; absent → no cache.
    pub cache_dir: Option<String>,
}

/// Internal: a preopened directory.
#[napi(object)]
pub struct BindingPreopen {
    pub host_path: String,
    pub guest_path: String,
    pub readonly: bool,
}

/// Internal: an output stream target. `kind` is `ignore`, `pipe` or `file`.
#[napi(object)]
pub struct BindingOutput {
    pub kind: String,
    pub path: Option<String>,
    pub append: Option<bool>,
}

/// Internal: the stdin source. `kind` is `ignore`, `pipe` or `file`.
#[napi(object)]
pub struct BindingInput {
    pub kind: String,
    pub path: Option<String>,
}

/// Internal: everything `create` needs.
#[napi(object)]
pub struct BindingCreateOptions {
    pub module_path: String,
    /// `sha256:<64 hex>` the module file must hash to.
    pub module_digest: String,
    /// Largest module file, in bytes.
    pub max_module_size: i64,
    pub args: Vec<String>,
    /// `KEY=VALUE` strings.
    pub env: Vec<String>,
    pub preopens: Vec<BindingPreopen>,
    pub cwd: Option<String>,
    pub stdin: BindingInput,
    pub stdout: BindingOutput,
    pub stderr: BindingOutput,
    /// Fuel units; absent → unlimited (the module still yields for kill).
    pub fuel: Option<i64>,
    /// Wall-clock limit of the run, in ms; absent → none.
    pub wall_clock_ms: Option<i64>,
    /// Largest linear memory, in bytes.
    pub memory_size: i64,
    pub table_elements: u32,
    pub instances: u32,
    pub tables: u32,
    pub memories: u32,
    /// Most WASI handles held at once (open files and directories, streams, poll subscriptions).
    pub open_files: u32,
}

/// Internal: what `create` returns.
#[napi(object)]
pub struct BindingCreated {
    pub handle: u32,
    /// `hit`, `miss`, `rejected` (a cache entry failed verification and was replaced) or `disabled`.
    pub cache: String,
}

/// Internal: what an engine holds right now (tests use it to prove that delete frees everything).
#[napi(object)]
pub struct BindingStats {
    /// Containers not yet deleted.
    pub containers: u32,
    /// Output pipes still buffered (they outlive delete until read to their end or released).
    pub pipes: u32,
    /// Stores alive: of created containers, and of runs still unwinding.
    pub stores: u32,
}
