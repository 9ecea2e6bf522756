// The Event Grid topic the app publishes its events to (CloudEvents 1.0 input schema; local auth disabled, so only
// Microsoft Entra identities publish), the EventGrid Data Sender role for the app's identity, and one example
// subscription: every golive.* event into a storage queue, undeliverable ones into a dead-letter container, both
// delivered with the topic's own identity (the storage account refuses shared keys). See docs/events.md.
param name string
param location string = resourceGroup().location
param tags object = {}

@description('Principal (object) id of the app\'s user-assigned identity: it publishes.')
param publisherPrincipalId string

@description('The storage account of the example subscription\'s queue and dead-letter container.')
param storageAccountName string

@description('Queue the example subscription delivers to.')
param sampleQueueName string = 'golive-eventgrid'

@description('Blob container for events the example subscription could not deliver.')
param deadLetterContainerName string = 'eventgrid-deadletter'

// Built-in role definition ids.
var eventGridDataSender = 'd5a91429-5739-47e2-a06b-3470a27159e7' // EventGrid Data Sender
var storageQueueDataMessageSender = 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a' // Storage Queue Data Message Sender
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe' // Storage Blob Data Contributor

resource topic 'Microsoft.EventGrid/topics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource sendEvents 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, publisherPrincipalId, eventGridDataSender)
  scope: topic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventGridDataSender)
    principalId: publisherPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  name: 'default'
  parent: storageAccount
}

resource sampleQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  name: sampleQueueName
  parent: queueService
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  name: 'default'
  parent: storageAccount
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  name: deadLetterContainerName
  parent: blobService
  properties: {
    publicAccess: 'None'
  }
}

resource topicSendsToQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount.id, topic.id, storageQueueDataMessageSender)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataMessageSender)
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource topicWritesDeadLetters 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount.id, topic.id, storageBlobDataContributor)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// The example: every event of the app to a queue, kept 24 hours and tried 30 times (Event Grid's defaults), then
// dead-lettered. Filters on `type` and `subject` narrow it (docs/events.md).
resource sampleSubscription 'Microsoft.EventGrid/topics/eventSubscriptions@2022-06-15' = {
  name: 'golive-to-queue'
  parent: topic
  dependsOn: [
    topicSendsToQueue
    topicWritesDeadLetters
  ]
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    deliveryWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      destination: {
        endpointType: 'StorageQueue'
        properties: {
          resourceId: storageAccount.id
          queueName: sampleQueue.name
          queueMessageTimeToLiveInSeconds: 604800
        }
      }
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storageAccount.id
          blobContainerName: deadLetterContainer.name
        }
      }
    }
    filter: {
      includedEventTypes: [
        'golive.succeeded'
        'golive.failed'
        'golive.canceled'
        'golive.timedOut'
        'golive.rejected'
        'golive.progressed'
      ]
      subjectBeginsWith: 'publishers/'
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output name string = topic.name
output endpoint string = topic.properties.endpoint
output sampleQueueName string = sampleQueue.name
output deadLetterContainerName string = deadLetterContainer.name
