//! Ctrl-C: stop cleanly instead of dying mid-write.
//!
//! A sweep left running overnight must keep the configurations it finished when the
//! user presses Ctrl-C, and no command may leave a half-written output that looks
//! complete. The CLI installs a SIGINT handler that only sets a flag; the replay loops
//! and the trace writer poll it and unwind as an ordinary error, so outputs are
//! abandoned (temporary files removed) or, for a sweep, the finished rows are written
//! and the process exits with 130 (128 + SIGINT), as shells expect.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// The exit code of an interrupted command (128 + SIGINT).
pub const EXIT_CODE: u8 = 130;

/// Whether Ctrl-C was pressed (or [`request`] called).
#[inline]
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// Ask every loop to stop (what the signal handler does; also for tests).
pub fn request() {
    REQUESTED.store(true, Ordering::Relaxed);
}

#[cfg(unix)]
extern "C" fn on_sigint(_: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    REQUESTED.store(true, Ordering::Relaxed);
}

/// Route SIGINT to the flag. A second Ctrl-C while the first is being honoured kills
/// the process the default way, for a user who does not want to wait.
pub fn install_handler() {
    #[cfg(unix)]
    // SAFETY: `on_sigint` only performs an atomic store, which is async-signal-safe;
    // SA_RESETHAND restores the default action after the first signal.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigint as *const () as libc::sighandler_t;
        sa.sa_flags = libc::SA_RESETHAND;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGINT, &sa, std::ptr::null_mut());
    }
}

/// Forget a Ctrl-C meant for another program (the command `vpsim record` ran, which
/// shares the terminal) and route the next one to the flag again.
pub fn reset() {
    if REQUESTED.swap(false, Ordering::Relaxed) {
        install_handler();
    }
}

/// The error a trace writer returns once an interrupt was requested.
pub fn io_error() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::Interrupted, "interrupted")
}
