// The Function App: Flex Consumption (FC1), Functions runtime v4 (the only one Flex Consumption runs, so no
// FUNCTIONS_EXTENSION_VERSION or FUNCTIONS_WORKER_RUNTIME setting: the runtime is functionAppConfig.runtime),
// Node.js from one parameter, one user-assigned identity for everything.
param name string
param location string = resourceGroup().location
param tags object = {}

@description('azd deploys the service whose name is this tag (azure.yaml `services`).')
param serviceName string = 'api'

param appServicePlanId string

@description('Node.js major version (main.bicep nodeVersion).')
param nodeVersion string

param instanceMemoryMB int = 2048
param maximumInstanceCount int = 40

@description('Resource id of the app\'s user-assigned identity.')
param identityId string

@description('Client id of the app\'s user-assigned identity.')
param identityClientId string

param blobEndpoint string
param queueEndpoint string
param tableEndpoint string
param deploymentContainerName string
param applicationInsightsConnectionString string

@description('Durable Task Scheduler endpoint. Empty: Durable Functions keep their task hub in Azure Storage.')
param durableTaskSchedulerEndpoint string = ''

@description('Task hub name (host.json extensions.durableTask.hubName).')
param durableTaskHubName string = 'golive'

@allowed([
  'managedIdentity'
  'federated'
  'keyVaultSecret'
])
param partnerCredential string = 'managedIdentity'
param partnerTenantId string = ''
param partnerClientId string = ''

@description('Versionless Key Vault secret URI of the partner client secret (keyVaultSecret only).')
param partnerClientSecretUri string = ''

@description('The app\'s own settings (src/config.ts).')
param appSettings object = {}

// AzureWebJobsStorage, identity-based: blob (host, timers, leases), queue (triggers, outputs, Durable control
// queues) and table (Durable history; the app's submit ledger, src/golive/submitLedger.ts).
var storageSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  AzureWebJobsStorage__queueServiceUri: queueEndpoint
  AzureWebJobsStorage__tableServiceUri: tableEndpoint
}

// Application Insights with Entra ID authentication: the host and the app send as the user-assigned identity.
var monitoringSettings = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

// The partner API credential (src/partner/credential.ts uses DefaultAzureCredential). AZURE_TOKEN_CREDENTIALS=prod
// limits it to EnvironmentCredential, WorkloadIdentityCredential and ManagedIdentityCredential, in that order.
// - managedIdentity: no AZURE_CLIENT_SECRET and no AZURE_FEDERATED_TOKEN_FILE, so the first two are unavailable
//   and ManagedIdentityCredential gets the token as the user-assigned identity AZURE_CLIENT_ID.
// - keyVaultSecret: EnvironmentCredential gets the token as the publisher's Entra app (tenant, client id, secret);
//   the secret is a Key Vault reference resolved with the user-assigned identity (keyVaultAccessIdentityResourceId).
// - federated: the publisher's Entra app trusts the user-assigned identity as a federated identity credential;
//   src/partner/credential.ts asserts that app (PARTNER_API_FEDERATED_CLIENT_ID, tenant AZURE_TENANT_ID) with a
//   managed identity token. No secret is stored anywhere.
var partnerIdentitySettings = partnerCredential == 'keyVaultSecret'
  ? {
      AZURE_TOKEN_CREDENTIALS: 'prod'
      AZURE_TENANT_ID: partnerTenantId
      AZURE_CLIENT_ID: partnerClientId
      AZURE_CLIENT_SECRET: '@Microsoft.KeyVault(SecretUri=${partnerClientSecretUri})'
    }
  : partnerCredential == 'federated'
      ? {
          AZURE_TOKEN_CREDENTIALS: 'prod'
          AZURE_TENANT_ID: partnerTenantId
          AZURE_CLIENT_ID: identityClientId
          PARTNER_API_FEDERATED_CLIENT_ID: partnerClientId
        }
      : {
      AZURE_TOKEN_CREDENTIALS: 'prod'
      AZURE_TENANT_ID: tenant().tenantId
      AZURE_CLIENT_ID: identityClientId
    }

// Durable Task Scheduler: host.json keeps the Azure Storage provider; these settings override it
// (AzureFunctionsJobHost__ paths override host.json values).
var durableSettings = empty(durableTaskSchedulerEndpoint)
  ? {}
  : {
      DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
      AzureFunctionsJobHost__extensions__durableTask__hubName: durableTaskHubName
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
    }

// Later objects win: the app's settings cannot override the platform's.
var allAppSettings = union(appSettings, partnerIdentitySettings, durableSettings, monitoringSettings, storageSettings)

module functionApp 'br/public:avm/res/web/site:0.24.0' = {
  name: 'functionApp'
  params: {
    name: name
    location: location
    kind: 'functionapp,linux'
    tags: union(tags, {
      'azd-service-name': serviceName
    })
    serverFarmResourceId: appServicePlanId
    httpsOnly: true
    clientAffinityEnabled: false
    managedIdentities: {
      systemAssigned: false
      userAssignedResourceIds: [
        identityId
      ]
    }
    // Key Vault references resolve with the user-assigned identity (there is no system-assigned one).
    keyVaultAccessIdentityResourceId: identityId
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
    configs: [
      {
        name: 'appsettings'
        // Infra is the source of truth: a setting removed here is removed from the app.
        retainCurrentAppSettings: false
        properties: allAppSettings
      }
    ]
  }
}

output name string = functionApp.outputs.name
output resourceId string = functionApp.outputs.resourceId
output defaultHostname string = functionApp.outputs.defaultHostname
