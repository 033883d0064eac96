//! Reading page after page: where a paginated read goes on from, the pages of any
//! paginated request, and the entities or items they hold.

use std::future::Future;

use futures::{Stream, TryStreamExt};

use crate::error::Result;
use crate::item::{Item, Readable};

/// Where a paginated read goes on from.
pub(crate) enum Next {
    Start,
    After(Item),
    Done,
}

impl Next {
    /// The start key of the page to read (`Some(None)` for the first), or `None` after
    /// the last.
    pub(crate) fn start(self) -> Option<Option<Item>> {
        match self {
            Next::Start => Some(None),
            Next::After(key) => Some(Some(key)),
            Next::Done => None,
        }
    }

    /// Where to go on from after a page that ended at `last`.
    pub(crate) fn after(last: Option<Item>) -> Next {
        match last {
            Some(key) if !key.is_empty() => Next::After(key),
            _ => Next::Done,
        }
    }
}

/// The pages of a paginated read: `fetch` reads the page that starts after the given
/// key (the first with `None`) and answers its items and the key to go on from.
pub(crate) fn paginate<'a, F, Fut>(fetch: F) -> impl Stream<Item = Result<Vec<Item>>> + Send + 'a
where
    F: Fn(Option<Item>) -> Fut + Send + 'a,
    Fut: Future<Output = Result<(Vec<Item>, Option<Item>)>> + Send + 'a,
{
    futures::stream::try_unfold((fetch, Next::Start), |(fetch, next)| async move {
        let Some(start) = next.start() else {
            return Ok(None);
        };
        let (items, last) = fetch(start).await?;
        Ok(Some((items, (fetch, Next::after(last)))))
    })
}

/// The entities `E` among the items of `pages`, one by one: items whose key does not
/// fit `E`'s templates are skipped.
pub(crate) fn entities_of_pages<'a, E: Readable + Send + 'a>(
    pages: impl Stream<Item = Result<Vec<Item>>> + Send + 'a,
) -> impl Stream<Item = Result<E>> + Send + 'a {
    pages
        .map_ok(|page| {
            futures::stream::iter(page.into_iter().filter_map(|item| E::read_matching(&item)))
        })
        .try_flatten()
}

/// The items of `pages`, one by one.
pub(crate) fn items_of_pages<'a>(
    pages: impl Stream<Item = Result<Vec<Item>>> + Send + 'a,
) -> impl Stream<Item = Result<Item>> + Send + 'a {
    pages
        .map_ok(|page| futures::stream::iter(page.into_iter().map(Ok)))
        .try_flatten()
}
