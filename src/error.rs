//! What a command can fail with, and the exit code of each (README "Exit codes"), in
//! one place: 1 for unreadable or malformed input, 2 for bad flags or an impossible
//! configuration, 3 for an output that cannot be written, 101 for an internal error,
//! 130 after Ctrl-C. The binary maps a command's error to its code and message here
//! and nowhere else.

use crate::run::RunError;
use crate::trace::TraceError;

/// A command's failure.
#[derive(Debug, thiserror::Error)]
pub enum CmdError {
    /// Unreadable or malformed input (exit 1).
    #[error("{0}")]
    Input(String),
    /// Bad flags or an impossible configuration (exit 2).
    #[error("{0}")]
    Usage(String),
    /// An output could not be written (exit 3).
    #[error("{0}")]
    Output(String),
    /// A bug: a panic caught in a worker (exit 101).
    #[error("internal error: {0}")]
    Internal(String),
    /// Ctrl-C; the message says what was kept (exit 130).
    #[error("{0}")]
    Interrupted(String),
    /// Failures already reported line by line (e.g. compare's failed rows); only
    /// the exit code is left to give.
    #[error("")]
    Reported(u8),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Trace(#[from] TraceError),
}

impl CmdError {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            CmdError::Input(_) | CmdError::Trace(_) => 1,
            CmdError::Usage(_) => 2,
            CmdError::Output(_) => 3,
            CmdError::Internal(_) => 101,
            CmdError::Interrupted(_) => crate::interrupt::EXIT_CODE,
            CmdError::Reported(c) => *c,
            CmdError::Run(e) => e.exit_code(),
        }
    }

    /// Whether there is a message left to print.
    pub fn has_message(&self) -> bool {
        !matches!(self, CmdError::Reported(_))
    }
}

/// The result of a command.
pub type CmdResult = Result<(), CmdError>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's table of exit codes, variant by variant.
    #[test]
    fn exit_codes_follow_the_readme() {
        let codes = [
            (CmdError::Input("x".into()), 1),
            (CmdError::Usage("x".into()), 2),
            (CmdError::Output("x".into()), 3),
            (CmdError::Internal("x".into()), 101),
            (CmdError::Interrupted("x".into()), 130),
            (CmdError::Reported(1), 1),
            (CmdError::Run(RunError::Config("x".into())), 2),
            (CmdError::Run(RunError::Stuck("x".into())), 2),
            (CmdError::Run(RunError::Interrupted), 130),
        ];
        for (e, c) in codes {
            assert_eq!(e.exit_code(), c, "{e:?}");
        }
        assert_eq!(
            CmdError::Internal("boom".into()).to_string(),
            "internal error: boom"
        );
        assert!(!CmdError::Reported(2).has_message());
    }
}
