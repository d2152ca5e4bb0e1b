//! The binary trace form (`.vpt`) (in progress).

/// Convert the CSV trace at `csv` into the binary form at `out`.
pub fn convert_csv_to_binary(csv: &str, out: &str) -> Result<u64, String> {
    let _ = (csv, out);
    Err("the binary form is not built yet".into())
}
