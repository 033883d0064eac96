//! The guide: how to do what the reference describes piece by piece, a chapter per
//! subject. Its examples compile with the crate.
//!
//! - [`indexes`]: global and local secondary indexes, their projections, and what a
//!   read through one can and cannot do.

pub mod indexes {
    #![doc = include_str!("indexes.md")]
}
