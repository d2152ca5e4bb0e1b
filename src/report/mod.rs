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

/// The extension of an output `path`, lower case ("" if none): every writer picks its
/// format by extension in any case (`R.PARQUET` is Parquet).
pub fn extension(path: &std::path::Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}
