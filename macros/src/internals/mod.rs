//! The derive's input as a checked model: attribute parsing and validation, separate
//! from code generation.

pub mod collection;
pub mod ctxt;
pub mod model;
pub mod schema;
pub mod template;
