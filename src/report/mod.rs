//! Rendering results: tables, JSON and CSV of replays.

pub mod compare;
pub(crate) mod csvout;
pub mod fit;
pub mod flat;
pub mod html;
pub mod info;
pub mod iolog;
pub mod plot;
pub mod query;
pub mod replay;
pub mod results;
pub mod summary;
