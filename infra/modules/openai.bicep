// Azure OpenAI account with a custom subdomain (needed for Microsoft Entra ID tokens),
// key access turned off, and the model deployments of the deployment list.

@description('Azure region of the account.')
param location string

@description('Name of the account; also its subdomain.')
param accountName string

@description('Model deployments to create.')
param deployments deploymentSpec[]

param tags object

@export()
@description('One model deployment.')
type deploymentSpec = {
  @description('Deployment name, as callers put it in the URL.')
  name: string
  @description('Model name, such as gpt-4o-mini.')
  model: string
  @description('Model version, such as 2024-07-18.')
  version: string
  @description('Deployment SKU, which sets the deployment type and tier, such as GlobalStandard, DataZoneStandard, Standard or GlobalBatch.')
  sku: string
  @description('Capacity in thousands of tokens per minute.')
  @minValue(1)
  capacity: int
}

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: accountName
  location: location
  tags: tags
  kind: 'OpenAI'
  sku: {
    name: 'S0'
  }
  properties: {
    customSubDomainName: accountName
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

// One at a time: the account refuses concurrent deployment changes.
@batchSize(1)
resource modelDeployments 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = [
  for deployment in deployments: {
    parent: account
    name: deployment.name
    sku: {
      name: deployment.sku
      capacity: deployment.capacity
    }
    properties: {
      model: {
        format: 'OpenAI'
        name: deployment.model
        version: deployment.version
      }
    }
  }
]

output accountName string = account.name
output endpoint string = account.properties.endpoint
@description('The deployment catalog in the account form that the usage app reads from AOAI_DEPLOYMENTS_JSON.')
output catalog object = {
  account: account.name
  location: location
  deployments: [
    for deployment in deployments: {
      name: deployment.name
      sku: {
        name: deployment.sku
        capacity: deployment.capacity
      }
      properties: {
        model: {
          format: 'OpenAI'
          name: deployment.model
          version: deployment.version
        }
      }
    }
  ]
}
