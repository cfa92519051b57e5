// Key Vault (RBAC authorization, soft delete) holding the app secrets. The function
// app reads them through Key Vault references, so no secret value is ever an app
// setting and rotating one is a vault operation.

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags { *: string }

@description('Key Vault name (3-24 letters, digits and hyphens, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('CM.com product token, sent as X-CM-PRODUCTTOKEN on every Bot Router call.')
@secure()
param cmProductToken string

@description('Shared secret CM.com sends in X-Webhook-Secret; only stored when webhookEnabled.')
@secure()
param webhookSharedSecret string = ''

// A separate flag (not empty(webhookSharedSecret)) so no output is derived from a secure value.
@description('Whether the webhook secret check is on; off means no secret is stored.')
param webhookEnabled bool = false

@description('Purge protection cannot be switched off once on; off by default so a test resource group can be deleted and recreated with the same names.')
param enablePurgeProtection bool = false

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // The API rejects `false` once it was `true`, so leave the property out instead.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled' // App Service resolves references over the public endpoint; no VNet here.
  }
}

resource productToken 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 'cm-product-token'
  properties: {
    value: cmProductToken
    contentType: 'text/plain'
  }
}

resource webhookSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (webhookEnabled) {
  parent: vault
  name: 'webhook-shared-secret'
  properties: {
    value: webhookSharedSecret
    contentType: 'text/plain'
  }
}

output name string = vault.name
// Versionless URIs: the app always resolves the latest version, so rotating a secret
// needs no redeployment (App Service refreshes references within 24 hours, or on restart).
output productTokenUri string = productToken.properties.secretUri
output webhookSecretUri string = webhookEnabled ? webhookSecret!.properties.secretUri : ''
