/** Friendly names for the generated types of docs/openapi.yaml (openapi.ts). */
import type { components, operations } from './openapi.js';

type Schemas = components['schemas'];
export type User = Schemas['User'];
/** The user as `account.me()` shows it: with the federated identities that sign in to it. */
export type Me = Schemas['Me'];
export type Identity = Me['identities'][number];
export type RegisterRequest = Schemas['RegisterRequest'];
export type LoginRequest = Schemas['LoginRequest'];
export type LogoutScope = NonNullable<Schemas['LogoutRequest']['scope']>;
export type MfaRequired = Schemas['MfaRequired'];
export type SecondFactorSummary = MfaRequired['factors'][number];
export type Factor = Schemas['Factor'];
export type TotpEnrolment = Schemas['TotpEnrolment'];
export type RecoveryCodes = Schemas['RecoveryCodes'];
export type Session = Schemas['Session'];
export type SecurityEvent = Schemas['SecurityEvent'];
export type SecurityEventList = Schemas['SecurityEventList'];
export type ChangePasswordRequest = Schemas['ChangePasswordRequest'];
export type ResetPasswordRequest = Schemas['ResetPasswordRequest'];
export type ReauthenticateRequest = Schemas['ReauthenticateRequest'];
export type TotpConfirmRequest = Schemas['TotpConfirmRequest'];
export type Jwks = Schemas['Jwks'];
/** WebAuthn creation options (`PublicKeyCredentialCreationOptionsJSON`), for `startRegistration()`. */
export type PasskeyCreationOptions = Schemas['PasskeyCreationOptions'];
/** WebAuthn request options (`PublicKeyCredentialRequestOptionsJSON`), for `startAuthentication()`. */
export type PasskeyRequestOptions = Schemas['PasskeyRequestOptions'];
/** What `startRegistration()` resolves to (`RegistrationResponseJSON`). */
export type PasskeyRegistration = Schemas['PasskeyRegistration'];
/** What `startAuthentication()` resolves to (`AuthenticationResponseJSON`). */
export type PasskeyAssertion = Schemas['PasskeyAssertion'];
/** A passkey just registered (`Factor` without `lastUsedAt`). */
export type NewPasskey = NonNullable<operations['registerPasskey']['responses']['201']['content']['application/json']>['factor'];

/**
 * The second step of a sign-in: exactly one of a TOTP `code`, a `recoveryCode` and a `passkey`
 * assertion over the options of `passkeys.secondFactorOptions` (the `/passkeys` entry runs that
 * ceremony: `createPasskeys(auth).verifySecondFactor`).
 */
export type SecondFactorProof =
  | { mfaToken: string; code: string; recoveryCode?: never; passkey?: never }
  | { mfaToken: string; recoveryCode: string; code?: never; passkey?: never }
  | { mfaToken: string; passkey: PasskeyAssertion; code?: never; recoveryCode?: never };
