//! Code shared by the addon (in the Node.js process) and the monitor (one process per container):
//! the state directory layout, the records written there, and small Linux process helpers.
//! Nothing here forks, and nothing here depends on napi.

pub mod error;
pub mod fsutil;
pub mod layout;
pub mod mounts;
pub mod proc;
pub mod records;
