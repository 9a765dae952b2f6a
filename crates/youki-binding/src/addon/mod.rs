//! What the Node.js process does in-process (all safe in a multi-threaded process: no fork, no
//! chdir): read state, start through the notify socket, signal through pidfds, delete, list, wait.

pub mod delete;
pub mod inspect;
pub mod kill;
pub mod list;
pub mod lock;
pub mod start;
pub mod wait;
