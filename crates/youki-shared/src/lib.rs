//! What the youki addon (in the Node.js process) and the youki monitor (one process per container)
//! share: the state directory layout, the records written there, the rootfs mounts, and small Linux
//! process and file helpers. Nothing here forks, and nothing here depends on napi; errors are
//! `magikrun-native-error`'s.

pub mod fsutil;
pub mod layout;
pub mod mounts;
pub mod proc;
pub mod records;
