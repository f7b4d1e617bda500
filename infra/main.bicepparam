// Example parameters; copy this file and set your own values. It holds no secret: the gateway
// audience and client application ids are identifiers, not credentials.
using './main.bicep'

param namePrefix = 'aoaimeter'

param openAiLocation = 'swedencentral'

param openAiDeployments = [
  {
    name: 'chat'
    model: 'gpt-4o-mini'
    version: '2024-07-18'
    sku: 'GlobalStandard'
    capacity: 50
  }
  {
    name: 'chat-eu'
    model: 'gpt-4.1'
    version: '2025-04-14'
    sku: 'DataZoneStandard'
    capacity: 20
  }
  {
    name: 'embeddings'
    model: 'text-embedding-3-small'
    version: '1'
    sku: 'Standard'
    capacity: 50
  }
]

param publisherEmail = 'platform-team@contoso.com'

param publisherName = 'Contoso platform team'

param gatewayAudience = 'api://aoai-meter-gateway'

param userIdClaim = 'oid'

param userTokenQuotaPerMinute = 0

param usageBackend = 'loganalytics'

param currency = 'USD'
