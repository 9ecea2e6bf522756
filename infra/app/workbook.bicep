// The operators' workbook on Application Insights: runs by state, outcomes, duration distribution, in-flight runs,
// partner API errors, rejected requests. The content is workbook.json (queries use src/events/names.ts names).
param location string = resourceGroup().location
param tags object = {}
param applicationInsightsId string
param displayName string = 'Go-live operations'

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, applicationInsightsId, 'golive-operations')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: toLower(applicationInsightsId)
    serializedData: replace(loadTextContent('workbook.json'), '__APPLICATION_INSIGHTS_ID__', applicationInsightsId)
  }
}

output id string = workbook.id
