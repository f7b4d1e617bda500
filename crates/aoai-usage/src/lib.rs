//! usage

pub mod deployments;
pub mod directory;
