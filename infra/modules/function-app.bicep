// One Flex Consumption function app running a custom handler binary, with a system-assigned
// identity, identity-based host storage and deployment storage, and the app settings it reads.

import { roleIds } from 'role-ids.bicep'

@description('Azure region of the app.')
param location string

@description('Name of the function app; also its host name prefix.')
param appName string

@description('Name of the storage account of host state and deployment packages.')
param storageAccountName string

@description('Blob container that holds this app\'s deployment package.')
param deploymentContainerName string

@description('Name of the Application Insights resource the host sends its telemetry to.')
param appInsightsName string

@description('Settings the handler binary reads, by name. Every value is written as a string.')
param handlerSettings object

@description('Most instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

param tags object

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// Flex Consumption takes one app per plan.
resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${appName}-plan'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

// Settings of the Functions host itself; the handler's own settings follow.
var hostSettings = [
  {
    name: 'AzureWebJobsStorage__accountName'
    value: storage.name
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: appInsights.properties.ConnectionString
  }
]

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: concat(
        hostSettings,
        map(items(handlerSettings), setting => {
          name: setting.key
          value: string(setting.value)
        })
      )
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      // A custom handler: the host starts the binary that host.json names.
      runtime: {
        name: 'custom'
        version: '1.0'
      }
    }
  }
}

// The host keeps its state and keys in blob storage, and shared keys are off, so the app
// cannot start until its identity holds this role.
resource appUsesStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, app.id, roleIds.storageBlobDataOwner)
  properties: {
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataOwner)
  }
}

output name string = app.name
output id string = app.id
output hostName string = app.properties.defaultHostName
output principalId string = app.identity.principalId
