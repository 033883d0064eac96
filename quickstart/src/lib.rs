use dynaschema::Entity;

/// An account: `PK = ACCOUNT#<id>`, `SK = ACCOUNT`.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "ACCOUNT#{id}", sk = "ACCOUNT")] // schema = "schema.toml" checks it at build time
pub struct Account {
    #[dynamo(key_only)] // lives in the key only
    pub id: u64,
    pub name: String,
    pub balance: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynaschema::Table;

    #[dynaschema::test] // a fresh table from schema.toml, on the embedded server
    async fn a_credit_adds_to_the_balance(table: Table) -> dynaschema::Result<()> {
        table
            .put(&Account {
                id: 1,
                name: "clara".into(),
                balance: 0,
            })
            .await?;
        let account = table
            .update(Account::key(1), |u| u.add(Account::BALANCE, 100))
            .await?;
        assert_eq!(account.balance, 100);
        Ok(())
    }
}
