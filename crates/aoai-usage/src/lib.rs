//! usage

pub mod deployments;
