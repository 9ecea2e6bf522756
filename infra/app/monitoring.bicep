// Log Analytics workspace and workspace-based Application Insights. With local auth disabled, telemetry is accepted
// only with an Entra ID token: the host uses APPLICATIONINSIGHTS_AUTHENTICATION_STRING and the app's identity holds
// Monitoring Metrics Publisher (rbac.bicep).
param logAnalyticsName string
param applicationInsightsName string
param location string = resourceGroup().location
param tags object = {}
param disableLocalAuth bool = true

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.16.1' = {
  name: 'logAnalytics'
  params: {
    name: logAnalyticsName
    location: location
    tags: tags
    skuName: 'PerGB2018'
    // Days kept; the workbook and the README queries look back up to 30 days.
    dataRetention: 30
  }
}

module applicationInsights 'br/public:avm/res/insights/component:0.8.0' = {
  name: 'applicationInsights'
  params: {
    name: applicationInsightsName
    location: location
    tags: tags
    kind: 'web'
    applicationType: 'web'
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: disableLocalAuth
    retentionInDays: 30
  }
}

output logAnalyticsId string = logAnalytics.outputs.resourceId
output applicationInsightsId string = applicationInsights.outputs.resourceId
output applicationInsightsName string = applicationInsights.outputs.name
output connectionString string = applicationInsights.outputs.connectionString
