// Log alerts on Application Insights (queries in ./queries, names from src/events/names.ts):
// a run failed or timed out; a request went to the rejected or poison queue; a run is older than the SLA;
// the partner API answers 429/5xx too often; Event Grid did not take events within their retry window. They notify an existing action group, or a new one for alertEmail.
param namePrefix string
param location string = resourceGroup().location
param tags object = {}
param applicationInsightsId string

@description('Existing action group to notify. Empty: alertEmail decides.')
param actionGroupId string = ''

@description('E-mail address for a new action group. Empty: no new action group.')
param alertEmail string = ''

@description('Poison queue of the requests queue (the host logs its name when it moves a message there).')
param poisonQueueName string

@minValue(1)
@maxValue(46)
param runSlaHours int = 24

@minValue(1)
param partnerApiErrorThreshold int = 10

resource emailActionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (empty(actionGroupId) && !empty(alertEmail)) {
  name: 'ag-${namePrefix}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'golive'
    enabled: true
    emailReceivers: [
      {
        name: 'operators'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var actionGroups = !empty(actionGroupId) ? [actionGroupId] : (!empty(alertEmail) ? [emailActionGroup.id] : [])

// Log alerts read at most two days of data (overrideQueryTimeRange), which bounds runSlaHours.
var rules = [
  {
    name: 'run-failed'
    displayName: 'Go-live run failed or timed out'
    description: 'A go-live run ended failed or timedOut. See errorCode, and the run\'s completion event on golive-events.'
    severity: 1
    query: loadTextContent('queries/run-failed.kql')
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    threshold: 0
    dimensions: [
      {
        name: 'runId'
        operator: 'Include'
        values: [
          '*'
        ]
      }
    ]
  }
  {
    name: 'request-dead-letter'
    displayName: 'Go-live request rejected or poisoned'
    description: 'A go-live request was moved to golive-rejected (invalid, with its reason) or to the poison queue (failed maxDequeueCount times).'
    severity: 2
    query: replace(loadTextContent('queries/request-dead-letter.kql'), '__POISON_QUEUE__', poisonQueueName)
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    threshold: 0
    dimensions: [
      {
        name: 'queue'
        operator: 'Include'
        values: [
          '*'
        ]
      }
    ]
  }
  {
    name: 'run-over-sla'
    displayName: 'Go-live run older than ${runSlaHours} hours'
    description: 'A go-live run started more than ${runSlaHours} hours ago and has not ended. Check it with GET /api/golive/{publisherId}/{offerId}.'
    severity: 2
    query: replace(loadTextContent('queries/run-over-sla.kql'), '__SLA_HOURS__', string(runSlaHours))
    evaluationFrequency: 'PT1H'
    windowSize: 'PT1H'
    threshold: 0
    dimensions: [
      {
        name: 'runId'
        operator: 'Include'
        values: [
          '*'
        ]
      }
    ]
  }
  {
    name: 'partner-api-errors'
    displayName: 'Partner API 429/5xx rate'
    description: 'The partner API answered 429 or 5xx more than ${partnerApiErrorThreshold} times in 15 minutes (after the client\'s retries).'
    severity: 2
    query: loadTextContent('queries/partner-api-errors.kql')
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    threshold: partnerApiErrorThreshold
    dimensions: []
  }
  {
    name: 'eventgrid-gave-up'
    displayName: 'Go-live events not taken by Event Grid'
    description: 'The Event Grid topic refused or did not answer a publish for GOLIVE_EVENTGRID_RETRY_HOURS; the events are on golive-events only and the run has a warning. See errorCode (EventGridForbidden: the EventGrid Data Sender role).'
    severity: 1
    query: loadTextContent('queries/eventgrid-gave-up.kql')
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    threshold: 0
    dimensions: []
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2021-08-01' = [
  for rule in rules: {
    name: '${namePrefix}-${rule.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        applicationInsightsId
      ]
      evaluationFrequency: rule.evaluationFrequency
      windowSize: rule.windowSize
      overrideQueryTimeRange: rule.name == 'run-over-sla' ? 'P2D' : null
      // A new Application Insights resource has no data yet; the queries are checked by test/unit/infra.
      skipQueryValidation: true
      autoMitigate: true
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: rule.threshold
            // One alert per run (or queue): a second failure is not hidden behind a first one still firing.
            dimensions: rule.dimensions
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroups: actionGroups
      }
    }
  }
]

output alertRuleNames array = [for (rule, i) in rules: alertRules[i].name]
