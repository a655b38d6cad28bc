'use strict';
/**
 * The SES identities the sending functions may use, derived from the `emailFrom` stage parameter
 * (`Name <no-reply@example.com>` or a bare address): the address itself and its domain, because
 * SES checks whichever of the two was verified. Nothing else can be sent from.
 *
 * `${file(infra/email.js):sesIdentityArns}` in serverless.yml.
 */
function fromAddress(emailFrom) {
  const match = /<([^<>\s]+@[^<>\s]+)>\s*$/.exec(emailFrom) ?? /^\s*([^<>\s]+@[^<>\s]+)\s*$/.exec(emailFrom);
  if (!match) throw new Error(`emailFrom must be an address or "Name <address>", got "${emailFrom}"`);
  return match[1].toLowerCase();
}

function identityArns(emailFrom) {
  const address = fromAddress(emailFrom);
  const domain = address.slice(address.indexOf('@') + 1);
  return [address, domain].map((identity) => ({
    'Fn::Sub': `arn:\${AWS::Partition}:ses:\${AWS::Region}:\${AWS::AccountId}:identity/${identity}`,
  }));
}

/** The emailFrom parameter, or the same default the functions get (infra/deploy-defaults.js). */
async function sesIdentityArns({ resolveVariable }) {
  let emailFrom;
  try {
    emailFrom = await resolveVariable('param:emailFrom');
  } catch {
    emailFrom = undefined;
  }
  if (!emailFrom) emailFrom = await require('./deploy-defaults').emailFrom({ resolveVariable });
  return identityArns(String(emailFrom));
}

module.exports = { fromAddress, identityArns, sesIdentityArns };
