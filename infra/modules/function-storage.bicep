// Storage account behind both function apps: the Functions host's state and one blob
// container of deployment packages per app. Key access is off; the apps use their identities.

@description('Azure region of the account.')
param location string

@description('Name of the storage account: 3 to 24 lower-case letters and digits.')
@minLength(3)
@maxLength(24)
param accountName string

@description('Names of the deployment package containers, one per app.')
param containerNames string[]

param tags object

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: accountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for name in containerNames: {
    parent: blobs
    name: name
    properties: {
      publicAccess: 'None'
    }
  }
]

output accountName string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
