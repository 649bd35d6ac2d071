//! One module per group of commands; [`crate::app`] dispatches to them.

pub mod alert;
pub mod cleanup;
pub mod compat;
pub mod info;
pub mod list;
pub mod run;
