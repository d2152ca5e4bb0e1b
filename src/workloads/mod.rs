//! `vpsim gen`: deterministic synthetic workloads (in progress).
