'use strict';
/**
 * The Secrets Manager secret of the federated sign-in providers' client secrets
 * (`{"<provider>": "<client secret>"}`, lib/federation/client-secrets.ts), for serverless.yml:
 * the service role may read it. Named by the `oauthClientSecretsSecretId` parameter; unset, the
 * stage's conventional name `<service>/<stage>/oauth-client-secrets`, which the role may then read
 * although nothing uses it until OAUTH_PROVIDERS names a provider (docs/guides/federated-sign-in.md "Configuring providers for production").
 */
async function clientSecretsArn({ resolveVariable }) {
  const given = String((await resolveVariable("param:oauthClientSecretsSecretId, ''")) ?? '').trim();
  const id = given || `${await resolveVariable('self:service')}/${await resolveVariable('sls:stage')}/oauth-client-secrets`;
  return { 'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${id}-??????` };
}

module.exports = { clientSecretsArn };
