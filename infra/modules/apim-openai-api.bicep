// The Azure OpenAI API on the gateway: the inference operations that aoai-chat and other
// clients call, forwarded to the account with the policy in infra/policies/azure-openai-api.xml.

@description('Name of the API Management service.')
param serviceName string

@description('Azure OpenAI account endpoint, such as https://name.openai.azure.com/.')
param openAiEndpoint string

@description('Product the API belongs to.')
param productName string

@description('Resource id of the gateway\'s Azure Monitor logger.')
param azureMonitorLoggerId string

resource service 'Microsoft.ApiManagement/service@2024-05-01' existing = {
  name: serviceName
}

resource product 'Microsoft.ApiManagement/service/products@2024-05-01' existing = {
  parent: service
  name: productName
}

// Operation ids matter: the policy adds stream_options only to the chat-completion ones.
var operations = [
  {
    name: 'ChatCompletions_Create'
    urlTemplate: '/deployments/{deployment-id}/chat/completions'
    deploymentInPath: true
  }
  {
    name: 'Completions_Create'
    urlTemplate: '/deployments/{deployment-id}/completions'
    deploymentInPath: true
  }
  {
    name: 'Embeddings_Create'
    urlTemplate: '/deployments/{deployment-id}/embeddings'
    deploymentInPath: true
  }
  {
    name: 'V1ChatCompletions_Create'
    urlTemplate: '/v1/chat/completions'
    deploymentInPath: false
  }
  {
    name: 'V1Embeddings_Create'
    urlTemplate: '/v1/embeddings'
    deploymentInPath: false
  }
  {
    name: 'V1Responses_Create'
    urlTemplate: '/v1/responses'
    deploymentInPath: false
  }
]

resource api 'Microsoft.ApiManagement/service/apis@2024-05-01' = {
  parent: service
  name: 'azure-openai'
  properties: {
    displayName: 'Azure OpenAI'
    path: 'openai'
    protocols: [
      'https'
    ]
    serviceUrl: '${openAiEndpoint}openai'
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
      method: 'POST'
      urlTemplate: operation.urlTemplate
      templateParameters: operation.deploymentInPath
        ? [
            {
              name: 'deployment-id'
              type: 'string'
              required: true
            }
          ]
        : []
      request: {
        queryParameters: operation.deploymentInPath
          ? [
              {
                name: 'api-version'
                type: 'string'
                required: true
              }
            ]
          : []
      }
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
    value: loadTextContent('../policies/azure-openai-api.xml')
  }
}

// Token counts of every call in ApiManagementGatewayLlmLog, exact for streamed calls too.
// Prompts and completions are personal data that chargeback does not need, so none are logged.
resource llmLogs 'Microsoft.ApiManagement/service/apis/diagnostics@2024-06-01-preview' = {
  parent: api
  name: 'azuremonitor'
  properties: {
    loggerId: azureMonitorLoggerId
    alwaysLog: 'allErrors'
    logClientIp: false
    verbosity: 'information'
    sampling: {
      samplingType: 'fixed'
      percentage: 100
    }
    largeLanguageModel: {
      logs: 'enabled'
      requests: {
        messages: 'none'
        maxSizeInBytes: 0
      }
      responses: {
        messages: 'none'
        maxSizeInBytes: 0
      }
    }
  }
}

resource productApi 'Microsoft.ApiManagement/service/products/apis@2024-05-01' = {
  parent: product
  name: api.name
}

output apiName string = api.name
