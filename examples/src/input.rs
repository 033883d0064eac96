//! Checks of what callers pass in, so that bad input is refused before anything is written.

use crate::error::{Error, Result};

/// The largest amount of one operation: balances are 64-bit signed integers.
pub const MAX_AMOUNT: u64 = i64::MAX as u64;

/// A holder's name: not empty or blank.
///
/// ```
/// assert!(ningipoints::input::check_name("clara").is_ok());
/// assert!(ningipoints::input::check_name("  ").is_err());
/// ```
pub fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::InvalidInput("the name is empty".to_owned()));
    }
    Ok(())
}

/// An email address: exactly one `@`, with text on both sides, and no whitespace.
///
/// ```
/// use ningipoints::input::check_email;
///
/// assert!(check_email("clara@42sp.org.br").is_ok());
/// for bad in ["clara", "@42sp.org.br", "clara@", "a@b@c", "cla ra@x.org"] {
///     assert!(check_email(bad).is_err(), "{bad}");
/// }
/// ```
pub fn check_email(email: &str) -> Result<()> {
    let invalid = |why: &str| {
        Err(Error::InvalidInput(format!(
            "invalid email {email:?}: {why}"
        )))
    };
    match email.split_once('@') {
        None => invalid("it has no `@`"),
        Some((_, domain)) if domain.contains('@') => invalid("it has more than one `@`"),
        Some(("", _)) => invalid("nothing before the `@`"),
        Some((_, "")) => invalid("nothing after the `@`"),
        Some(_) if email.chars().any(char::is_whitespace) => invalid("it contains whitespace"),
        Some(_) => Ok(()),
    }
}

/// An operation's amount: from 1 to [`MAX_AMOUNT`].
///
/// ```
/// use ningipoints::input::check_amount;
///
/// assert!(check_amount(1).is_ok());
/// assert!(check_amount(0).is_err());
/// assert!(check_amount(u64::MAX).is_err());
/// ```
pub fn check_amount(amount: u64) -> Result<()> {
    if amount == 0 || amount > MAX_AMOUNT {
        return Err(Error::InvalidInput(format!(
            "invalid amount {amount}: it must be a whole number from 1 to {MAX_AMOUNT}"
        )));
    }
    Ok(())
}
