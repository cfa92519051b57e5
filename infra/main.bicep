// Azure deployment of the CM.com Bot Router connector (Azure Functions, .NET 10
// isolated worker, Flex Consumption). Resource-group scope:
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.bicepparam
// One concern per module: monitoring, storage, keyvault, identity (+ RBAC), functionapp.

targetScope = 'resourceGroup'

// ---------------------------------------------------------------- naming / placement

@description('Short base name of every resource (lowercase letters, digits, hyphens).')
@minLength(2)
@maxLength(12)
param appName string = 'botrouter'

@description('Azure region; must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
param location string = resourceGroup().location

@description('Tags applied to every resource.')
param tags { *: string } = {
  application: 'cm-botrouter-connector'
}

// ---------------------------------------------------------------- hosting

@description('Flex Consumption memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Flex Consumption scale-out limit (instances).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('dotnet-isolated runtime version on Flex Consumption; must match the TargetFramework of src/BotRouter.Functions.')
@allowed([
  '8.0'
  '9.0'
  '10.0'
])
param dotnetVersion string = '10.0'

// ---------------------------------------------------------------- contract settings (CONTRACT.md)

@description('BotRouter__BaseUrl: base of every Bot Router call.')
param botRouterBaseUrl string = 'https://api.cm.com/'

@description('BotRouter__AccountId: the BotRouterAccountId (GUID) CM.com gave you.')
@minLength(36)
@maxLength(36)
param botRouterAccountId string

@description('BotRouter__ProductToken: CM.com product token. Stored in Key Vault as cm-product-token; the app setting is a Key Vault reference.')
@secure()
param cmProductToken string

@description('BotRouter__SendPath: BMProxy (Business Messaging) path.')
param botRouterSendPath string = 'conversational/bmproxy/v1/accounts/{accountId}'

@description('BotRouter__MutationPath: enable/disable component path.')
param botRouterMutationPath string = 'conversational/control/v1/accounts/{accountId}/sessions/mutationrequests'

@description('BotRouter__PositionPath: position request path.')
param botRouterPositionPath string = 'conversational/control/v1/accounts/{accountId}/sessions/positionrequests'

@description('BotRouter__ResetPath: reset routing path.')
param botRouterResetPath string = 'conversational/control/v1/accounts/{accountId}/sessions/{chatId}/reset'

@description('BotRouter__BotComponentId: component id of this bot in the Bot Router.')
param botComponentId string = 'CmBot'

@description('BotRouter__AgentComponentId: component id of the human agent.')
param agentComponentId string = 'CustomerContact'

@description('Webhook__SharedSecret: value CM.com must send in X-Webhook-Secret. Empty turns the check off (no secret stored, no setting written).')
@secure()
param webhookSharedSecret string = ''

@description('Bot__FlowsPath: path of the flows file inside the app. Empty uses the shipped default flows (no setting written).')
param flowsPath string = ''

// ---------------------------------------------------------------- names

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, appName))
var baseName = toLower(appName)
var compactName = take(replace(baseName, '-', ''), 9)
var functionAppName = 'func-${baseName}-${resourceToken}'
var names = {
  functionApp: functionAppName
  plan: 'plan-${baseName}-${resourceToken}'
  identity: 'id-${baseName}-${resourceToken}'
  logAnalytics: 'log-${baseName}-${resourceToken}'
  applicationInsights: 'appi-${baseName}-${resourceToken}'
  storage: 'st${compactName}${resourceToken}' // <= 24, lowercase alphanumeric
  keyVault: 'kv${compactName}${resourceToken}' // <= 24
  deploymentContainer: 'app-package-${take(functionAppName, 50)}'
}

var webhookEnabled = !empty(webhookSharedSecret)

// ---------------------------------------------------------------- modules

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: tags
    name: names.storage
    deploymentContainerName: names.deploymentContainer
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    tags: tags
    name: names.keyVault
    cmProductToken: cmProductToken
    webhookSharedSecret: webhookSharedSecret
    webhookEnabled: webhookEnabled
  }
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    location: location
    tags: tags
    name: names.identity
    // Names known at compile time (not module outputs) keep What-If precise; the
    // dependsOn makes the referenced resources exist first.
    storageAccountName: names.storage
    applicationInsightsName: names.applicationInsights
    keyVaultName: names.keyVault
  }
  dependsOn: [
    storage
    monitoring
    keyVault
  ]
}

// Key Vault references are plain strings; the platform resolves them at start-up
// with keyVaultReferenceIdentity (the identity module's role assignments complete
// before its outputs exist, so the app never starts without access).
var contractSettings = {
  BotRouter__BaseUrl: botRouterBaseUrl
  BotRouter__AccountId: botRouterAccountId
  BotRouter__ProductToken: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.productTokenUri})'
  BotRouter__SendPath: botRouterSendPath
  BotRouter__MutationPath: botRouterMutationPath
  BotRouter__PositionPath: botRouterPositionPath
  BotRouter__ResetPath: botRouterResetPath
  BotRouter__BotComponentId: botComponentId
  BotRouter__AgentComponentId: agentComponentId
}
// Optional settings are left out rather than set to '' so the app's defaults apply.
var webhookSettings = webhookEnabled
  ? {
      Webhook__SharedSecret: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.webhookSecretUri})'
    }
  : {}
var flowsSettings = empty(flowsPath)
  ? {}
  : {
      Bot__FlowsPath: flowsPath
    }

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    tags: tags
    name: names.functionApp
    planName: names.plan
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: names.deploymentContainer
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    runtimeVersion: dotnetVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    appSettings: union(contractSettings, webhookSettings, flowsSettings)
  }
}

// ---------------------------------------------------------------- outputs

@description('Function app name (for az functionapp / Azure/functions-action).')
output functionAppName string = functionApp.outputs.name

@description('Default host name of the function app.')
output defaultHostName string = functionApp.outputs.defaultHostName

@description('The MO webhook URL to hand to CM.com.')
output webhookUrl string = 'https://${functionApp.outputs.defaultHostName}/api/webhook'

@description('Client id of the app identity.')
output identityClientId string = identity.outputs.clientId

@description('Storage account of the app (queues, chats table, payloads).')
output storageAccountName string = storage.outputs.name

@description('Key Vault holding cm-product-token and webhook-shared-secret.')
output keyVaultName string = keyVault.outputs.name
