// Example parameters. Secrets and the account id are read from the environment at
// deployment time (GitHub secrets in .github/workflows/deploy.yml), never committed:
//   export CM_ACCOUNT_ID=<BotRouterAccountId GUID>
//   export CM_PRODUCT_TOKEN=<product token>
//   export WEBHOOK_SHARED_SECRET=<random string, or unset/empty to turn the check off>
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.bicepparam
using './main.bicep'

param appName = 'botrouter'

param instanceMemoryMB = 2048
param maximumInstanceCount = 40

// No fallback: deploying without these fails with a clear "environment variable" error.
param botRouterAccountId = readEnvironmentVariable('CM_ACCOUNT_ID')
param cmProductToken = readEnvironmentVariable('CM_PRODUCT_TOKEN')

// Empty (the fallback) turns the X-Webhook-Secret check off.
param webhookSharedSecret = readEnvironmentVariable('WEBHOOK_SHARED_SECRET', '')

// Contract defaults, repeated here so an operator sees what can be changed.
param botRouterBaseUrl = 'https://api.cm.com/'
param botRouterSendPath = 'conversational/bmproxy/v1/accounts/{accountId}'
param botRouterMutationPath = 'conversational/control/v1/accounts/{accountId}/sessions/mutationrequests'
param botRouterPositionPath = 'conversational/control/v1/accounts/{accountId}/sessions/positionrequests'
param botRouterResetPath = 'conversational/control/v1/accounts/{accountId}/sessions/{chatId}/reset'
param botComponentId = 'CmBot'
param agentComponentId = 'CustomerContact'

// Empty: the flows file shipped with the app.
param flowsPath = ''
