//! Progress on stderr for anything that may take longer than a second: shown only on a
//! terminal and only once the work has run for a second, so short commands and
//! redirected runs stay silent (and their output is the same either way).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// How long work runs before its bar appears.
const GRACE: Duration = Duration::from_secs(1);

/// A bar of events processed, updated by the caller's loop (which knows when it
/// has news) rather than by a timer.
pub struct EventBar {
    bar: ProgressBar,
    start: Instant,
    shown: bool,
    tty: bool,
    verb: &'static str,
}

impl EventBar {
    /// A bar whose label says what is being done to the events ("replaying").
    pub fn new(verb: &'static str) -> EventBar {
        EventBar {
            bar: ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()),
            start: Instant::now(),
            shown: false,
            tty: std::io::stderr().is_terminal(),
            verb,
        }
    }

    /// `events` done so far, out of `total` when the input's length is known.
    pub fn update(&mut self, events: u64, total: Option<u64>) {
        if !self.tty {
            return;
        }
        if !self.shown && self.start.elapsed() > GRACE {
            self.shown = true;
            let style = ProgressStyle::with_template(&format!(
                "{{spinner}} {} [{{bar:40}}] {{human_pos}}/{{human_len}} events, {{per_sec}}, eta {{eta}}",
                self.verb
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            self.bar.set_style(style);
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        if let Some(t) = total {
            // Set every time: a one-pass CSV replay refines its estimate as it reads.
            self.bar.set_length(t);
        }
        self.bar.set_position(events);
    }

    /// Clear the bar (if it was ever shown).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Run `work` with a bar of `total` configurations on stderr. A helper thread waits
/// out the grace second, so a batch of a few slow configurations still shows the bar
/// before the first one finishes; `work` ticks it with `inc(1)` from any thread and
/// may set a message (appended after the count).
pub fn with_count_bar<T>(total: u64, what: &str, work: impl FnOnce(&ProgressBar) -> T) -> T {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    let tty = std::io::stderr().is_terminal();
    let (done_tx, done_rx) = channel::<()>();
    let res = std::thread::scope(|scope| {
        if tty {
            let b = bar.clone();
            scope.spawn(move || {
                // Disconnected (the work ended) within the second: never show the bar.
                if let Err(RecvTimeoutError::Timeout) = done_rx.recv_timeout(GRACE) {
                    let style = ProgressStyle::with_template(&format!(
                        "{{spinner}} {what} [{{bar:30}}] {{pos}}/{{len}} configs{{msg}}, {{elapsed}}, eta {{eta}}"
                    ))
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
                    b.set_style(style);
                    b.set_draw_target(ProgressDrawTarget::stderr());
                    b.enable_steady_tick(Duration::from_millis(200));
                }
            });
        }
        let r = work(&bar);
        drop(done_tx);
        r
    });
    bar.finish_and_clear();
    res
}
