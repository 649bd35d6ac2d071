//! One module per group of commands; [`crate::app`] dispatches to them.

pub mod alert;
pub mod cat;
pub mod cleanup;
pub mod compat;
pub mod copyto;
pub mod delete;
pub mod dirs;
pub mod hashsum;
pub mod info;
pub mod list;
pub mod moves;
pub mod objects;
pub mod places;
pub mod run;
pub mod settier;
pub mod touch;
