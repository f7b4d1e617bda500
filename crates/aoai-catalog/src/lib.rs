//! The Azure OpenAI price catalog.

pub mod normalize;
pub mod retail;
