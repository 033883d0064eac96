//! What can go wrong in ningipoints.

/// A ningipoints failure: what the caller can act on, or the storage's own error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad input: nothing was written.
    #[error("{0}")]
    InvalidInput(String),

    /// An account with this id exists already; it was left untouched.
    #[error("account {id} already exists")]
    AlreadyExists {
        /// The account id.
        id: u64,
    },

    /// Another account has this email; nothing was written.
    #[error("email already in use by account {id}: {email}")]
    EmailInUse {
        /// The email.
        email: String,
        /// The account that has it.
        id: u64,
    },

    /// No account with this id exists; nothing was written.
    #[error("account {id} does not exist")]
    NotFound {
        /// The account id.
        id: u64,
    },

    /// A debit larger than the balance; nothing was written.
    #[error("account {id} has a balance of {balance}, less than the debit of {amount}")]
    InsufficientBalance {
        /// The account id.
        id: u64,
        /// The balance when the debit was refused.
        balance: i64,
        /// The amount of the debit.
        amount: u64,
    },

    /// The table could not be read or written.
    #[error(transparent)]
    Storage(#[from] dynaschema::Error),
}

/// A shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
