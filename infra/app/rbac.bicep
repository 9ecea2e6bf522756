// Role assignments of the app's user-assigned identity (and, when given, of the person or pipeline running azd).
// One loop per scope: storage, Application Insights, Durable Task Scheduler (optional), Key Vault (optional).
param storageAccountName string
param appInsightsName string

@description('Principal (object) id of the app\'s user-assigned identity.')
param managedIdentityPrincipalId string

@description('Object id of the person or pipeline running azd. Empty: no assignments for it.')
param userPrincipalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
])
param userPrincipalType string = 'User'

@description('Durable Task Scheduler name when that backend is used. Empty: Azure Storage backend.')
param durableTaskSchedulerName string = ''

@description('Key Vault name when the partner client secret is kept there. Empty: no vault.')
param keyVaultName string = ''

// Built-in role definition ids.
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher
var durableTaskDataContributor = '0ad04412-c4d5-4796-b79c-f76d14c8d402' // Durable Task Data Contributor
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7' // Key Vault Secrets Officer

// Blob: host leases, timer schedule monitor, deployment package. Queue: triggers, outputs, Durable control and
// work-item queues. Table: Durable history and instances, the app's submit ledger (goliveSubmits).
var storageRoles = [
  storageBlobDataOwner
  storageQueueDataContributor
  storageTableDataContributor
]

var identityStorageAssignments = [
  for roleId in storageRoles: {
    roleId: roleId
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
]
var userStorageAssignments = [
  for roleId in storageRoles: {
    roleId: roleId
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
]
var storageAssignments = empty(userPrincipalId)
  ? identityStorageAssignments
  : concat(identityStorageAssignments, userStorageAssignments)

var identityAssignment = {
  principalId: managedIdentityPrincipalId
  principalType: 'ServicePrincipal'
}
var userAssignment = {
  principalId: userPrincipalId
  principalType: userPrincipalType
}
var principals = empty(userPrincipalId) ? [identityAssignment] : [identityAssignment, userAssignment]

resource storageAccount 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource scheduler 'Microsoft.DurableTask/schedulers@2026-02-01' existing = if (!empty(durableTaskSchedulerName)) {
  name: durableTaskSchedulerName
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = if (!empty(keyVaultName)) {
  name: keyVaultName
}

resource storageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in storageAssignments: {
    name: guid(storageAccount.id, assignment.principalId, assignment.roleId)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', assignment.roleId)
      principalId: assignment.principalId
      principalType: assignment.principalType
    }
  }
]

// Telemetry with Entra ID authentication (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
resource monitoringRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principal in principals: {
    name: guid(applicationInsights.id, principal.principalId, monitoringMetricsPublisher)
    scope: applicationInsights
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
      principalId: principal.principalId
      principalType: principal.principalType
    }
  }
]

// The app's Durable backend, and the dashboard for the person running azd.
resource schedulerRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principal in principals: if (!empty(durableTaskSchedulerName)) {
    name: guid(scheduler.id, principal.principalId, durableTaskDataContributor)
    scope: scheduler
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributor)
      principalId: principal.principalId
      principalType: principal.principalType
    }
  }
]

// The app reads the secret (Key Vault reference); the person running azd sets it.
resource secretsUserAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(keyVaultName)) {
  name: guid(vault.id, managedIdentityPrincipalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsOfficerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(keyVaultName) && !empty(userPrincipalId)) {
  name: guid(vault.id, userPrincipalId, keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}
