// API Management: the one gateway in front of Azure OpenAI and both function apps. It has a
// system-assigned identity, the named values the policies read, an Application Insights logger
// with custom metrics on, the gateway's LLM logs in the workspace, and the products and
// subscriptions that callers use.

@description('Azure region of the service.')
param location string

@description('Name of the service; also its gateway host name prefix.')
param serviceName string

@description('Pricing tier. The v2 tiers deploy in minutes; Developer has no SLA.')
@allowed([
  'Developer'
  'Basic'
  'Standard'
  'Premium'
  'BasicV2'
  'StandardV2'
])
param skuName string

@description('E-mail address that API Management sends notifications to.')
param publisherEmail string

@description('Organization name shown in the developer portal.')
param publisherName string

param appInsightsName string

@description('Resource id of the Log Analytics workspace that receives the gateway logs.')
param workspaceId string

@description('Microsoft Entra tenant whose tokens the gateway accepts.')
param entraTenantId string

@description('Audience that callers\' tokens must carry: the gateway app registration\'s application id URI or client id.')
param gatewayAudience string

@description('Client application id allowed to call the gateway, such as the Azure CLI\'s for aoai-chat.')
param allowedClientAppId string

@description('Token claim that holds the user id.')
param userIdClaim string

@description('Tokens per minute each user may use; 0 turns the quota off.')
param userTokenQuotaPerMinute int

@description('Host name of the pricing app.')
param pricingAppHostName string

@description('Host name of the usage app.')
param usageAppHostName string

@description('Function key the gateway sends to the pricing app.')
@secure()
param pricingFunctionKey string

@description('Function key the gateway sends to the usage app.')
@secure()
param usageFunctionKey string

param tags object

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource service 'Microsoft.ApiManagement/service@2024-05-01' = {
  name: serviceName
  location: location
  tags: tags
  sku: {
    name: skuName
    capacity: 1
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    publisherEmail: publisherEmail
    publisherName: publisherName
  }
}

// The values the policies in infra/policies read as {{name}}; the test suite checks that
// every {{name}} used is in this list.
var namedValues = [
  {
    name: 'entra-tenant-id'
    value: entraTenantId
    secret: false
  }
  {
    name: 'gateway-audience'
    value: gatewayAudience
    secret: false
  }
  {
    name: 'allowed-client-app-id'
    value: allowedClientAppId
    secret: false
  }
  {
    name: 'user-id-claim'
    value: userIdClaim
    secret: false
  }
  {
    name: 'user-token-quota-per-minute'
    value: string(userTokenQuotaPerMinute)
    secret: false
  }
  {
    name: 'pricing-function-key'
    value: pricingFunctionKey
    secret: true
  }
  {
    name: 'usage-function-key'
    value: usageFunctionKey
    secret: true
  }
  {
    name: 'appinsights-connection-string'
    value: appInsights.properties.ConnectionString
    secret: true
  }
]

resource values 'Microsoft.ApiManagement/service/namedValues@2024-05-01' = [
  for item in namedValues: {
    parent: service
    name: item.name
    properties: {
      displayName: item.name
      value: item.value
      secret: item.secret
    }
  }
]

resource logger 'Microsoft.ApiManagement/service/loggers@2024-05-01' = {
  parent: service
  name: 'appinsights'
  dependsOn: [
    values
  ]
  properties: {
    loggerType: 'applicationInsights'
    resourceId: appInsights.id
    credentials: {
      connectionString: '{{appinsights-connection-string}}'
    }
    isBuffered: true
  }
}

// Azure Monitor logger for the gateway's resource logs, which the API-level LLM logging uses.
resource azureMonitorLogger 'Microsoft.ApiManagement/service/loggers@2024-05-01' = {
  parent: service
  name: 'azuremonitor'
  properties: {
    loggerType: 'azureMonitor'
    isBuffered: true
  }
}

// metrics: true is what lets azure-openai-emit-token-metric reach Application Insights.
resource diagnostic 'Microsoft.ApiManagement/service/diagnostics@2024-05-01' = {
  parent: service
  name: 'applicationinsights'
  properties: {
    loggerId: logger.id
    alwaysLog: 'allErrors'
    httpCorrelationProtocol: 'W3C'
    logClientIp: false
    metrics: true
    verbosity: 'information'
    sampling: {
      samplingType: 'fixed'
      percentage: 100
    }
  }
}

// The gateway's LLM logs (ApiManagementGatewayLlmLog) and request logs
// (ApiManagementGatewayLogs), in resource-specific tables, for the usage app's apim-logs source.
resource gatewayLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: service
  name: 'aoai-meter-gateway-logs'
  properties: {
    workspaceId: workspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        category: 'GatewayLlmLogs'
        enabled: true
      }
      {
        category: 'GatewayLogs'
        enabled: true
      }
    ]
  }
}

// The function apps behind the gateway; each call carries the app's function key.
resource pricingBackend 'Microsoft.ApiManagement/service/backends@2024-05-01' = {
  parent: service
  name: 'pricing-app'
  dependsOn: [
    values
  ]
  properties: {
    protocol: 'http'
    url: 'https://${pricingAppHostName}/api'
    credentials: {
      header: {
        'x-functions-key': [
          '{{pricing-function-key}}'
        ]
      }
    }
  }
}

resource usageBackend 'Microsoft.ApiManagement/service/backends@2024-05-01' = {
  parent: service
  name: 'usage-app'
  dependsOn: [
    values
  ]
  properties: {
    protocol: 'http'
    url: 'https://${usageAppHostName}/api'
    credentials: {
      header: {
        'x-functions-key': [
          '{{usage-function-key}}'
        ]
      }
    }
  }
}

// Two products: application teams call Azure OpenAI through one, and FinOps readers reach
// prices, usage and the dashboard through the other.
resource openAiProduct 'Microsoft.ApiManagement/service/products@2024-05-01' = {
  parent: service
  name: 'azure-openai'
  properties: {
    displayName: 'Azure OpenAI'
    description: 'Azure OpenAI through the gateway, metered per user.'
    subscriptionRequired: true
    approvalRequired: false
    state: 'published'
  }
}

resource reportsProduct 'Microsoft.ApiManagement/service/products@2024-05-01' = {
  parent: service
  name: 'aoai-meter-reports'
  properties: {
    displayName: 'aoai-meter reports'
    description: 'Prices, per-user usage and the dashboard.'
    subscriptionRequired: true
    approvalRequired: true
    state: 'published'
  }
}

resource openAiSubscription 'Microsoft.ApiManagement/service/subscriptions@2024-05-01' = {
  parent: service
  name: 'aoai-chat'
  properties: {
    displayName: 'aoai-chat'
    scope: openAiProduct.id
    state: 'active'
  }
}

resource reportsSubscription 'Microsoft.ApiManagement/service/subscriptions@2024-05-01' = {
  parent: service
  name: 'finops'
  properties: {
    displayName: 'FinOps readers'
    scope: reportsProduct.id
    state: 'active'
  }
}

output serviceName string = service.name
output gatewayUrl string = service.properties.gatewayUrl
output principalId string = service.identity.principalId
output azureMonitorLoggerId string = azureMonitorLogger.id
output openAiProductName string = openAiProduct.name
output reportsProductName string = reportsProduct.name
