// Built-in Azure role definition ids, as Microsoft lists them in "Azure built-in roles"
// (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
// The key of each is the role's name in camel case; the test suite checks both.

@export()
@description('Built-in role definition ids by role name.')
var roleIds = {
  // Call Azure OpenAI inference APIs; no access to keys or deployments.
  cognitiveServicesOpenAiUser: '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'
  // Read all monitoring data in a Log Analytics workspace.
  logAnalyticsReader: '73c42c96-874c-492b-b04d-ab87d138a893'
  // Read a resource's configuration, nothing else.
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
  // Read, write and lease blobs: the Functions host's storage and its deployment packages.
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
}
