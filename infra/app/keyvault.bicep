// Optional path (partnerCredential = 'keyVaultSecret'): a vault with RBAC authorization for the partner API client
// secret. The secret's value is never a template input: set it with `az keyvault secret set` after provisioning.
// The app reads it through a Key Vault reference resolved with its user-assigned identity (api.bicep).
param name string
param location string = resourceGroup().location
param tags object = {}

@description('Name of the secret that holds the partner API client secret.')
param secretName string

module vault 'br/public:avm/res/key-vault/vault:0.14.0' = {
  name: 'vault'
  params: {
    name: name
    location: location
    tags: tags
    sku: 'standard'
    enableRbacAuthorization: true
    enableVaultForDeployment: false
    enableVaultForDiskEncryption: false
    enableVaultForTemplateDeployment: false
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    // Off so that `azd down --purge` can remove the vault and `azd up` can create it again under the same name.
    enablePurgeProtection: false
    publicNetworkAccess: 'Enabled'
  }
}

output name string = vault.outputs.name
output resourceId string = vault.outputs.resourceId
output uri string = vault.outputs.uri
// Versionless: the app picks up a new secret version without a deployment.
output secretUri string = '${vault.outputs.uri}secrets/${secretName}'
