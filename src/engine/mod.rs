//! The DragonFly model: one file per kernel concept, kernel names kept.

pub mod device;
pub mod stats;
