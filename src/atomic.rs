//! Outputs written whole or not at all: every file vpsim writes (results, reports,
//! plots, traces) goes to a temporary file beside its destination and is renamed into
//! place when complete, so a crash, a full disk or a Ctrl-C never leaves a half-written
//! file under the real name. The `tempfile` crate gives the temporary file a unique
//! name, removes it if the write fails or is abandoned, and does the rename
//! (`persist`). Created with mode 0666 less the umask, as a plain `File::create`
//! would, not tempfile's private 0600.

use std::fs::Permissions;
use std::io::{self, Write};
use std::path::Path;
use tempfile::{Builder, NamedTempFile, TempPath};

/// A new temporary file in `dest`'s directory (so the final rename stays on one file
/// system), named `.STEM.tmp-XXXXXX.EXT` after the destination (writers that pick a
/// format by extension, such as a PNG encoder, see the right one).
pub fn temp_beside(dest: &Path) -> io::Result<NamedTempFile> {
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let stem = dest
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let suffix = dest
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let prefix = format!(".{stem}.tmp-");
    let mut b = Builder::new();
    b.prefix(&prefix).suffix(&suffix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(Permissions::from_mode(0o666));
    }
    b.tempfile_in(dir)
}

/// Move a finished temporary file to `dest` (replacing what was there).
pub fn persist(tmp: NamedTempFile, dest: &Path) -> io::Result<()> {
    tmp.persist(dest).map(|_| ()).map_err(|e| e.error)
}

/// Move a finished temporary path to `dest` (replacing what was there).
pub fn persist_path(tmp: TempPath, dest: &Path) -> io::Result<()> {
    tmp.persist(dest).map_err(|e| e.error)
}

/// Write `bytes` to `dest` atomically.
pub fn write(dest: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = temp_beside(dest)?;
    tmp.write_all(bytes)?;
    tmp.flush()?;
    persist(tmp, dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file appears whole under its name, with the mode a plain create gives, and
    /// no temporary file is left; a failed write leaves the old file and no litter.
    #[test]
    fn writes_whole_files_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.json");
        write(&dest, b"old").unwrap();
        write(&dest, b"new contents").unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new contents");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "no temporary file left");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let plain = dir.path().join("plain");
            std::fs::File::create(&plain).unwrap();
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dest), mode(&plain));
        }
        let tmp = temp_beside(&dest).unwrap();
        drop(tmp);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
        assert_eq!(std::fs::read(&dest).unwrap(), b"new contents");
    }
}
