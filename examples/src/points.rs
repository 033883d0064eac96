//! The ningipoints functions: accounts, their credits and debits, and lookups.

use dynaschema::{Condition, Connection, Cursor, Entity, Page, Schema, Table, Timestamp};

use crate::error::{Error, Result};
use crate::input::{check_amount, check_email, check_name};
use crate::model::{Account, AccountItem, AccountWithOperations, Operation, OperationType};

/// The table's schema, as the repository's `schema.toml` declares it.
const SCHEMA: &str = include_str!("../../schema.toml");

/// How many later microseconds an operation tries when another operation of the same
/// account already has its timestamp.
const TIMESTAMP_ATTEMPTS: u32 = 100;

/// The schema the ningipoints table is provisioned from.
///
/// ```
/// assert_eq!(ningipoints::schema().table.name, "ningipoints");
/// ```
pub fn schema() -> Schema {
    Schema::parse(SCHEMA, "schema.toml").expect("the repository's schema.toml is valid")
}

/// A connection as the seed's `get_client` makes one: the local server at
/// `http://localhost:8000`, region `us-east-1` unless one is configured, and dummy
/// credentials unless the environment names some.
///
/// ```no_run
/// # async fn run() -> dynaschema::Result<()> {
/// let connection = ningipoints::get_client().await?;
/// println!("{}", connection.endpoint());
/// # Ok(()) }
/// ```
pub async fn get_client() -> dynaschema::Result<Connection> {
    dynaschema::ClientConfig::local().connect().await
}

/// The points-account API over one table.
///
/// ```no_run
/// # async fn run() -> ningipoints::Result<()> {
/// use ningipoints::{Ningipoints, OperationType};
///
/// let points = Ningipoints::new(ningipoints::get_client().await?);
/// points.create_account(123, "clara", "clara@42sp.org.br").await?;
/// points.create_operation(123, OperationType::Credit, 100).await?;
/// let account = points.get_account(123).await?.expect("just created");
/// assert_eq!(account.balance, 100);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Ningipoints {
    table: Table,
}

impl Ningipoints {
    /// The API over the table `ningipoints` at `connection`.
    pub fn new(connection: Connection) -> Self {
        Ningipoints {
            table: Table::new(connection, schema()),
        }
    }

    /// The same API over a table of another name, such as `dev-ningipoints`.
    pub fn with_table_name(self, name: impl Into<String>) -> Self {
        Ningipoints {
            table: self.table.with_name(name),
        }
    }

    /// The underlying table, for what the API does not cover.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// Opens account `account_id` with a balance of 0. An existing account is
    /// [`Error::AlreadyExists`], and is left untouched; an email another account has is
    /// [`Error::EmailInUse`]. One transaction writes the account and its email's guard.
    pub async fn create_account(
        &self,
        account_id: u64,
        name: &str,
        email: &str,
    ) -> Result<Account> {
        check_name(name)?;
        check_email(email)?;
        let account = Account {
            id: account_id,
            name: name.to_owned(),
            email: email.to_owned(),
            balance: 0,
            created_at: Timestamp::now(),
        };
        match self.table.put(&account).if_not_exists().await {
            Ok(()) => Ok(account),
            Err(dynaschema::Error::AlreadyExists { .. }) => {
                Err(Error::AlreadyExists { id: account_id })
            }
            Err(err) => Err(email_in_use(err)),
        }
    }

    /// The account, if it exists.
    pub async fn get_account(&self, id: u64) -> Result<Option<Account>> {
        Ok(self.table.get(Account::key(id)).await?)
    }

    /// The account with its operations, oldest first, if it exists: its whole partition
    /// in one query, one request per page (one for an account of a few thousand
    /// operations).
    pub async fn get_account_with_operations(
        &self,
        id: u64,
    ) -> Result<Option<AccountWithOperations>> {
        let partition = AccountItem::partition(Account::partition(id));
        let mut account = None;
        let mut operations = Vec::new();
        for item in self.table.query(partition).all().await? {
            match item {
                AccountItem::Account(found) => account = Some(found),
                AccountItem::Operation(operation) => operations.push(operation),
            }
        }
        Ok(account.map(|account| AccountWithOperations {
            account,
            operations,
        }))
    }

    /// Credits or debits account `id` now; see [`create_operation_at`](Self::create_operation_at).
    pub async fn create_operation(
        &self,
        id: u64,
        kind: OperationType,
        amount: u64,
    ) -> Result<Operation> {
        self.create_operation_at(id, kind, amount, Timestamp::now())
            .await
    }

    /// Credits or debits account `id` at `at`, in one transaction: the operation item
    /// is written and the balance changed together, or neither is.
    ///
    /// A missing account is [`Error::NotFound`], a debit above the balance
    /// [`Error::InsufficientBalance`]. When another operation of the account already has
    /// this timestamp, the next free microsecond is used, so that no operation ever
    /// overwrites another; the returned operation has the timestamp stored.
    pub async fn create_operation_at(
        &self,
        id: u64,
        kind: OperationType,
        amount: u64,
        at: Timestamp,
    ) -> Result<Operation> {
        check_amount(amount)?;
        let signed = amount as i64;
        let mut operation = Operation {
            account_id: id,
            kind,
            amount,
            created_at: at,
        };
        for _ in 0..TIMESTAMP_ATTEMPTS {
            let result = self
                .table
                .transact()
                .put_new(&operation)
                .update(Account::key(id), |update| match kind {
                    // The bound keeps the balance a 64-bit integer.
                    OperationType::Credit => update
                        .add(Account::BALANCE, signed)
                        .require(Account::BALANCE.le(i64::MAX - signed)),
                    OperationType::Debit => update
                        .add(Account::BALANCE, -signed)
                        .require(Account::BALANCE.ge(signed)),
                })
                .await;
            let reasons = match result {
                Ok(()) => return Ok(operation),
                Err(dynaschema::Error::TransactionCanceled { reasons }) => reasons,
                Err(err) => return Err(err.into()),
            };
            let failed = |index| {
                reasons
                    .iter()
                    .find(|r| r.index == index && r.code == "ConditionalCheckFailed")
            };
            if let Some(reason) = failed(1) {
                // The account is missing, or its balance too low (or too high): the
                // cancellation reason holds the account as the condition saw it, so the
                // balance reported is the one that refused the operation.
                let account = reason.item.as_ref().map(Account::from_item).transpose()?;
                return Err(match (account, kind) {
                    (None, _) => Error::NotFound { id },
                    (Some(account), OperationType::Debit) => Error::InsufficientBalance {
                        id,
                        balance: account.balance,
                        amount,
                    },
                    (Some(account), OperationType::Credit) => Error::InvalidInput(format!(
                        "a credit of {amount} would take account {id}'s balance of {} past {}",
                        account.balance,
                        i64::MAX
                    )),
                });
            }
            if failed(0).is_none() {
                return Err(dynaschema::Error::TransactionCanceled { reasons }.into());
            }
            operation.created_at =
                Timestamp::from_unix_micros(operation.created_at.as_unix_micros() + 1);
        }
        Err(Error::InvalidInput(format!(
            "account {id} already has operations at each of the {TIMESTAMP_ATTEMPTS} microseconds from {at}"
        )))
    }

    /// Every operation of account `id`, oldest first, across all pages.
    pub async fn get_operations(&self, id: u64) -> Result<Vec<Operation>> {
        Ok(self.table.query(Operation::partition(id)).all().await?)
    }

    /// One page of account `id`'s operations, oldest first: at most `limit` of them,
    /// from the start or from `cursor`, the `next` of the page before. One request per
    /// page. A `limit` of 0, or a cursor that is not one of this account's operation
    /// pages, is [`Error::InvalidInput`], before any request.
    pub async fn get_operations_page(
        &self,
        id: u64,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<Operation>> {
        let cursor = parse_cursor(limit, cursor)?;
        let query = self.table.query(Operation::partition(id)).after(cursor);
        query.page(limit).await.map_err(invalid_cursor)
    }

    /// Deletes account `id` and all its operations, returning how many operations went.
    ///
    /// The account item goes first: from then on, no operation can be added to the
    /// account, since an operation's transaction requires the account. Its operations
    /// are then deleted in batches. If this is interrupted, running it again finishes
    /// the job. An account that is gone with no operations left is [`Error::NotFound`].
    pub async fn delete_account(&self, id: u64) -> Result<usize> {
        let existed = match self
            .table
            .delete(Account::key(id))
            .when(Condition::item_exists(Account::PK_TEMPLATE.attribute()))
            .await
        {
            Ok(()) => true,
            Err(dynaschema::Error::ConditionFailed { .. }) => false,
            Err(err) => return Err(err.into()),
        };
        let operations = self
            .table
            .delete_partition(Operation::partition(id))
            .await?;
        if !existed && operations == 0 {
            return Err(Error::NotFound { id });
        }
        Ok(operations)
    }

    /// Every account, without operations, across all pages. Reads the email index, which
    /// holds account items only, so the accounts' operations are never read.
    pub async fn get_accounts(&self) -> Result<Vec<Account>> {
        let mut accounts = self.table.index(Account::EMAIL_INDEX).scan().all().await?;
        accounts.sort_by_key(|account| account.id);
        Ok(accounts)
    }

    /// One page of at most `limit` accounts, without operations, from the start or from
    /// `cursor`, the `next` of the page before: the email index in its own order (not
    /// by id). One request per page. A `limit` of 0 or a cursor of another read is
    /// [`Error::InvalidInput`], before any request.
    pub async fn get_accounts_page(
        &self,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<Account>> {
        let cursor = parse_cursor(limit, cursor)?;
        let scan = self.table.index(Account::EMAIL_INDEX).scan().after(cursor);
        scan.page(limit).await.map_err(invalid_cursor)
    }

    /// The account with this email, if any, through the email index.
    pub async fn get_account_by_email(&self, email: &str) -> Result<Option<Account>> {
        check_email(email)?;
        Ok(self
            .table
            .query(Account::email_index(email))
            .first()
            .await?)
    }
}

/// [`Error::EmailInUse`] for a violation of the email's uniqueness whose guard names
/// the account holding it; any other error as it is.
fn email_in_use(err: dynaschema::Error) -> Error {
    if let dynaschema::Error::UniqueViolation {
        value,
        holder: Some(holder),
        ..
    } = &err
    {
        let id = Account::PK_TEMPLATE
            .parse_exact::<1>(&holder.partition_key.1)
            .and_then(|[id]| id.parse().ok());
        if let Some(id) = id {
            return Error::EmailInUse {
                email: value.clone(),
                id,
            };
        }
    }
    err.into()
}

/// The cursor a caller gave, checked with the page size before any request.
fn parse_cursor(limit: usize, cursor: Option<&str>) -> Result<Option<Cursor>> {
    if limit == 0 {
        return Err(Error::InvalidInput(
            "a page holds at least 1 item: give a limit of 1 or more".to_owned(),
        ));
    }
    cursor
        .map(|text| text.parse::<Cursor>())
        .transpose()
        .map_err(|err| Error::InvalidInput(err.to_string()))
}

/// A cursor of another read is the caller's mistake, as an unreadable one is.
fn invalid_cursor(err: dynaschema::Error) -> Error {
    match err {
        dynaschema::Error::InvalidCursor { .. } => Error::InvalidInput(err.to_string()),
        err => err.into(),
    }
}
