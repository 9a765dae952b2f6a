//! The store's resource limiter: wasmtime's `StoreLimits`, plus a record of the memory growth it
//! refused so that a trap that follows can be reported as `oom`.

use wasmtime::{ResourceLimiter, Result, StoreLimits, StoreLimitsBuilder};

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
