//! The store's resource limiter: wasmtime's `StoreLimits`, plus a record of the memory growth it
//! refused so that a trap that follows can be reported as `oom`.

use magikrun_native_error::{fail, NResult, Code};
use wasmtime::{Module, ResourceLimiter, Result, StoreLimits, StoreLimitsBuilder};

/// Bytes of a wasm page (custom page sizes are off).
const WASM_PAGE: u64 = 64 * 1024;

/// Per-container sandbox limits (already validated by the TypeScript layer).
#[derive(Clone, Debug)]
pub struct SandboxLimits {
    /// Largest linear memory, in bytes.
    pub memory_size: usize,
    /// Most elements of one table.
    pub table_elements: usize,
    pub instances: usize,
    pub tables: usize,
    pub memories: usize,
}

/// Refuse, at create, a module whose own declarations exceed the limits: more memories or tables than
/// allowed, an initial memory above `memory_size`, a table that starts above `table_elements`. Such a
/// module could only fail at instantiation; this says so before anything runs (`LIMIT_EXCEEDED`).
pub fn check_module(module: &Module, l: &SandboxLimits, what: &str) -> NResult<()> {
    let r = module.resources_required();
    let hint = "raise that limit (a value above its default also needs allowAboveDefault: true; in the CLI --memory and --allow-above-default), or use another module";
    if r.num_memories as usize > l.memories {
        return fail(Code::LimitExceeded, format!("{what} defines {} linear memories, above the limit memories = {}; {hint}", r.num_memories, l.memories));
    }
    if let Some(pages) = r.max_initial_memory_size {
        let bytes = pages.saturating_mul(WASM_PAGE);
        if bytes > l.memory_size as u64 {
            return fail(
                Code::LimitExceeded,
                format!(
                    "{what} needs {bytes} bytes of initial linear memory ({pages} pages), above the limit memorySize = {} bytes; {hint} (at most 4 GiB)",
                    l.memory_size
                ),
            );
        }
    }
    if r.num_tables as usize > l.tables {
        return fail(Code::LimitExceeded, format!("{what} defines {} tables, above the limit tables = {}; {hint}", r.num_tables, l.tables));
    }
    if let Some(elements) = r.max_initial_table_size {
        if elements > l.table_elements as u64 {
            return fail(
                Code::LimitExceeded,
                format!("a table of {what} starts with {elements} elements, above the limit tableElements = {}; {hint}", l.table_elements),
            );
        }
    }
    Ok(())
}

pub struct Limiter {
    inner: StoreLimits,
    memory_size: usize,
    /// `(current, desired)` bytes of the last growth refused by `memory_size`.
    pub refused: Option<(usize, usize)>,
}

impl Limiter {
    pub fn new(l: &SandboxLimits) -> Self {
        let inner = StoreLimitsBuilder::new()
            .memory_size(l.memory_size)
            .table_elements(l.table_elements)
            .instances(l.instances)
            .tables(l.tables)
            .memories(l.memories)
            .build();
        Self { inner, memory_size: l.memory_size, refused: None }
    }

    /// Describe the refusal, if any: "the memory limit of N bytes refused growing from A to B bytes".
    pub fn refusal(&self) -> Option<String> {
        self.refused.map(|(cur, want)| {
            format!("the memory limit of {} bytes refused growing linear memory from {cur} to {want} bytes", self.memory_size)
        })
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> Result<bool> {
        let ok = self.inner.memory_growing(current, desired, maximum)?;
        if !ok {
            self.refused = Some((current, desired));
        }
        Ok(ok)
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}
