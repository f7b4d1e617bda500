// aoai-meter on Azure: Azure OpenAI behind API Management, which authenticates each caller
// and records their tokens per user in Application Insights, and the two function apps that
// price that usage and serve it (pricing app and usage app). Deploy to a resource group:
//   az deployment group create -g <group> -f infra/main.bicep -p infra/main.bicepparam
// DEPLOY.md walks through the whole deployment.

import { deploymentSpec } from 'modules/openai.bicep'

@description('Azure region of every resource except the Azure OpenAI account.')
param location string = resourceGroup().location

@description('Azure region of the Azure OpenAI account; the models must be offered there.')
param openAiLocation string = location

@description('Start of every resource name: 3 to 10 lower-case letters and digits.')
@minLength(3)
@maxLength(10)
param namePrefix string

@description('Azure OpenAI model deployments to create.')
param openAiDeployments deploymentSpec[]

@description('API Management tier.')
param apimSku string = 'BasicV2'

@description('E-mail address that API Management sends notifications to.')
param publisherEmail string

@description('Organization name that API Management shows.')
param publisherName string

@description('Microsoft Entra tenant whose tokens the gateway accepts.')
param entraTenantId string = tenant().tenantId

@description('Audience of the gateway\'s app registration (its application id URI, such as api://aoai-meter-gateway, or its client id).')
param gatewayAudience string

@description('Client application allowed to get tokens for the gateway; the default is the Azure CLI, which aoai-chat uses.')
param allowedClientAppId string = '04b07795-8ddb-461a-bbee-02f9e1bf7b46'

@description('Token claim that holds the user id: oid (object id, stable) by default, or preferred_username, upn, sub.')
param userIdClaim string = 'oid'

@description('Tokens per minute each user may use; 0 leaves the per-user quota off.')
@minValue(0)
param userTokenQuotaPerMinute int = 0

@description('Where the usage app queries usage: the Log Analytics workspace or the Application Insights resource.')
@allowed([
  'loganalytics'
  'appinsights'
])
param usageBackend string = 'loganalytics'

@description('How the usage app checks who reads usage: entra validates the caller\'s bearer token for gatewayAudience, so each user reads only their own usage unless they hold usageReaderRole; empty leaves it to the gateway\'s subscription keys.')
@allowed([
  ''
  'entra'
])
param usageAuth string = ''

@description('App role of the gateway\'s app registration whose holders read everyone\'s usage.')
param usageReaderRole string = 'Usage.ReadAll'

@description('ISO 4217 currency that prices and costs are shown in when a request names none.')
param currency string = 'USD'

@description('Days the workspace keeps telemetry.')
@minValue(30)
@maxValue(730)
param retentionDays int = 90

@description('Read the apps\' host keys into the gateway. The keys exist only once the apps have started, so the first deployment sets this to false, and the one after publishing the apps leaves it true.')
param readFunctionKeys bool = true

param tags object = {
  application: 'aoai-meter'
}

var suffix = take(uniqueString(resourceGroup().id), 6)
var names = {
  workspace: '${namePrefix}-logs-${suffix}'
  appInsights: '${namePrefix}-insights-${suffix}'
  openAi: '${namePrefix}-openai-${suffix}'
  storage: toLower('${namePrefix}fn${suffix}')
  pricingApp: '${namePrefix}-pricing-${suffix}'
  usageApp: '${namePrefix}-usage-${suffix}'
  apim: '${namePrefix}-gateway-${suffix}'
}
var deploymentContainers = {
  pricingApp: 'pricing-app-package'
  usageApp: 'usage-app-package'
}

// Settings both handler binaries read: where prices come from and how they are refreshed.
var priceSettings = {
  PRICING_SOURCE: 'auto'
  PRICING_API_URL: 'https://prices.azure.com/api/retail/prices'
  PRICING_PAGE_URL: 'https://azure.microsoft.com/en-us/pricing/details/azure-openai/'
  PRICING_RATES_URL: 'https://azure.microsoft.com/api/v2/currencies/'
  PRICING_REGIONS: openAiLocation
  PRICING_CURRENCY: currency
  PRICING_REFRESH_HOURS: '24'
  PRICING_CACHE_PATH: '/tmp/aoai-meter/prices'
  PRICE_OVERRIDES: ''
  RUST_LOG: 'info'
}

// The pricing app's settings (aoai-pricing).
var pricingAppSettings = union(priceSettings, {
  PRICING_BIND: '127.0.0.1'
})

// The usage app's settings (aoai-usage): the gateway's token metrics, read from the chosen backend.
var usageAppSettings = union(priceSettings, {
  USAGE_BIND: '127.0.0.1'
  USAGE_STORE: '/tmp/aoai-meter/usage.db'
  USAGE_SOURCE: 'apim'
  USAGE_CACHED_METRIC: 'Prompt Cached Tokens'
  USAGE_METRIC_DIMENSIONS: 'User ID,Deployment,Subscription ID,Streamed'
  AOAI_DEPLOYMENTS: ''
  AOAI_DEPLOYMENTS_JSON: string(openAi.outputs.catalog)
  AOAI_DEFAULT_REGION: openAiLocation
  AOAI_DEFAULT_DEPLOYMENT_TYPE: 'global'
  USAGE_DIRECTORY: ''
  USAGE_MAX_RANGE_DAYS: '400'
  INGEST_MAX_BODY_BYTES: '67108864'
  INGEST_BODY_TIMEOUT_SECONDS: '60'
  INGEST_INSTRUMENTATION_KEY: ''
  APPINSIGHTS_APP_ID: usageBackend == 'appinsights' ? monitoring.outputs.appInsightsAppId : ''
  LOG_ANALYTICS_WORKSPACE_ID: usageBackend == 'loganalytics' ? monitoring.outputs.workspaceCustomerId : ''
  APPINSIGHTS_QUERY_ENDPOINT: 'https://api.applicationinsights.io'
  LOG_ANALYTICS_QUERY_ENDPOINT: 'https://api.loganalytics.azure.com'
  USAGE_QUERY_SCOPE: ''
  USAGE_QUERY_TIMEOUT_SECONDS: '60'
  USAGE_QUERY_ATTEMPTS: '3'
  AZURE_CREDENTIAL: 'managed_identity'
  AZURE_CLIENT_ID: ''
  AZURE_TENANT_ID: ''
  USAGE_AUTH: usageAuth
  USAGE_AUTH_TENANT_ID: usageAuth == 'entra' ? entraTenantId : ''
  USAGE_AUTH_AUDIENCE: usageAuth == 'entra' ? gatewayAudience : ''
  USAGE_AUTH_AUTHORITY_HOST: environment().authentication.loginEndpoint
  USAGE_AUTH_USER_CLAIM: userIdClaim
  USAGE_AUTH_READER_ROLE: usageReaderRole
})

// The gateway operations of each app, one per route of its functions/*/function.json; the
// test suite checks that they match.
var pricingOperations = [
  {
    name: 'price'
    urlTemplate: '/price'
  }
  {
    name: 'price-list'
    urlTemplate: '/prices'
  }
  {
    name: 'price-rejected'
    urlTemplate: '/prices/rejected'
  }
  {
    name: 'price-compare'
    urlTemplate: '/prices/compare'
  }
]
var usageOperations = [
  {
    name: 'usage'
    urlTemplate: '/usage'
  }
  {
    name: 'usage-queries'
    urlTemplate: '/usage/queries'
  }
  {
    name: 'dashboard'
    urlTemplate: '/dashboard'
  }
  {
    name: 'dashboard-asset'
    urlTemplate: '/dashboard/*'
  }
]

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    retentionDays: retentionDays
    tags: tags
  }
}

module openAi 'modules/openai.bicep' = {
  name: 'openai'
  params: {
    location: openAiLocation
    accountName: names.openAi
    deployments: openAiDeployments
    tags: tags
  }
}

module storage 'modules/function-storage.bicep' = {
  name: 'function-storage'
  params: {
    location: location
    accountName: names.storage
    containerNames: [
      deploymentContainers.pricingApp
      deploymentContainers.usageApp
    ]
    tags: tags
  }
}

module pricingApp 'modules/function-app.bicep' = {
  name: 'pricing-app'
  params: {
    location: location
    appName: names.pricingApp
    storageAccountName: storage.outputs.accountName
    deploymentContainerName: deploymentContainers.pricingApp
    appInsightsName: monitoring.outputs.appInsightsName
    handlerSettings: pricingAppSettings
    maximumInstanceCount: 40
    instanceMemoryMB: 512
    tags: tags
  }
}

module usageApp 'modules/function-app.bicep' = {
  name: 'usage-app'
  params: {
    location: location
    appName: names.usageApp
    storageAccountName: storage.outputs.accountName
    deploymentContainerName: deploymentContainers.usageApp
    appInsightsName: monitoring.outputs.appInsightsName
    handlerSettings: usageAppSettings
    maximumInstanceCount: 40
    instanceMemoryMB: 2048
    tags: tags
  }
}

// The apps' host keys, read when the gateway's named values are written. Until then the
// gateway holds a placeholder, and calls through it to the apps get 401 from the app.
var keyPlaceholder = 'read-after-the-apps-are-published'

resource pricingSite 'Microsoft.Web/sites@2024-04-01' existing = {
  name: names.pricingApp
}

resource usageSite 'Microsoft.Web/sites@2024-04-01' existing = {
  name: names.usageApp
}

module apim 'modules/apim.bicep' = {
  name: 'apim'
  params: {
    location: location
    serviceName: names.apim
    skuName: apimSku
    publisherEmail: publisherEmail
    publisherName: publisherName
    appInsightsName: monitoring.outputs.appInsightsName
    workspaceId: monitoring.outputs.workspaceId
    entraTenantId: entraTenantId
    gatewayAudience: gatewayAudience
    allowedClientAppId: allowedClientAppId
    userIdClaim: userIdClaim
    userTokenQuotaPerMinute: userTokenQuotaPerMinute
    pricingAppHostName: pricingApp.outputs.hostName
    usageAppHostName: usageApp.outputs.hostName
    pricingFunctionKey: readFunctionKeys ? listKeys('${pricingSite.id}/host/default', '2024-04-01').functionKeys.default : keyPlaceholder
    usageFunctionKey: readFunctionKeys ? listKeys('${usageSite.id}/host/default', '2024-04-01').functionKeys.default : keyPlaceholder
    tags: tags
  }
}

module openAiApi 'modules/apim-openai-api.bicep' = {
  name: 'apim-openai-api'
  params: {
    serviceName: apim.outputs.serviceName
    openAiEndpoint: openAi.outputs.endpoint
    productName: apim.outputs.openAiProductName
    azureMonitorLoggerId: apim.outputs.azureMonitorLoggerId
  }
}

module pricingApi 'modules/apim-app-api.bicep' = {
  name: 'apim-pricing-api'
  params: {
    serviceName: apim.outputs.serviceName
    apiName: 'pricing'
    displayName: 'aoai-meter prices'
    operations: pricingOperations
    policyXml: loadTextContent('policies/pricing-api.xml')
    productName: apim.outputs.reportsProductName
  }
}

module usageApi 'modules/apim-app-api.bicep' = {
  name: 'apim-usage-api'
  params: {
    serviceName: apim.outputs.serviceName
    apiName: 'usage'
    displayName: 'aoai-meter usage'
    operations: usageOperations
    policyXml: loadTextContent('policies/usage-api.xml')
    productName: apim.outputs.reportsProductName
  }
}

module roles 'modules/role-assignments.bicep' = {
  name: 'role-assignments'
  params: {
    openAiAccountName: openAi.outputs.accountName
    workspaceName: monitoring.outputs.workspaceName
    appInsightsName: monitoring.outputs.appInsightsName
    gatewayPrincipalId: apim.outputs.principalId
    usageAppPrincipalId: usageApp.outputs.principalId
  }
}

@description('Gateway address: Azure OpenAI under /openai, prices under /pricing, usage and the dashboard under /usage.')
output gatewayUrl string = apim.outputs.gatewayUrl
output openAiEndpoint string = openAi.outputs.endpoint
output pricingAppName string = pricingApp.outputs.name
output usageAppName string = usageApp.outputs.name
output apimName string = apim.outputs.serviceName
output appInsightsName string = monitoring.outputs.appInsightsName
output workspaceCustomerId string = monitoring.outputs.workspaceCustomerId
