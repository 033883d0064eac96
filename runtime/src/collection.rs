//! Collections: several entity types read together from the partition they share, in
//! one request per page. `#[derive(Collection)]` on an enum with one variant per entity
//! implements [`Collection`] and [`Readable`] for it.
//!
//! ```no_run
//! # use dynaschema::{Entity, Collection, Table};
//! #[derive(Debug, Entity)]
//! #[dynamo(pk = "ACCOUNT#{id}", sk = "ACCOUNT")]
//! struct Account {
//!     #[dynamo(key_only)]
//!     id: u64,
//!     name: String,
//! }
//!
//! #[derive(Debug, Entity)]
//! #[dynamo(pk = "ACCOUNT#{account_id}", sk = "OPERATION#{at}")]
//! struct Operation {
//!     #[dynamo(key_only)]
//!     account_id: u64,
//!     #[dynamo(key_only)]
//!     at: u64,
//!     amount: i64,
//! }
//!
//! #[derive(Debug, Collection)]
//! enum AccountItem {
//!     Account(Account),
//!     Operation(Operation),
//! }
//!
//! # async fn run(table: &Table) -> dynaschema::Result<()> {
//! let items = table.query(AccountItem::partition(Account::partition(7))).all().await?;
//! for item in items {
//!     match item {
//!         AccountItem::Account(account) => println!("{}", account.name),
//!         AccountItem::Operation(operation) => println!("{}", operation.amount),
//!     }
//! }
//! # Ok(()) }
//! ```

use crate::item::{Entity, Readable};
use crate::key::{same_text, EntityIndex, KeyTemplate, Partition};

/// An enum of entity types read together: implemented by `#[derive(Collection)]`.
pub trait Collection: Readable {
    /// The members: each entity type's partition templates.
    const MEMBERS: &'static [Member];
}

/// A member of a collection, as its partitions are checked with.
#[derive(Debug, Clone, Copy)]
pub struct Member {
    /// The entity's name.
    pub entity: &'static str,
    /// Its partition key's template.
    pub pk: KeyTemplate,
    /// The secondary indexes, global and local, it declares.
    pub indexes: &'static [EntityIndex],
}

impl Member {
    /// The member `E`.
    pub const fn of<E: Entity>() -> Member {
        Member {
            entity: E::ENTITY_NAME,
            pk: E::PK_TEMPLATE,
            indexes: E::INDEXES,
        }
    }

    /// The member's partition-key template in `index` (`None`: the table's), if it
    /// has items there.
    const fn partition_in(&self, index: Option<&str>) -> Option<KeyTemplate> {
        let Some(index) = index else {
            return Some(self.pk);
        };
        let mut i = 0;
        while i < self.indexes.len() {
            if same_text(self.indexes[i].name, index) {
                return Some(self.indexes[i].pk);
            }
            i += 1;
        }
        None
    }
}

/// Marks entity `Self` as a member of collection `C`: its partitions are `C`'s.
pub trait MemberOf<C: Collection>: Entity {}

/// Whether every member's items can share one partition: the members' partition-key
/// templates have the same shape, in the table or in one index they all declare. The
/// derive asserts it at compile time.
pub const fn share_a_partition(members: &[Member]) -> bool {
    let Some(first) = members.first() else {
        return false;
    };
    if all_share(members, None) {
        return true;
    }
    let mut i = 0;
    while i < first.indexes.len() {
        if all_share(members, Some(first.indexes[i].name)) {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether every member has items in `index` under the first one's partition template.
const fn all_share(members: &[Member], index: Option<&str>) -> bool {
    let Some(template) = members[0].partition_in(index) else {
        return false;
    };
    let mut i = 1;
    while i < members.len() {
        match members[i].partition_in(index) {
            Some(other) if other.same_shape(&template) => {}
            _ => return false,
        }
        i += 1;
    }
    true
}

/// `partition`, a member's, as the whole partition read as collection `C`: refused when
/// another member has no items under the same template there.
#[doc(hidden)]
pub fn partition<C: Collection, M: MemberOf<C>>(partition: Partition<M>) -> Partition<C> {
    let index = partition.index();
    let own = Member::of::<M>().partition_in(index);
    let stranger = C::MEMBERS
        .iter()
        .find(|member| match (member.partition_in(index), own) {
            (Some(theirs), Some(own)) => !theirs.same_shape(&own),
            _ => true,
        });
    let refusal = stranger.map(|member| {
        let place = match index {
            Some(index) => format!("index `{index}`"),
            None => "the table".to_owned(),
        };
        let theirs = match member.partition_in(index) {
            Some(template) => format!("its partition key there is {template}"),
            None => "it declares no such index".to_owned(),
        };
        (
            C::READ_NAME,
            format!(
                "member {} has no items in {}'s partitions of {place}: {theirs}",
                member.entity,
                M::ENTITY_NAME
            ),
        )
    });
    partition.retyped(refusal)
}
