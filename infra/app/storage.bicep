// Storage for the Functions host (AzureWebJobsStorage), the Durable task hub on Azure Storage, the app's queues and
// the Flex Consumption deployment package. Identity access only: shared keys are disabled.
param name string
param location string = resourceGroup().location
param tags object = {}

@description('Blob container that holds the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Queues the app uses: requests, events, rejected, and the host\'s requests poison queue.')
param queueNames array

module storageAccount 'br/public:avm/res/storage/storage-account:0.33.0' = {
  name: 'storageAccount'
  params: {
    name: name
    location: location
    tags: tags
    kind: 'StorageV2'
    skuName: 'Standard_LRS'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [
        {
          name: deploymentContainerName
        }
      ]
    }
    queueServices: {
      queues: [
        for queueName in queueNames: {
          name: queueName
        }
      ]
    }
    tableServices: {}
  }
}

output name string = storageAccount.outputs.name
output resourceId string = storageAccount.outputs.resourceId
output blobEndpoint string = storageAccount.outputs.serviceEndpoints.blob
output queueEndpoint string = storageAccount.outputs.serviceEndpoints.queue
output tableEndpoint string = storageAccount.outputs.serviceEndpoints.table
