// Log Analytics workspace and the workspace-based Application Insights resource that
// API Management, the function apps and instrumented clients send telemetry to.

@description('Azure region of the resources.')
param location string

@description('Name of the Log Analytics workspace.')
param workspaceName string

@description('Name of the Application Insights resource.')
param appInsightsName string

@description('Days the workspace keeps data; chargeback usually needs at least a full month plus a margin.')
@minValue(30)
@maxValue(730)
param retentionDays int

param tags object

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionDays
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    RetentionInDays: retentionDays
    // API Management's token metrics are custom metrics; without dimensions the per-user
    // "User ID" dimension is dropped and usage cannot be attributed. The property is missing
    // from the published resource types, so Bicep warns about it (BCP037).
    #disable-next-line BCP037
    CustomMetricsOptedInType: 'WithDimensions'
  }
}

output workspaceId string = workspace.id
output workspaceName string = workspace.name
@description('The workspace id that the Log Analytics query API takes (a GUID).')
output workspaceCustomerId string = workspace.properties.customerId
output appInsightsId string = appInsights.id
output appInsightsName string = appInsights.name
@description('The application id that the Application Insights query API takes (a GUID).')
output appInsightsAppId string = appInsights.properties.AppId
