//! The Azure backends of the usage function: the Application Insights and Log Analytics
//! query APIs, read with KQL and a Microsoft Entra ID token.

pub mod client;
pub mod kql;
pub mod response;

use chrono::{DateTime, Utc};

pub use aoai_identity::{CredentialKind, CredentialSettings};
pub use client::{Api, ClientSettings, QueryClient, QueryError};
pub use kql::{QueryScope, Schema};
pub use response::{QuerySummary, RowSink};

use crate::ingest::MetricNames;
use crate::record::UsageSource;

/// A query backend and the table layout it reads.
#[derive(Debug, Clone)]
pub struct AzureBackend {
    pub client: QueryClient,
    pub metric_names: MetricNames,
}

impl AzureBackend {
    pub fn schema(&self) -> Schema {
        match self.client.api() {
            Api::AppInsights { .. } => Schema::Classic,
            Api::LogAnalytics { .. } => Schema::Workspace,
        }
    }

    /// Returns the KQL of `source` for a request, or an error when the schema lacks the source.
    pub fn query(
        &self,
        source: UsageSource,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        users: &[String],
        deployments: &[String],
    ) -> Result<String, QueryError> {
        let scope = QueryScope {
            from,
            to,
            users,
            deployments,
            metric_names: &self.metric_names,
        };
        kql::query(source, self.schema(), &scope).ok_or_else(|| {
            QueryError::Upstream(format!(
                "source {source} needs API Management's LLM logs, which only a Log Analytics workspace has; \
                 set LOG_ANALYTICS_WORKSPACE_ID or ask for source=otel or source=apim"
            ))
        })
    }

    /// Runs the query of `source` and hands its rows to `sink`.
    pub async fn rows(
        &self,
        source: UsageSource,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        users: &[String],
        deployments: &[String],
        sink: &mut RowSink<'_>,
    ) -> Result<QuerySummary, QueryError> {
        let query = self.query(source, from, to, users, deployments)?;
        self.client.run(&query, from, to, source, sink).await
    }
}
