// Every role assignment of the deployment, in one place, each the least a component needs:
// - API Management calls Azure OpenAI with its managed identity (Cognitive Services OpenAI User).
// - The usage app queries the workspace (Log Analytics Reader), and reads the Application
//   Insights resource and the Azure OpenAI account (Reader), never their keys or data planes.
// Each function app's access to its host storage is assigned with the app, in function-app.bicep,
// because the app cannot start without it.

import { roleIds } from 'role-ids.bicep'

param openAiAccountName string
param workspaceName string
param appInsightsName string

@description('Principal id of API Management\'s system-assigned identity.')
param gatewayPrincipalId string

@description('Principal id of the usage app\'s system-assigned identity.')
param usageAppPrincipalId string

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: openAiAccountName
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource gatewayCallsOpenAi 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: account
  name: guid(account.id, gatewayPrincipalId, roleIds.cognitiveServicesOpenAiUser)
  properties: {
    principalId: gatewayPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.cognitiveServicesOpenAiUser)
  }
}

resource usageAppQueriesWorkspace 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: workspace
  name: guid(workspace.id, usageAppPrincipalId, roleIds.logAnalyticsReader)
  properties: {
    principalId: usageAppPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.logAnalyticsReader)
  }
}

resource usageAppReadsAppInsights 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: appInsights
  name: guid(appInsights.id, usageAppPrincipalId, roleIds.reader)
  properties: {
    principalId: usageAppPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.reader)
  }
}

resource usageAppReadsOpenAi 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: account
  name: guid(account.id, usageAppPrincipalId, roleIds.reader)
  properties: {
    principalId: usageAppPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.reader)
  }
}
