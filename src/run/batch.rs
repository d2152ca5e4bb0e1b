//! Many configurations over one loaded trace, in parallel: the one runner `compare`
//! and `sweep` share. Each configuration runs on a rayon worker with its panics caught
//! (an engine bug in one configuration must not lose the others); results come back to
//! the calling thread as they complete — so the caller can count, print or write them
//! there, outside the workers — and in configuration order at the end.

use super::{LoadedTrace, RunConfig, RunError, RunOutput, SinkFactory, run_loaded_logged};
use rayon::prelude::*;
use std::fmt;
use std::sync::mpsc;

/// Why one configuration of a batch has no result.
#[derive(Debug)]
pub enum RowError {
    /// The run returned an error (bad configuration, or a trace error).
    Run(RunError),
    /// The engine panicked on this configuration (a bug); the message of the panic.
    Panic(String),
}

impl RowError {
    /// Whether this is a configuration error (exit code 2 when every row has one).
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            RowError::Run(RunError::Config(_) | RunError::Stuck(_))
        )
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowError::Run(e) => write!(f, "{e}"),
            RowError::Panic(m) => write!(f, "internal error (the simulator panicked): {m}"),
        }
    }
}

/// What one configuration gave.
pub type RowResult = Result<RunOutput, RowError>;

/// The message of a caught panic (a `&str` or `String` payload, as `panic!` makes).
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}

/// Worker threads for `jobs` (0 = every core) and `n` configurations.
pub fn threads(jobs: usize, n: usize) -> usize {
    let j = if jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        jobs
    };
    j.min(n).max(1)
}

/// Run every configuration of `configs` over `trace` on `jobs` threads (0 = every
/// core). `on_done(i, result)` is called on this thread as configuration `i`
/// finishes. After a Ctrl-C no configuration starts, and one cut short is dropped;
/// those are `None` in the returned list, which is in configuration order.
pub fn run_batch(
    trace: &LoadedTrace,
    configs: &[RunConfig],
    jobs: usize,
    on_done: impl FnMut(usize, &RowResult),
) -> Result<Vec<Option<RowResult>>, String> {
    run_batch_logged(trace, configs, jobs, None, on_done)
}

/// [`run_batch`], each configuration writing its device requests to the sink
/// `io_log(i, config)` makes for it (`--io-log` of compare and sweep).
pub fn run_batch_logged(
    trace: &LoadedTrace,
    configs: &[RunConfig],
    jobs: usize,
    io_log: Option<SinkFactory<'_>>,
    mut on_done: impl FnMut(usize, &RowResult),
) -> Result<Vec<Option<RowResult>>, String> {
    let n = threads(jobs, configs.len());
    // A local pool, so `jobs` bounds this batch whatever rayon's global pool is.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("vpsim-run-{i}"))
        .build()
        .map_err(|e| format!("cannot start {n} threads: {e}"))?;
    let mut out: Vec<Option<RowResult>> = (0..configs.len()).map(|_| None).collect();
    let (tx, rx) = mpsc::channel::<(usize, RowResult)>();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            pool.install(|| {
                (0..configs.len())
                    .into_par_iter()
                    .for_each_with(tx, |tx, i| {
                        if crate::interrupt::requested() {
                            return;
                        }
                        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            let mut sink = match io_log {
                                Some(make) => Some(make(i, &configs[i]).map_err(RunError::Output)?),
                                None => None,
                            };
                            run_loaded_logged(
                                trace,
                                &configs[i],
                                sink.as_mut().map(|s| s.as_mut() as _),
                            )
                        }));
                        let r = match r {
                            Ok(Ok(o)) => Ok(o),
                            Ok(Err(e)) => Err(RowError::Run(e)),
                            Err(p) => Err(RowError::Panic(panic_message(p.as_ref()))),
                        };
                        // A run the interrupt cut short has no result.
                        if crate::interrupt::requested() && r.is_err() {
                            return;
                        }
                        let _ = tx.send((i, r));
                    });
            });
        });
        for (i, r) in rx {
            on_done(i, &r);
            out[i] = Some(r);
        }
    });
    Ok(out)
}
