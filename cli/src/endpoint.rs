//! Where a command talks: the flags every program of the toolkit shares (`--endpoint`,
//! `--local`, `--region`, `--profile`), read with the AWS environment and profile as the
//! AWS CLI reads them (see `dynaschema::client::settings`), and the confirmation asked
//! before destructive changes to a table that is not on this machine.
//!
//! ```
//! use clap::Parser;
//! use dynaschema_cli::endpoint::EndpointArgs;
//!
//! #[derive(Parser)]
//! struct Cli {
//!     #[command(flatten)]
//!     endpoint: EndpointArgs,
//! }
//!
//! let cli = Cli::parse_from(["cli", "--local"]);
//! let settings = cli.endpoint.config().settings()?;
//! assert_eq!(settings.endpoint.value, "http://localhost:8000");
//! # Ok::<(), dynaschema::Error>(())
//! ```

use std::io::{BufRead, IsTerminal, Write};

use dynaschema::client::settings::Settings;
use dynaschema::{ClientConfig, Error, Result};

/// The flags that choose where a program talks.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EndpointArgs {
    /// DynamoDB endpoint URL [default: $AWS_ENDPOINT_URL_DYNAMODB, $AWS_ENDPOINT_URL, the
    /// profile's endpoint_url, else DynamoDB's endpoint in the region]
    #[arg(long, value_name = "URL", global = true, conflicts_with = "local")]
    pub endpoint: Option<String>,

    /// Talk to the local server at http://localhost:8000 (region us-east-1 unless one is
    /// set, dummy credentials unless some are configured)
    #[arg(long, global = true)]
    pub local: bool,

    /// AWS region [default: $AWS_REGION, $AWS_DEFAULT_REGION, else the profile's region]
    #[arg(long, value_name = "NAME", global = true)]
    pub region: Option<String>,

    /// Profile of the shared AWS files (~/.aws/config) [default: $AWS_PROFILE, else
    /// default]
    #[arg(long, value_name = "NAME", global = true)]
    pub profile: Option<String>,
}

impl EndpointArgs {
    /// The client settings the flags give; the environment and the profile fill the rest.
    pub fn config(&self) -> ClientConfig {
        let mut config = if self.local {
            ClientConfig::local()
        } else {
            ClientConfig::new()
        };
        if let Some(endpoint) = &self.endpoint {
            config = config.endpoint(endpoint);
        }
        if let Some(region) = &self.region {
            config = config.region(region);
        }
        if let Some(profile) = &self.profile {
            config = config.profile(profile);
        }
        config
    }
}

/// Says on stderr, before a command changes anything, what it changes and where:
/// `program: apply to table T at URL (region R)`.
pub fn announce(program: &str, what: &str, table: &str, settings: &Settings) {
    eprintln!(
        "{program}: {what} table {table} at {} (region {})",
        settings.endpoint.value, settings.region.value
    );
}

/// What to do before destructive steps run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// Nothing to confirm: no destructive step, the table is on this machine, or `--yes`.
    NotNeeded,
    /// Ask on the terminal.
    Ask,
    /// Refuse: no terminal to ask on, and no `--yes`.
    Refuse,
}

impl Confirmation {
    /// Whether `destructive` steps (a count) need confirming against a table that is
    /// `remote` or not, given `--yes` and whether a terminal can answer.
    ///
    /// ```
    /// use dynaschema_cli::endpoint::Confirmation;
    ///
    /// assert_eq!(Confirmation::decide(2, true, false, false), Confirmation::Refuse);
    /// assert_eq!(Confirmation::decide(2, false, false, false), Confirmation::NotNeeded);
    /// ```
    pub fn decide(destructive: usize, remote: bool, yes: bool, terminal: bool) -> Confirmation {
        match (destructive > 0 && remote, yes, terminal) {
            (false, _, _) | (true, true, _) => Confirmation::NotNeeded,
            (true, false, true) => Confirmation::Ask,
            (true, false, false) => Confirmation::Refuse,
        }
    }
}

/// Asks, when [`Confirmation::decide`] says so, before `steps` remove something from
/// `table` at a remote endpoint; an error when refused or not confirmed, so that nothing
/// changes.
pub fn confirm_destructive(
    program: &str,
    table: &str,
    settings: &Settings,
    steps: &[String],
    yes: bool,
) -> Result<()> {
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let remote = !settings.is_loopback();
    let endpoint = &settings.endpoint.value;
    match Confirmation::decide(steps.len(), remote, yes, terminal) {
        Confirmation::NotNeeded => Ok(()),
        Confirmation::Refuse => Err(Error::Config(format!(
            "apply would run {} destructive step(s) on table {table} at {endpoint}, which is not \
             on this machine: {}. Nothing was changed; run `{program} plan` to review them, \
             then `{program} apply --allow-destructive --yes` to run them without being asked",
            steps.len(),
            steps.join("; ")
        ))),
        Confirmation::Ask => {
            let mut stderr = std::io::stderr();
            let _ = writeln!(
                stderr,
                "{program}: these steps remove something from table {table} at {endpoint}:"
            );
            for step in steps {
                let _ = writeln!(stderr, "  {step}");
            }
            let _ = write!(stderr, "Type the table's name to run them: ");
            let _ = stderr.flush();
            let mut answer = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut answer)
                .map_err(|err| Error::Config(format!("cannot read the answer: {err}")))?;
            if answer.trim() == table {
                Ok(())
            } else {
                Err(Error::Config(format!(
                    "not confirmed: nothing was changed on table {table} at {endpoint}"
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_destructive_steps_on_a_remote_table_are_confirmed() {
        use Confirmation::*;
        for (destructive, remote, yes, terminal, expected) in [
            (0, true, false, false, NotNeeded),
            (1, false, false, false, NotNeeded),
            (1, false, false, true, NotNeeded),
            (1, true, true, false, NotNeeded),
            (1, true, true, true, NotNeeded),
            (1, true, false, true, Ask),
            (3, true, false, false, Refuse),
        ] {
            assert_eq!(
                Confirmation::decide(destructive, remote, yes, terminal),
                expected,
                "{destructive} {remote} {yes} {terminal}"
            );
        }
    }
}
