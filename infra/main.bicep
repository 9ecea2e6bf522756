// marketplace-golive: everything `azd up` provisions. Subscription scope: creates the resource group, then
// the Function App (Flex Consumption), its storage, identity, monitoring, alerts and workbook inside it.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; seeds the resource names and the azd-env-name tag.')
param environmentName string

// No region list here: azd asks for a location, and Flex Consumption regions change over time
// (`az functionapp list-flexconsumption-locations` lists the current ones).
@minLength(1)
@description('Region of every resource. Pick one that offers Flex Consumption.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the person or pipeline running azd (AZURE_PRINCIPAL_ID): data roles on storage, and Secrets Officer on the vault, for operating and debugging. Empty: none.')
param principalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
])
@description('Principal type of principalId.')
param principalType string = 'User'

@allowed([
  '22'
  '24'
])
@description('Node.js major version of the Function App: 22 (package.json engines and @types/node match it) or 24. azd: NODE_VERSION.')
param nodeVersion string = '22'

@description('Maximum instances of the Flex Consumption app.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@allowed([
  2048
  4096
])
@description('Instance memory of the Flex Consumption app, in MB.')
param instanceMemoryMB int = 2048

@description('Run Durable Functions on the Durable Task Scheduler (a managed backend) instead of the Azure Storage task hub.')
param useDurableTaskScheduler bool = false

@allowed([
  'managedIdentity'
  'federated'
  'keyVaultSecret'
])
@description('How the app authenticates to the partner API. managedIdentity: the app\'s user-assigned identity is the service principal added to the publisher account (no stored secret). federated: the publisher\'s Entra app (partnerClientId) trusts the app\'s identity as a federated credential (no stored secret). keyVaultSecret: the publisher\'s Entra app with a client secret kept in Key Vault.')
param partnerCredential string = 'managedIdentity'

@description('federated and keyVaultSecret: tenant id of the publisher\'s Entra app. Empty: this subscription\'s tenant.')
param partnerTenantId string = ''

@description('federated and keyVaultSecret: application (client) id of the publisher\'s Entra app.')
param partnerClientId string = ''

@description('keyVaultSecret only: name of the Key Vault secret that holds the client secret (set its value after provisioning).')
param partnerClientSecretName string = 'partner-client-secret'

@description('Partner API origin (PARTNER_API_BASE_URL).')
param partnerApiBaseUrl string = 'https://cloudpartner.azure.com'

@allowed([
  'cpp'
  'productIngestion'
])
@description('Partner API used when a request names none (GOLIVE_DEFAULT_API).')
param goLiveDefaultApi string = 'cpp'

@description('Seconds between operation reads where the go-live is likely to end (GOLIVE_POLL_INTERVAL_SECONDS).')
@minValue(1)
param goLivePollIntervalSeconds int = 120

@description('Overall deadline of a run in minutes (GOLIVE_DEADLINE_MINUTES); past it the run ends timedOut.')
@minValue(1)
param goLiveDeadlineMinutes int = 10080

@description('6-field NCRONTAB schedule of the scheduled go-lives (GOLIVE_SCHEDULE, UTC).')
param goLiveSchedule string = '0 0 6 * * *'

@description('publisherId/offerId pairs the schedule enqueues, comma separated (GOLIVE_SCHEDULED_OFFERS). Empty: none.')
param goLiveScheduledOffers string = ''

@description('Disable local (key) authentication of Application Insights: telemetry is accepted only with Entra ID tokens.')
param appInsightsDisableLocalAuth bool = true

@description('Alert when a run has not ended this many hours after it started. At most 46: log alerts read at most two days of data.')
@minValue(1)
@maxValue(46)
param runSlaHours int = 24

@description('Alert when the partner API answers 429 or 5xx more than this many times in 15 minutes.')
@minValue(1)
param partnerApiErrorThreshold int = 10

@description('Send a golive.progressed event each time a run\'s steps or phase change (GOLIVE_PROGRESS_EVENTS).')
param goLiveProgressEvents bool = false

@description('Hours a publish to the Event Grid topic is retried before the run gives up on it (GOLIVE_EVENTGRID_RETRY_HOURS).')
@minValue(1)
@maxValue(168)
param eventGridRetryHours int = 24

@description('Resource id of an existing action group the alerts notify. Empty: alertEmail decides.')
param alertActionGroupId string = ''

@description('E-mail address for a new action group the alerts notify. Empty: no new action group.')
param alertEmail string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-golive-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var useKeyVault = partnerCredential == 'keyVaultSecret'

// Queue names: the defaults of src/config.ts. The poison queue is the host's `{requests}-poison`.
var queueNames = {
  requests: 'golive-requests'
  events: 'golive-events'
  rejected: 'golive-rejected'
}
var poisonQueueName = '${queueNames.requests}-poison'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

// The app's one identity: storage, Application Insights, Key Vault references, Durable Task Scheduler, partner API.
module apiIdentity 'br/public:avm/res/managed-identity/user-assigned-identity:0.6.0' = {
  name: 'apiIdentity'
  scope: rg
  params: {
    name: 'id-golive-${resourceToken}'
    location: location
    tags: tags
  }
}

module appServicePlan 'br/public:avm/res/web/serverfarm:0.7.0' = {
  name: 'appServicePlan'
  scope: rg
  params: {
    name: 'plan-golive-${resourceToken}'
    location: location
    tags: tags
    kind: 'functionapp'
    skuName: 'FC1'
    reserved: true
    zoneRedundant: false
  }
}

module storage './app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'stgolive${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    queueNames: [
      queueNames.requests
      queueNames.events
      queueNames.rejected
      poisonQueueName
    ]
  }
}

module monitoring './app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-golive-${resourceToken}'
    applicationInsightsName: 'appi-golive-${resourceToken}'
    location: location
    tags: tags
    disableLocalAuth: appInsightsDisableLocalAuth
  }
}

module keyVault './app/keyvault.bicep' = if (useKeyVault) {
  name: 'keyVault'
  scope: rg
  params: {
    name: 'kv-golive-${take(resourceToken, 11)}'
    location: location
    tags: tags
    secretName: partnerClientSecretName
  }
}

module durableTaskScheduler './app/dts.bicep' = if (useDurableTaskScheduler) {
  name: 'durableTaskScheduler'
  scope: rg
  params: {
    name: 'dts-golive-${resourceToken}'
    location: location
    tags: tags
    taskHubName: 'golive'
  }
}

module rbac './app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.applicationInsightsName
    managedIdentityPrincipalId: apiIdentity.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
    durableTaskSchedulerName: useDurableTaskScheduler ? durableTaskScheduler!.outputs.name : ''
    keyVaultName: useKeyVault ? keyVault!.outputs.name : ''
  }
}

// The Event Grid topic every event goes to besides golive-events, with an example subscription (docs/events.md).
module eventGrid './app/eventgrid.bicep' = {
  name: 'eventGrid'
  scope: rg
  params: {
    name: 'egt-golive-${resourceToken}'
    location: location
    tags: tags
    publisherPrincipalId: apiIdentity.outputs.principalId
    storageAccountName: storage.outputs.name
  }
}

module api './app/api.bicep' = {
  name: 'api'
  scope: rg
  dependsOn: [
    rbac
  ]
  params: {
    name: functionAppName
    location: location
    tags: tags
    appServicePlanId: appServicePlan.outputs.resourceId
    nodeVersion: nodeVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    identityId: apiIdentity.outputs.resourceId
    identityClientId: apiIdentity.outputs.clientId
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    durableTaskSchedulerEndpoint: useDurableTaskScheduler ? durableTaskScheduler!.outputs.endpoint : ''
    durableTaskHubName: 'golive'
    partnerCredential: partnerCredential
    partnerTenantId: empty(partnerTenantId) ? tenant().tenantId : partnerTenantId
    partnerClientId: partnerClientId
    partnerClientSecretUri: useKeyVault ? keyVault!.outputs.secretUri : ''
    // Every setting of src/config.ts (the development-only tokens PARTNER_API_TOKEN, PRODUCT_INGESTION_TOKEN and
    // GOLIVE_EVENTGRID_TOKEN are never set in Azure). Values are strings, as app settings are.
    appSettings: {
      PARTNER_API_BASE_URL: partnerApiBaseUrl
      PARTNER_API_VERSION: '2017-10-31'
      PARTNER_API_SCOPE: 'https://cloudpartner.azure.com/.default'
      PARTNER_API_TIMEOUT_SECONDS: '30'
      PARTNER_API_MAX_RETRIES: '4'
      PRODUCT_INGESTION_BASE_URL: 'https://graph.microsoft.com/rp/product-ingestion'
      PRODUCT_INGESTION_SCHEMA_VERSION: '2022-03-01-preview2'
      PRODUCT_INGESTION_SCOPE: 'https://graph.microsoft.com/.default'
      GOLIVE_DEFAULT_API: goLiveDefaultApi
      GOLIVE_REQUESTS_QUEUE: queueNames.requests
      GOLIVE_EVENTS_QUEUE: queueNames.events
      GOLIVE_REJECTED_QUEUE: queueNames.rejected
      GOLIVE_POLL_INTERVAL_SECONDS: string(goLivePollIntervalSeconds)
      GOLIVE_POLL_MAX_INTERVAL_SECONDS: '3600'
      GOLIVE_DEADLINE_MINUTES: string(goLiveDeadlineMinutes)
      GOLIVE_POLLS_PER_HISTORY: '100'
      GOLIVE_SCHEDULE: goLiveSchedule
      GOLIVE_SCHEDULED_OFFERS: goLiveScheduledOffers
      GOLIVE_RECONCILE_SCHEDULE: '0 */5 * * * *'
      GOLIVE_EVENTGRID_ENDPOINT: eventGrid.outputs.endpoint
      GOLIVE_EVENTGRID_RETRY_HOURS: string(eventGridRetryHours)
      GOLIVE_PROGRESS_EVENTS: goLiveProgressEvents ? 'true' : 'false'
    }
  }
}

module alerts './app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    namePrefix: 'golive-${resourceToken}'
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    actionGroupId: alertActionGroupId
    alertEmail: alertEmail
    poisonQueueName: poisonQueueName
    runSlaHours: runSlaHours
    partnerApiErrorThreshold: partnerApiErrorThreshold
  }
}

module workbook './app/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = 'https://${api.outputs.defaultHostname}'
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_QUEUE_ENDPOINT string = storage.outputs.queueEndpoint
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
output API_IDENTITY_CLIENT_ID string = apiIdentity.outputs.clientId
output API_IDENTITY_PRINCIPAL_ID string = apiIdentity.outputs.principalId
output AZURE_KEY_VAULT_NAME string = useKeyVault ? keyVault!.outputs.name : ''
output EVENTGRID_TOPIC_NAME string = eventGrid.outputs.name
output GOLIVE_EVENTGRID_ENDPOINT string = eventGrid.outputs.endpoint
output EVENTGRID_SAMPLE_QUEUE string = eventGrid.outputs.sampleQueueName
output DURABLE_TASK_SCHEDULER_ENDPOINT string = useDurableTaskScheduler ? durableTaskScheduler!.outputs.endpoint : ''
