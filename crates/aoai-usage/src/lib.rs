//! The usage function: what each user consumed on Azure OpenAI and what it cost, from a
//! local usage store fed by the Application Insights track protocol.

pub mod api;
pub mod auth;
pub mod azure;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod deployments;
pub mod directory;
pub mod ingest;
pub mod record;
pub mod report;
pub mod row;
pub mod sample;
pub mod startup;
pub mod store;
