//! The ningipoints command line: accounts, credits and debits, as JSON.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dynaschema::Timestamp;
use ningipoints::{input, Error, Ningipoints, OperationType, Target};
use serde::Serialize;

/// Points accounts in one DynamoDB table: create accounts, credit and debit them, and
/// look them up. Prints JSON on stdout; a lookup that finds nothing prints `null`.
///
/// Exit status: 0 on success; 1 when the account already exists, does not exist, or has
/// too small a balance, or the table cannot be reached (the cause is on stderr); 2 on
/// bad input; 3 when a write may or may not have been applied (its answer was lost and
/// retries did not settle it: look before writing again). Nothing is written on any
/// error but 3.
#[derive(Debug, Parser)]
#[command(version, after_help = "Create the table first with `provision`.")]
struct Cli {
    #[command(flatten)]
    target: Target,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Open an account with a balance of 0
    CreateAccount {
        /// Account number
        #[arg(allow_negative_numbers = true)]
        id: u64,
        /// Holder's name
        name: String,
        /// Holder's email address
        email: String,
    },
    /// Print an account, or null
    GetAccount {
        /// Account number
        #[arg(allow_negative_numbers = true)]
        id: u64,
        /// Add the account's operations, oldest first, as "operations" (one query)
        #[arg(long)]
        with_operations: bool,
    },
    /// Credit or debit an account; a debit never takes the balance below 0
    CreateOperation {
        /// Account number
        #[arg(allow_negative_numbers = true)]
        id: u64,
        /// credit or debit
        #[arg(value_name = "TYPE")]
        kind: OperationType,
        /// Points, a whole number of at least 1
        #[arg(allow_negative_numbers = true, value_parser = parse_amount)]
        amount: u64,
        /// When it happened, RFC 3339 (such as 2026-11-24T21:16:54Z) [default: now]
        #[arg(long, value_name = "RFC3339", value_parser = parse_timestamp)]
        at: Option<Timestamp>,
    },
    /// Print an account's operations, oldest first; with --limit, one page of them
    GetOperations {
        /// Account number
        #[arg(allow_negative_numbers = true)]
        id: u64,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Delete an account and all its operations
    DeleteAccount {
        /// Account number
        #[arg(allow_negative_numbers = true)]
        id: u64,
    },
    /// Print every account, without operations; with --limit, one page of them
    GetAccounts {
        #[command(flatten)]
        page: PageArgs,
    },
    /// Print the account with this email, or null
    GetAccountByEmail {
        /// Email address
        email: String,
    },
}

fn parse_amount(text: &str) -> Result<u64, String> {
    let amount: u64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a whole number of points of at least 1"))?;
    input::check_amount(amount).map_err(|err| err.to_string())?;
    Ok(amount)
}

fn parse_timestamp(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse(text).map_err(|err| err.to_string())
}

/// `--limit N [--cursor C]`: one page instead of the whole list.
#[derive(Debug, clap::Args)]
struct PageArgs {
    /// Print at most N items as {"items": [...], "next": CURSOR or null}; give
    /// `next` to --cursor for the page after
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_limit)]
    limit: Option<usize>,
    /// Where the page starts: the `next` of the page before
    #[arg(long, value_name = "CURSOR", requires = "limit")]
    cursor: Option<String>,
}

fn parse_limit(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{text:?} is not a number of items of at least 1")),
    }
}

/// What a page prints: its items, and the cursor of the next page or null.
#[derive(Serialize)]
struct PageJson<T> {
    items: Vec<T>,
    next: Option<String>,
}

impl<T> From<dynaschema::Page<T>> for PageJson<T> {
    fn from(page: dynaschema::Page<T>) -> Self {
        PageJson {
            items: page.items,
            next: page.next.map(|cursor| cursor.to_string()),
        }
    }
}

/// What `delete-account` prints.
#[derive(Serialize)]
struct Deleted {
    id: u64,
    deleted_operations: usize,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    dynaschema_cli::report::show_warnings();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("ningipoints: {err}");
            match err {
                Error::InvalidInput(_) => ExitCode::from(2),
                Error::Storage(dynaschema::Error::OutcomeUnknown { .. }) => ExitCode::from(3),
                _ => ExitCode::FAILURE,
            }
        }
    }
}

async fn run(cli: Cli) -> ningipoints::Result<String> {
    let mut points = Ningipoints::new(cli.target.connect().await?);
    if let Some(table) = &cli.target.table {
        // The schema's checks on a table name, before any request.
        ningipoints::schema().with_table_name(table)?;
        points = points.with_table_name(table);
    }
    Ok(match cli.command {
        Command::CreateAccount { id, name, email } => {
            json(&points.create_account(id, &name, &email).await?)
        }
        Command::GetAccount {
            id,
            with_operations: false,
        } => json(&points.get_account(id).await?),
        Command::GetAccount {
            id,
            with_operations: true,
        } => json(&points.get_account_with_operations(id).await?),
        Command::CreateOperation {
            id,
            kind,
            amount,
            at,
        } => {
            let at = at.unwrap_or_else(Timestamp::now);
            json(&points.create_operation_at(id, kind, amount, at).await?)
        }
        Command::GetOperations { id, page } => match page.limit {
            Some(limit) => {
                let page = points.get_operations_page(id, limit, page.cursor.as_deref());
                json(&PageJson::from(page.await?))
            }
            None => json(&points.get_operations(id).await?),
        },
        Command::DeleteAccount { id } => json(&Deleted {
            id,
            deleted_operations: points.delete_account(id).await?,
        }),
        Command::GetAccounts { page } => match page.limit {
            Some(limit) => {
                let page = points.get_accounts_page(limit, page.cursor.as_deref());
                json(&PageJson::from(page.await?))
            }
            None => json(&points.get_accounts().await?),
        },
        Command::GetAccountByEmail { email } => json(&points.get_account_by_email(&email).await?),
    })
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("ningipoints values serialize")
}
