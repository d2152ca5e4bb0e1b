//! Device model; written next.
