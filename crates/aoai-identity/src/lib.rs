//! The Microsoft Entra ID credentials that aoai-meter's apps get their tokens from: the
//! usage function's query client and the chat app.

use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use azure_identity::{
    ClientSecretCredential, DeveloperToolsCredential, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    UserAssignedId, WorkloadIdentityCredential,
};

/// The kind of credential, from `AZURE_CREDENTIAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// The function app's managed identity: system-assigned, or user-assigned with `AZURE_CLIENT_ID`.
    ManagedIdentity,
    /// A federated token file, as on Kubernetes (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_FEDERATED_TOKEN_FILE`).
    WorkloadIdentity,
    /// An app registration's secret (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`).
    ClientSecret,
    /// The developer's `az login` or `azd auth login`, for local runs.
    DeveloperTools,
}

impl CredentialKind {
    pub const NAMES: &'static str = "managed_identity, workload_identity, client_secret, developer_tools";

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ManagedIdentity => "managed_identity",
            Self::WorkloadIdentity => "workload_identity",
            Self::ClientSecret => "client_secret",
            Self::DeveloperTools => "developer_tools",
        }
    }

    pub fn parse(value: &str) -> Option<CredentialKind> {
        match value.trim().to_ascii_lowercase().as_str() {
            "managed_identity" => Some(Self::ManagedIdentity),
            "workload_identity" => Some(Self::WorkloadIdentity),
            "client_secret" => Some(Self::ClientSecret),
            "developer_tools" => Some(Self::DeveloperTools),
            _ => None,
        }
    }
}

/// The values a credential reads, from the environment.
#[derive(Clone, Default)]
pub struct CredentialSettings {
    pub client_id: Option<String>,
    pub tenant_id: Option<String>,
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for CredentialSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialSettings")
            .field("client_id", &self.client_id)
            .field("tenant_id", &self.tenant_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

/// Builds the credential of `kind`; the error names the credential and what it lacks.
pub fn build(kind: CredentialKind, settings: &CredentialSettings) -> Result<Arc<dyn TokenCredential>, String> {
    let failed = |error: azure_core::Error| format!("the {} credential cannot be created: {error}", kind.as_str());
    Ok(match kind {
        CredentialKind::ManagedIdentity => {
            let options = ManagedIdentityCredentialOptions {
                user_assigned_id: settings.client_id.clone().map(UserAssignedId::ClientId),
                ..ManagedIdentityCredentialOptions::default()
            };
            ManagedIdentityCredential::new(Some(options)).map_err(failed)?
        }
        CredentialKind::WorkloadIdentity => WorkloadIdentityCredential::new(None).map_err(failed)?,
        CredentialKind::ClientSecret => {
            let missing = |name: &str| format!("the client_secret credential needs {name}");
            let tenant = settings
                .tenant_id
                .as_deref()
                .ok_or_else(|| missing("AZURE_TENANT_ID"))?;
            let client_id = settings.client_id.clone().ok_or_else(|| missing("AZURE_CLIENT_ID"))?;
            let secret = settings
                .client_secret
                .clone()
                .ok_or_else(|| missing("AZURE_CLIENT_SECRET"))?;
            ClientSecretCredential::new(tenant, client_id, secret.into(), None).map_err(failed)?
        }
        CredentialKind::DeveloperTools => DeveloperToolsCredential::new(None).map_err(failed)?,
    })
}
