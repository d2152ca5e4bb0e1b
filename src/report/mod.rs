//! Rendering results: tables, JSON and CSV of replays.

pub mod compare;
pub mod replay;
