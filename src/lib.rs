//! vpsim: trace-driven simulation of the DragonFly BSD vnode pager
//! (sys/vm/vnode_pager.c) and the VM and buffer-cache machinery around it.
//!
//! Data flows one way: [`trace`] readers turn a trace file into [`trace::Event`]s, a
//! model ([`engine::Simulator`] for DragonFly, [`models`] for the LRU/OPT yardsticks)
//! consumes them, and the resulting statistics are rendered by the CLI.

pub mod app;
pub mod atomic;
pub mod chunkmap;
pub mod device;
pub mod engine;
pub mod error;
pub mod import;
pub mod info;
pub mod interrupt;
pub mod model;
pub mod models;
pub mod params;
pub mod policies;
pub mod progress;
pub mod report;
pub mod run;
pub mod spec;
pub mod stats;
pub mod sweep;
pub mod trace;
pub mod units;
pub mod workloads;
