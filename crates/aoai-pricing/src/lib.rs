//! The pricing function: an Azure Functions custom handler that serves Azure OpenAI
//! token prices from the price catalog.

pub mod api;
pub mod config;

pub use api::{AppState, app};
