//! The plan: the steps that bring a live table to its schema, in an order DynamoDB accepts.

use std::fmt;

use crate::client::Connection;
use crate::error::{Error, Result};
use crate::live;
use crate::schema::{Billing, GlobalIndex, KeyAttribute, Schema, StreamView, Throughput};

/// How a step shows in a plan: `+` adds, `~` changes, `-` removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Creates something: a table, an index, a stream, TTL, deletion protection.
    Add,
    /// Changes something that stays: billing, capacity, an index's definition, the stream's
    /// view, the TTL attribute.
    Change,
    /// Removes something: an index, the stream, TTL, deletion protection.
    Remove,
}

impl Change {
    /// `+`, `~` or `-`.
    pub fn symbol(self) -> char {
        match self {
            Change::Add => '+',
            Change::Change => '~',
            Change::Remove => '-',
        }
    }
}

/// A global secondary index's new capacity, within a billing or capacity change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexCapacity {
    /// The index name.
    pub index: String,
    /// Its capacity now; `None` when the table is on demand.
    pub from: Option<Throughput>,
    /// Its capacity after the step.
    pub to: Throughput,
}

/// One change to a table. [`Plan::diff`] orders them so that each is legal when its turn
/// comes; each is one request to DynamoDB, except the three that remove something and add
/// it back ([`ReplaceIndex`](Step::ReplaceIndex), [`ChangeStream`](Step::ChangeStream),
/// [`MoveTtl`](Step::MoveTtl)), which are two.
///
/// Its `Display` is the plan's line without the symbol:
///
/// ```
/// use dynaschema::migrate::{Change, Step};
///
/// let step = Step::EnableTtl("expires_at".to_owned());
/// assert_eq!(step.change(), Change::Add);
/// assert_eq!(step.to_string(), "TTL on attribute expires_at");
/// assert!(Step::DisableTtl("expires_at".to_owned()).is_destructive());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// CreateTable with keys, billing, indexes, stream and deletion protection: everything
    /// but TTL, which DynamoDB sets only on an existing table.
    CreateTable(Box<Schema>),
    /// Turn deletion protection on.
    EnableDeletionProtection,
    /// Remove a global secondary index. Destructive.
    RemoveIndex(GlobalIndex),
    /// Change the billing mode, or the provisioned capacity of the table or its indexes.
    ChangeBilling {
        /// The billing now.
        from: Billing,
        /// The billing after the step.
        to: Billing,
        /// The indexes whose capacity is set in the same request: all of them when the
        /// table turns provisioned, those whose capacity changes otherwise.
        indexes: Vec<IndexCapacity>,
    },
    /// Remove an index whose keys or projection change and add it back as declared: DynamoDB
    /// cannot change either in place. Destructive: the index is missing in between.
    ReplaceIndex {
        /// The index now.
        from: Box<GlobalIndex>,
        /// The index as declared.
        to: Box<GlobalIndex>,
    },
    /// Add a global secondary index; DynamoDB fills it from the table's items.
    AddIndex(GlobalIndex),
    /// Enable the stream.
    EnableStream(StreamView),
    /// Disable the stream. Destructive: its readers stop receiving changes.
    DisableStream(StreamView),
    /// Disable the stream and enable it with another view: a new stream, which readers
    /// must move to. Destructive.
    ChangeStream {
        /// The view now.
        from: StreamView,
        /// The view declared.
        to: StreamView,
    },
    /// Enable TTL on an attribute.
    EnableTtl(String),
    /// Disable TTL. Destructive: items stop expiring.
    DisableTtl(String),
    /// Disable TTL on one attribute and enable it on another. Destructive. DynamoDB may
    /// refuse the second half for up to an hour after the first; applying again then
    /// finishes it.
    MoveTtl {
        /// The attribute now.
        from: String,
        /// The attribute declared.
        to: String,
    },
    /// Turn deletion protection off. Destructive: the table can then be deleted.
    DisableDeletionProtection,
}

impl Step {
    /// Whether the step adds, changes or removes.
    pub fn change(&self) -> Change {
        match self {
            Step::CreateTable(_)
            | Step::EnableDeletionProtection
            | Step::AddIndex(_)
            | Step::EnableStream(_)
            | Step::EnableTtl(_) => Change::Add,
            Step::ChangeBilling { .. }
            | Step::ReplaceIndex { .. }
            | Step::ChangeStream { .. }
            | Step::MoveTtl { .. } => Change::Change,
            Step::RemoveIndex(_)
            | Step::DisableStream(_)
            | Step::DisableTtl(_)
            | Step::DisableDeletionProtection => Change::Remove,
        }
    }

    /// Whether the step removes something that exists: an index, the stream, TTL or
    /// deletion protection, including the steps that remove one thing to add another.
    /// [`apply`](super::apply()) runs such steps only when allowed.
    pub fn is_destructive(&self) -> bool {
        matches!(
            self,
            Step::RemoveIndex(_)
                | Step::ReplaceIndex { .. }
                | Step::DisableStream(_)
                | Step::ChangeStream { .. }
                | Step::DisableTtl(_)
                | Step::MoveTtl { .. }
                | Step::DisableDeletionProtection
        )
    }

    /// The past tense of the step, as progress reports it: `created`, `added`, `enabled`...
    pub fn verb(&self) -> &'static str {
        match self {
            Step::CreateTable(_) => "created",
            Step::AddIndex(_) => "added",
            Step::RemoveIndex(_) => "removed",
            Step::EnableDeletionProtection | Step::EnableStream(_) | Step::EnableTtl(_) => {
                "enabled"
            }
            Step::DisableDeletionProtection | Step::DisableStream(_) | Step::DisableTtl(_) => {
                "disabled"
            }
            Step::ChangeBilling { .. }
            | Step::ReplaceIndex { .. }
            | Step::ChangeStream { .. }
            | Step::MoveTtl { .. } => "changed",
        }
    }

    /// The steps of one request each that make this step, in order: the step itself, or
    /// for a step that removes and adds, the removal and then the addition.
    pub fn parts(&self) -> Vec<Step> {
        match self {
            Step::ReplaceIndex { from, to } => {
                vec![
                    Step::RemoveIndex((**from).clone()),
                    Step::AddIndex((**to).clone()),
                ]
            }
            Step::ChangeStream { from, to } => {
                vec![Step::DisableStream(*from), Step::EnableStream(*to)]
            }
            Step::MoveTtl { from, to } => {
                vec![Step::DisableTtl(from.clone()), Step::EnableTtl(to.clone())]
            }
            step => vec![step.clone()],
        }
    }

    /// Changes `state`, the table as it is (`None`: missing), as the step changes the live
    /// table.
    pub fn apply_to(&self, state: &mut Option<Schema>) {
        if let Step::CreateTable(schema) = self {
            *state = Some((**schema).clone());
            return;
        }
        let Some(schema) = state else {
            return;
        };
        let table = &mut schema.table;
        match self {
            Step::CreateTable(_) => {}
            Step::EnableDeletionProtection => table.deletion_protection = true,
            Step::DisableDeletionProtection => table.deletion_protection = false,
            Step::RemoveIndex(index) => schema.indexes.retain(|i| i.name != index.name),
            Step::AddIndex(index) => {
                schema.indexes.retain(|i| i.name != index.name);
                schema.indexes.push(index.clone());
                schema.indexes.sort_by(|a, b| a.name.cmp(&b.name));
            }
            Step::ReplaceIndex { to, .. } => {
                for index in &mut schema.indexes {
                    if index.name == to.name {
                        *index = (**to).clone();
                    }
                }
            }
            Step::ChangeBilling { to, indexes, .. } => {
                table.billing = *to;
                for index in &mut schema.indexes {
                    match to {
                        Billing::PayPerRequest => index.throughput = None,
                        Billing::Provisioned(_) => {
                            if let Some(capacity) = indexes.iter().find(|c| c.index == index.name) {
                                index.throughput = Some(capacity.to);
                            }
                        }
                    }
                }
            }
            Step::EnableStream(view) | Step::ChangeStream { to: view, .. } => {
                table.stream = Some(*view)
            }
            Step::DisableStream(_) => table.stream = None,
            Step::EnableTtl(attribute) | Step::MoveTtl { to: attribute, .. } => {
                table.ttl_attribute = Some(attribute.clone())
            }
            Step::DisableTtl(_) => table.ttl_attribute = None,
        }
    }
}

fn key_text(key: Option<&KeyAttribute>) -> String {
    key.map_or_else(|| "none".to_owned(), KeyAttribute::to_string)
}

fn throughput_text(throughput: Option<Throughput>) -> String {
    throughput.map_or_else(
        || "on demand".to_owned(),
        |t| format!("read {}, write {}", t.read, t.write),
    )
}

fn index_text(f: &mut fmt::Formatter<'_>, index: &GlobalIndex) -> fmt::Result {
    write!(
        f,
        "index {}: partition key {}",
        index.name, index.partition_key
    )?;
    if let Some(sort_key) = &index.sort_key {
        write!(f, ", sort key {sort_key}")?;
    }
    write!(f, ", projection {}", index.projection)
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::CreateTable(schema) => {
                let table = &schema.table;
                write!(f, "table {}: {table}", table.name)?;
                let names = |names: Vec<&str>| names.join(", ");
                match schema.indexes.len() {
                    0 => {}
                    1 => write!(f, ", with index {}", schema.indexes[0].name)?,
                    _ => write!(
                        f,
                        ", with indexes {}",
                        names(schema.indexes.iter().map(|i| i.name.as_str()).collect())
                    )?,
                }
                match schema.local_indexes.len() {
                    0 => Ok(()),
                    1 => write!(f, ", with local index {}", schema.local_indexes[0].name),
                    _ => write!(
                        f,
                        ", with local indexes {}",
                        names(
                            schema
                                .local_indexes
                                .iter()
                                .map(|i| i.name.as_str())
                                .collect()
                        )
                    ),
                }
            }
            Step::EnableDeletionProtection | Step::DisableDeletionProtection => {
                f.write_str("deletion protection")
            }
            Step::RemoveIndex(index) => index_text(f, index),
            Step::AddIndex(index) => {
                index_text(f, index)?;
                match index.throughput {
                    Some(throughput) => write!(f, ", {}", throughput_text(Some(throughput))),
                    None => Ok(()),
                }
            }
            Step::ChangeBilling { from, to, indexes } => {
                if from == to {
                    f.write_str("capacity")?;
                } else {
                    write!(f, "billing: {from} -> {to}")?;
                }
                for (i, capacity) in indexes.iter().enumerate() {
                    let separator = if i == 0 && from == to { ": " } else { "; " };
                    write!(
                        f,
                        "{separator}index {}: {} -> {}",
                        capacity.index,
                        throughput_text(capacity.from),
                        throughput_text(Some(capacity.to))
                    )?;
                }
                Ok(())
            }
            Step::ReplaceIndex { from, to } => {
                let mut changes = Vec::new();
                if from.partition_key != to.partition_key {
                    changes.push(format!(
                        "partition key {} -> {}",
                        from.partition_key, to.partition_key
                    ));
                }
                if from.sort_key != to.sort_key {
                    changes.push(format!(
                        "sort key {} -> {}",
                        key_text(from.sort_key.as_ref()),
                        key_text(to.sort_key.as_ref())
                    ));
                }
                if from.projection != to.projection {
                    changes.push(format!(
                        "projection {} -> {}",
                        from.projection, to.projection
                    ));
                }
                write!(
                    f,
                    "index {}: {} (removed, then added again)",
                    to.name,
                    changes.join(", ")
                )
            }
            Step::EnableStream(view) | Step::DisableStream(view) => write!(f, "stream {view}"),
            Step::ChangeStream { from, to } => write!(
                f,
                "stream: {from} -> {to} (disabled, then enabled: readers move to the new stream)"
            ),
            Step::EnableTtl(attribute) | Step::DisableTtl(attribute) => {
                write!(f, "TTL on attribute {attribute}")
            }
            Step::MoveTtl { from, to } => write!(
                f,
                "TTL attribute: {from} -> {to} (disabled, then enabled; DynamoDB may refuse the \
                 enable for up to an hour, then apply again)"
            ),
        }
    }
}

/// The steps that bring a table to its schema, in the order they must run.
///
/// Its `Display` is the readable diff `provision plan` prints: one line per step,
/// `+` adds, `~` changes, `-` removes, destructive steps marked, then a count.
///
/// ```
/// use dynaschema::migrate::Plan;
/// use dynaschema::Schema;
///
/// let wanted = Schema::parse(
///     r#"
///     [table]
///     name = "ningipoints"
///     partition_key = { name = "PK", type = "S" }
///     sort_key = { name = "SK", type = "S" }
///     ttl_attribute = "expires_at"
///
///     [[index]]
///     name = "EmailIndex"
///     partition_key = { name = "email", type = "S" }
///     projection = "ALL"
///     "#,
///     "schema.toml",
/// )?;
/// let mut live = wanted.clone();
/// live.indexes.clear();
/// live.table.ttl_attribute = None;
///
/// let plan = Plan::diff(Some(&live), &wanted)?;
/// assert_eq!(
///     plan.to_string(),
///     "+ index EmailIndex: partition key email (S), projection ALL\n\
///      + TTL on attribute expires_at\n\
///      Plan: 2 to add, 0 to change, 0 to remove.\n"
/// );
/// assert!(Plan::diff(Some(&wanted), &wanted)?.is_empty());
/// # Ok::<(), dynaschema::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The table the plan is for.
    pub table: String,
    /// The steps, in the order they run.
    pub steps: Vec<Step>,
}

impl Plan {
    /// Reads the live table (DescribeTable, DescribeTimeToLive) and diffs it against
    /// `wanted`.
    pub async fn for_table(connection: &Connection, wanted: &Schema) -> Result<Plan> {
        let live = live::describe(connection, &wanted.table.name).await?;
        Plan::diff(live.as_ref(), wanted)
    }

    /// The steps from `live` (`None`: the table is missing) to `wanted`.
    ///
    /// The order: create the table (then enable its TTL); otherwise turn deletion
    /// protection on first, remove indexes (freeing their names, attributes and the index
    /// limit), change billing and capacity (the indexes then present get theirs in the same
    /// request, as DynamoDB requires when a table turns provisioned), replace and add
    /// indexes (with the billing now in force), then the stream and TTL, and turn deletion
    /// protection off last.
    ///
    /// A different table key schema or different local secondary indexes are
    /// [`Error::NotInPlace`]: DynamoDB fixes both when it creates a table.
    pub fn diff(live: Option<&Schema>, wanted: &Schema) -> Result<Plan> {
        let table = wanted.table.name.clone();
        let Some(live) = live else {
            let mut created = wanted.clone();
            created.table.ttl_attribute = None;
            let mut steps = vec![Step::CreateTable(Box::new(created))];
            if let Some(attribute) = &wanted.table.ttl_attribute {
                steps.push(Step::EnableTtl(attribute.clone()));
            }
            return Ok(Plan { table, steps });
        };
        refuse_what_cannot_change(live, wanted)?;

        let (now, then) = (&live.table, &wanted.table);
        let mut steps = Vec::new();
        if then.deletion_protection && !now.deletion_protection {
            steps.push(Step::EnableDeletionProtection);
        }

        let mut replaced = Vec::new();
        for index in &live.indexes {
            match wanted.index(&index.name) {
                None => steps.push(Step::RemoveIndex(index.clone())),
                Some(declared) if !same_definition(index, declared) => {
                    replaced.push(Step::ReplaceIndex {
                        from: Box::new(index.clone()),
                        to: Box::new(declared.clone()),
                    })
                }
                Some(_) => {}
            }
        }

        if let Some(step) = billing_step(live, wanted) {
            steps.push(step);
        }
        steps.extend(replaced);
        for index in &wanted.indexes {
            if live.index(&index.name).is_none() {
                steps.push(Step::AddIndex(index.clone()));
            }
        }

        match (now.stream, then.stream) {
            (None, Some(view)) => steps.push(Step::EnableStream(view)),
            (Some(view), None) => steps.push(Step::DisableStream(view)),
            (Some(from), Some(to)) if from != to => steps.push(Step::ChangeStream { from, to }),
            _ => {}
        }
        match (&now.ttl_attribute, &then.ttl_attribute) {
            (None, Some(attribute)) => steps.push(Step::EnableTtl(attribute.clone())),
            (Some(attribute), None) => steps.push(Step::DisableTtl(attribute.clone())),
            (Some(from), Some(to)) if from != to => steps.push(Step::MoveTtl {
                from: from.clone(),
                to: to.clone(),
            }),
            _ => {}
        }
        if now.deletion_protection && !then.deletion_protection {
            steps.push(Step::DisableDeletionProtection);
        }
        Ok(Plan { table, steps })
    }

    /// Whether the table matches its schema: nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The steps that remove something (see [`Step::is_destructive`]).
    pub fn destructive_steps(&self) -> Vec<&Step> {
        self.steps.iter().filter(|s| s.is_destructive()).collect()
    }

    /// The destructive steps as the plan prints them, without their mark: what a refusal
    /// or a confirmation lists.
    ///
    /// ```
    /// use dynaschema::migrate::Plan;
    /// use dynaschema::Schema;
    ///
    /// let table = "[table]\nname = \"orders\"\npartition_key = { name = \"PK\", type = \"S\" }\n";
    /// let live = Schema::parse(&format!("{table}stream = \"KEYS_ONLY\"\n"), "live.toml")?;
    /// let wanted = Schema::parse(table, "schema.toml")?;
    /// let plan = Plan::diff(Some(&live), &wanted)?;
    /// assert_eq!(plan.destructive_lines(), ["- stream KEYS_ONLY"]);
    /// # Ok::<(), dynaschema::Error>(())
    /// ```
    pub fn destructive_lines(&self) -> Vec<String> {
        self.destructive_steps()
            .into_iter()
            .map(step_line)
            .collect()
    }

    /// How many steps add, change or remove.
    pub fn count(&self, change: Change) -> usize {
        self.steps.iter().filter(|s| s.change() == change).count()
    }

    /// The plan's last line: `Plan: 1 to add, 0 to change, 1 to remove.`
    pub fn summary(&self) -> String {
        format!(
            "Plan: {} to add, {} to change, {} to remove.",
            self.count(Change::Add),
            self.count(Change::Change),
            self.count(Change::Remove)
        )
    }
}

/// The line of a step in a plan: symbol, step, and a mark when it is destructive.
pub(crate) fn plan_line(step: &Step) -> String {
    let mark = if step.is_destructive() {
        "  (destructive)"
    } else {
        ""
    };
    format!("{}{mark}", step_line(step))
}

/// A step's symbol and the step.
fn step_line(step: &Step) -> String {
    format!("{} {step}", step.change().symbol())
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return writeln!(f, "No changes: table {} matches the schema.", self.table);
        }
        for step in &self.steps {
            writeln!(f, "{}", plan_line(step))?;
        }
        writeln!(f, "{}", self.summary())
    }
}

/// Keys and projection: what an index cannot change in place. Capacity can.
fn same_definition(a: &GlobalIndex, b: &GlobalIndex) -> bool {
    a.partition_key == b.partition_key && a.sort_key == b.sort_key && a.projection == b.projection
}

/// The billing or capacity change from `live` to `wanted`, if any.
fn billing_step(live: &Schema, wanted: &Schema) -> Option<Step> {
    let (from, to) = (live.table.billing, wanted.table.billing);
    let declared = |name: &str, fallback: Throughput| {
        wanted
            .index(name)
            .and_then(|index| index.throughput)
            .unwrap_or(fallback)
    };
    match (from, to) {
        (Billing::PayPerRequest, Billing::PayPerRequest) => None,
        (Billing::Provisioned(_), Billing::PayPerRequest) => Some(Step::ChangeBilling {
            from,
            to,
            indexes: Vec::new(),
        }),
        // Every index present at that point (kept or about to be replaced) needs a
        // capacity in the same request.
        (Billing::PayPerRequest, Billing::Provisioned(table)) => Some(Step::ChangeBilling {
            from,
            to,
            indexes: live
                .indexes
                .iter()
                .filter(|index| wanted.index(&index.name).is_some())
                .map(|index| IndexCapacity {
                    index: index.name.clone(),
                    from: None,
                    to: declared(&index.name, table),
                })
                .collect(),
        }),
        // Replaced indexes get their capacity when they are added again.
        (Billing::Provisioned(_), Billing::Provisioned(table)) => {
            let indexes: Vec<_> = live
                .indexes
                .iter()
                .filter_map(|index| {
                    let declared = wanted.index(&index.name)?;
                    let to = declared.throughput.unwrap_or(table);
                    (same_definition(index, declared) && index.throughput != Some(to)).then(|| {
                        IndexCapacity {
                            index: index.name.clone(),
                            from: index.throughput,
                            to,
                        }
                    })
                })
                .collect();
            (from != to || !indexes.is_empty()).then_some(Step::ChangeBilling { from, to, indexes })
        }
    }
}

/// [`Error::NotInPlace`] listing what differs in the key schema and local indexes.
fn refuse_what_cannot_change(live: &Schema, wanted: &Schema) -> Result<()> {
    let mut reasons = Vec::new();
    let (now, then) = (&live.table, &wanted.table);
    if now.partition_key != then.partition_key {
        reasons.push(format!(
            "its partition key is {} and the schema's is {}",
            now.partition_key, then.partition_key
        ));
    }
    if now.sort_key != then.sort_key {
        reasons.push(format!(
            "its sort key is {} and the schema's is {}",
            key_text(now.sort_key.as_ref()),
            key_text(then.sort_key.as_ref())
        ));
    }
    for index in &live.local_indexes {
        match wanted.local_index(&index.name) {
            None => reasons.push(format!(
                "it has local index {}, which the schema does not declare",
                index.name
            )),
            Some(declared) if declared != index => reasons.push(format!(
                "its local index {} has sort key {}, projection {}, and the schema's has sort \
                 key {}, projection {}",
                index.name,
                index.sort_key,
                index.projection,
                declared.sort_key,
                declared.projection
            )),
            Some(_) => {}
        }
    }
    for index in &wanted.local_indexes {
        if live.local_index(&index.name).is_none() {
            reasons.push(format!(
                "the schema declares local index {}, which the table does not have",
                index.name
            ));
        }
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(Error::NotInPlace {
            table: wanted.table.name.clone(),
            reasons,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::KeyType;

    const BASE: &str = r#"
[table]
name = "t-plan"
partition_key = { name = "PK", type = "S" }
sort_key = { name = "SK", type = "S" }
"#;

    fn schema(extra: &str) -> Schema {
        Schema::parse(&format!("{BASE}{extra}"), "test.toml").unwrap()
    }

    fn with_table(table_lines: &str, rest: &str) -> Schema {
        let text = BASE.replace(
            "sort_key = { name = \"SK\", type = \"S\" }\n",
            &format!("sort_key = {{ name = \"SK\", type = \"S\" }}\n{table_lines}\n"),
        );
        Schema::parse(&format!("{text}{rest}"), "test.toml").unwrap()
    }

    fn index(name: &str, key: &str, projection: &str) -> String {
        format!(
            "\n[[index]]\nname = \"{name}\"\npartition_key = {{ name = \"{key}\", type = \"S\" }}\nprojection = \"{projection}\"\n"
        )
    }

    /// Diffs, and checks that the steps, replayed on the live schema, give the wanted one.
    fn diff(live: &Schema, wanted: &Schema) -> Vec<Step> {
        let plan = Plan::diff(Some(live), wanted).unwrap();
        let mut state = Some(live.clone());
        for step in &plan.steps {
            step.apply_to(&mut state);
        }
        assert_eq!(state.as_ref(), Some(wanted), "steps: {:?}", plan.steps);
        plan.steps
    }

    fn lines(live: &Schema, wanted: &Schema) -> Vec<String> {
        diff(live, wanted).iter().map(plan_line).collect()
    }

    #[test]
    fn the_same_schema_needs_nothing() {
        let s = with_table(
            "ttl_attribute = \"exp\"\nstream = \"KEYS_ONLY\"\ndeletion_protection = true",
            &index("ByA", "a", "ALL"),
        );
        assert!(Plan::diff(Some(&s), &s).unwrap().is_empty());
        assert_eq!(
            Plan::diff(Some(&s), &s).unwrap().to_string(),
            "No changes: table t-plan matches the schema.\n"
        );
    }

    #[test]
    fn a_missing_table_is_created_then_given_its_ttl() {
        let wanted = with_table("ttl_attribute = \"exp\"", &index("ByA", "a", "ALL"));
        let plan = Plan::diff(None, &wanted).unwrap();
        let [Step::CreateTable(created), Step::EnableTtl(attribute)] = &plan.steps[..] else {
            panic!("{:?}", plan.steps);
        };
        assert_eq!(created.table.ttl_attribute, None);
        assert_eq!(created.indexes, wanted.indexes);
        assert_eq!(attribute, "exp");
        assert_eq!(
            plan.to_string(),
            "+ table t-plan: partition key PK (S), sort key SK (S), PAY_PER_REQUEST, with index ByA\n\
             + TTL on attribute exp\n\
             Plan: 2 to add, 0 to change, 0 to remove.\n"
        );
        let mut state = None;
        for step in &plan.steps {
            step.apply_to(&mut state);
        }
        assert_eq!(state, Some(wanted));
    }

    #[test]
    fn indexes_are_removed_before_they_are_added() {
        let live = schema(&(index("Old", "o", "ALL") + &index("Kept", "k", "ALL")));
        let wanted = schema(&(index("Kept", "k", "ALL") + &index("New", "n", "KEYS_ONLY")));
        assert_eq!(
            lines(&live, &wanted),
            [
                "- index Old: partition key o (S), projection ALL  (destructive)",
                "+ index New: partition key n (S), projection KEYS_ONLY",
            ]
        );
        let plan = Plan::diff(Some(&live), &wanted).unwrap();
        assert_eq!(plan.summary(), "Plan: 1 to add, 0 to change, 1 to remove.");
        assert_eq!(plan.destructive_steps().len(), 1);
        assert_eq!(
            plan.destructive_lines(),
            ["- index Old: partition key o (S), projection ALL"]
        );
    }

    #[test]
    fn an_index_whose_keys_or_projection_change_is_replaced() {
        let live = schema(&index("ByEmail", "email", "ALL"));
        let projection = schema(&index("ByEmail", "email", "KEYS_ONLY"));
        assert_eq!(
            lines(&live, &projection),
            ["~ index ByEmail: projection ALL -> KEYS_ONLY (removed, then added again)  (destructive)"]
        );
        let key = schema(&index("ByEmail", "mail", "ALL"));
        let steps = diff(&live, &key);
        assert_eq!(
            steps[0].to_string(),
            "index ByEmail: partition key email (S) -> mail (S) (removed, then added again)"
        );
        assert_eq!(
            steps[0].parts(),
            [
                Step::RemoveIndex(live.indexes[0].clone()),
                Step::AddIndex(key.indexes[0].clone())
            ]
        );
    }

    #[test]
    fn turning_provisioned_gives_every_remaining_index_a_capacity_in_the_same_step() {
        let live = schema(&(index("ByA", "a", "ALL") + &index("ByB", "b", "ALL")));
        let wanted = with_table(
            "billing_mode = \"PROVISIONED\"\nthroughput = { read = 5, write = 2 }",
            &(index("ByA", "a", "ALL")
                + &index("ByB", "b", "KEYS_ONLY")
                + &index("ByC", "c", "ALL")),
        );
        let steps = diff(&live, &wanted);
        let five_two = Throughput { read: 5, write: 2 };
        assert_eq!(
            steps[0],
            Step::ChangeBilling {
                from: Billing::PayPerRequest,
                to: Billing::Provisioned(five_two),
                indexes: vec![
                    IndexCapacity {
                        index: "ByA".into(),
                        from: None,
                        to: five_two
                    },
                    IndexCapacity {
                        index: "ByB".into(),
                        from: None,
                        to: five_two
                    },
                ],
            }
        );
        assert_eq!(
            steps[0].to_string(),
            "billing: PAY_PER_REQUEST -> PROVISIONED (read 5, write 2); index ByA: on demand -> \
             read 5, write 2; index ByB: on demand -> read 5, write 2"
        );
        // B is replaced and C added after the billing change, with their capacity.
        assert!(
            matches!(&steps[1], Step::ReplaceIndex { to, .. } if to.throughput == Some(five_two))
        );
        assert!(
            matches!(&steps[2], Step::AddIndex(c) if c.name == "ByC" && c.throughput == Some(five_two))
        );
        assert_eq!(steps.len(), 3);
    }

    #[test]
    fn turning_on_demand_is_one_change_and_indexes_follow() {
        let live = with_table(
            "billing_mode = \"PROVISIONED\"\nthroughput = { read = 5, write = 2 }",
            &index("ByA", "a", "ALL"),
        );
        let wanted = schema(&index("ByA", "a", "ALL"));
        assert_eq!(
            lines(&live, &wanted),
            ["~ billing: PROVISIONED (read 5, write 2) -> PAY_PER_REQUEST"]
        );
    }

    #[test]
    fn capacity_changes_of_the_table_and_its_indexes_are_one_step() {
        let provisioned = |table: &str, a: &str| {
            with_table(
                &format!("billing_mode = \"PROVISIONED\"\nthroughput = {table}"),
                &format!("{}throughput = {a}\n", index("ByA", "a", "ALL")),
            )
        };
        let live = provisioned("{ read = 5, write = 5 }", "{ read = 1, write = 1 }");
        let index_only = provisioned("{ read = 5, write = 5 }", "{ read = 2, write = 1 }");
        assert_eq!(
            lines(&live, &index_only),
            ["~ capacity: index ByA: read 1, write 1 -> read 2, write 1"]
        );
        let both = provisioned("{ read = 10, write = 5 }", "{ read = 2, write = 1 }");
        assert_eq!(
            lines(&live, &both),
            [
                "~ billing: PROVISIONED (read 5, write 5) -> PROVISIONED (read 10, write 5); \
              index ByA: read 1, write 1 -> read 2, write 1"
            ]
        );
        let table_only = provisioned("{ read = 10, write = 5 }", "{ read = 1, write = 1 }");
        assert_eq!(
            lines(&live, &table_only),
            ["~ billing: PROVISIONED (read 5, write 5) -> PROVISIONED (read 10, write 5)"]
        );
    }

    #[test]
    fn streams_are_enabled_disabled_or_changed() {
        let none = schema("");
        let keys = with_table("stream = \"KEYS_ONLY\"", "");
        let images = with_table("stream = \"NEW_AND_OLD_IMAGES\"", "");
        assert_eq!(lines(&none, &keys), ["+ stream KEYS_ONLY"]);
        assert_eq!(lines(&keys, &none), ["- stream KEYS_ONLY  (destructive)"]);
        let change = diff(&keys, &images);
        assert_eq!(
            change,
            [Step::ChangeStream {
                from: StreamView::KeysOnly,
                to: StreamView::NewAndOldImages
            }]
        );
        assert!(change[0].is_destructive());
        assert_eq!(
            change[0].parts(),
            [
                Step::DisableStream(StreamView::KeysOnly),
                Step::EnableStream(StreamView::NewAndOldImages)
            ]
        );
    }

    #[test]
    fn ttl_is_enabled_disabled_or_moved() {
        let none = schema("");
        let exp = with_table("ttl_attribute = \"exp\"", "");
        let expires = with_table("ttl_attribute = \"expires_at\"", "");
        assert_eq!(lines(&none, &exp), ["+ TTL on attribute exp"]);
        assert_eq!(
            lines(&exp, &none),
            ["- TTL on attribute exp  (destructive)"]
        );
        let moved = diff(&exp, &expires);
        assert_eq!(
            moved[0].parts(),
            [
                Step::DisableTtl("exp".into()),
                Step::EnableTtl("expires_at".into())
            ]
        );
        assert_eq!(moved[0].change(), Change::Change);
        assert!(moved[0].is_destructive());
    }

    #[test]
    fn deletion_protection_goes_on_first_and_off_last() {
        let plain = schema(&index("ByA", "a", "ALL"));
        let protected = with_table("deletion_protection = true", "");
        assert_eq!(
            lines(&plain, &protected),
            [
                "+ deletion protection",
                "- index ByA: partition key a (S), projection ALL  (destructive)",
            ]
        );
        let protected_with_index =
            with_table("deletion_protection = true", &index("ByA", "a", "ALL"));
        let plain_without = schema("");
        assert_eq!(
            lines(&protected_with_index, &plain_without),
            [
                "- index ByA: partition key a (S), projection ALL  (destructive)",
                "- deletion protection  (destructive)",
            ]
        );
    }

    #[test]
    fn everything_at_once_runs_in_a_legal_order() {
        let live = with_table(
            "ttl_attribute = \"exp\"\nstream = \"KEYS_ONLY\"",
            &(index("Old", "o", "ALL") + &index("Changed", "c", "ALL")),
        );
        let wanted = with_table(
            "billing_mode = \"PROVISIONED\"\nthroughput = { read = 1, write = 1 }\n\
             ttl_attribute = \"expires_at\"\ndeletion_protection = true",
            &(index("Changed", "c", "KEYS_ONLY") + &index("New", "n", "ALL")),
        );
        let kinds: Vec<_> = diff(&live, &wanted)
            .iter()
            .map(|s| {
                format!("{:?}", s)
                    .split(['(', ' '])
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "EnableDeletionProtection",
                "RemoveIndex",
                "ChangeBilling",
                "ReplaceIndex",
                "AddIndex",
                "DisableStream",
                "MoveTtl"
            ]
        );
    }

    #[test]
    fn a_different_key_schema_is_refused_with_what_to_do() {
        let live = schema("");
        let mut wanted = live.clone();
        wanted.table.sort_key = Some(KeyAttribute {
            name: "SK".into(),
            kind: KeyType::N,
        });
        wanted.table.partition_key.name = "id".into();
        let err = Plan::diff(Some(&live), &wanted).unwrap_err();
        let Error::NotInPlace { table, reasons } = &err else {
            panic!("{err}");
        };
        assert_eq!(table, "t-plan");
        assert_eq!(
            reasons,
            &[
                "its partition key is PK (S) and the schema's is id (S)",
                "its sort key is SK (S) and the schema's is SK (N)"
            ]
        );
        let message = err.to_string();
        assert!(message.contains("create a new table"), "{message}");
        assert!(message.contains("copy"), "{message}");
    }

    #[test]
    fn local_indexes_cannot_be_added_removed_or_changed() {
        let lsi = |projection: &str| {
            schema(&format!(
                "\n[[local_index]]\nname = \"ByDate\"\nsort_key = {{ name = \"date\", type = \"S\" }}\nprojection = \"{projection}\"\n"
            ))
        };
        let none = schema("");
        for (live, wanted, expected) in [
            (&none, &lsi("ALL"), "the schema declares local index ByDate"),
            (
                &lsi("ALL"),
                &none,
                "it has local index ByDate, which the schema",
            ),
            (
                &lsi("ALL"),
                &lsi("KEYS_ONLY"),
                "projection ALL, and the schema's has",
            ),
        ] {
            match Plan::diff(Some(live), wanted) {
                Err(Error::NotInPlace { reasons, .. }) => {
                    assert!(reasons[0].contains(expected), "{reasons:?}")
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(Plan::diff(Some(&lsi("ALL")), &lsi("ALL"))
            .unwrap()
            .is_empty());
    }
}
