//! The report pipe to Node.js: fd 3, one JSON line, then closed.

use std::fs::File;
use std::io::Write;
use std::os::fd::FromRawFd;

use magikrun_native_error::NativeError;

pub struct Report {
    pipe: Option<File>,
}

impl Report {
    /// Take fd 3 if it is open (it is when Node.js spawned us); mark it close-on-exec so that no
    /// container process inherits it past exec.
    pub fn open() -> Self {
        // SAFETY: fcntl on a descriptor number; F_GETFD fails with EBADF when it is not open.
        let open = unsafe { libc::fcntl(3, libc::F_GETFD) } >= 0;
        if !open {
            return Self { pipe: None };
        }
        // SAFETY: as above.
        unsafe { libc::fcntl(3, libc::F_SETFD, libc::FD_CLOEXEC) };
        // SAFETY: fd 3 is open and owned by nothing else in this process.
        Self { pipe: Some(unsafe { File::from_raw_fd(3) }) }
    }

    /// False when the report pipe was open but the line could not be written (Node.js is gone: it
    /// was killed, or gave up, while we created). Without a pipe (started by hand) there is nobody
    /// to tell, which counts as told.
    fn send(&mut self, value: serde_json::Value) -> bool {
        let Some(mut p) = self.pipe.take() else { return true };
        let mut line = value.to_string();
        line.push('\n');
        p.write_all(line.as_bytes()).is_ok()
    }

    /// Tell Node.js the container is created; false when it could not be told (see `send`).
    pub fn created(&mut self, pid: i32) -> bool {
        self.send(serde_json::json!({ "ok": true, "pid": pid }))
    }

    pub fn failed(&mut self, e: &NativeError) {
        let _ = self.send(serde_json::json!({ "ok": false, "code": e.code.as_str(), "message": e.message }));
    }
}
