// An aoai-meter function app's API on the gateway: GET operations forwarded to the app's
// backend, which carries its function key, so callers need only the gateway's subscription.

@description('Name of the API Management service.')
param serviceName string

@description('API name and the gateway path it is served under.')
param apiName string

param displayName string

@description('Operations, each a GET of a function route: name and URL template.')
param operations operationSpec[]

@description('Policy XML of the API, which sends calls to the app\'s backend.')
param policyXml string

@description('Product the API belongs to.')
param productName string

type operationSpec = {
  name: string
  urlTemplate: string
}

resource service 'Microsoft.ApiManagement/service@2024-05-01' existing = {
  name: serviceName
}

resource product 'Microsoft.ApiManagement/service/products@2024-05-01' existing = {
  parent: service
  name: productName
}

resource api 'Microsoft.ApiManagement/service/apis@2024-05-01' = {
  parent: service
  name: apiName
  properties: {
    displayName: displayName
    path: apiName
    protocols: [
      'https'
    ]
    subscriptionRequired: true
    subscriptionKeyParameterNames: {
      header: 'Ocp-Apim-Subscription-Key'
      query: 'subscription-key'
    }
  }
}

resource apiOperations 'Microsoft.ApiManagement/service/apis/operations@2024-05-01' = [
  for operation in operations: {
    parent: api
    name: operation.name
    properties: {
      displayName: operation.name
      method: 'GET'
      urlTemplate: operation.urlTemplate
    }
  }
]

resource policy 'Microsoft.ApiManagement/service/apis/policies@2024-05-01' = {
  parent: api
  name: 'policy'
  dependsOn: [
    apiOperations
  ]
  properties: {
    format: 'rawxml'
    value: policyXml
  }
}

resource productApi 'Microsoft.ApiManagement/service/products/apis@2024-05-01' = {
  parent: product
  name: api.name
}

output apiName string = api.name
