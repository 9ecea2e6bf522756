// Optional Durable backend (useDurableTaskScheduler = true): a Durable Task Scheduler and the task hub the
// app's host.json names (`golive`). The app reaches it with its user-assigned identity (Durable Task Data
// Contributor, rbac.bicep); api.bicep points the Durable extension at it.
param name string
param location string = resourceGroup().location
param tags object = {}
param taskHubName string

@allowed([
  'Consumption'
  'Dedicated'
])
param skuName string = 'Consumption'

resource scheduler 'Microsoft.DurableTask/schedulers@2026-02-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    // Identity-based access only; the network allow list is open as the Function App has no fixed outbound address.
    ipAllowlist: [
      '0.0.0.0/0'
    ]
    sku: {
      name: skuName
    }
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2026-02-01' = {
  parent: scheduler
  name: taskHubName
}

output name string = scheduler.name
output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
