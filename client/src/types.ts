/** Friendly names for the generated types of docs/openapi.yaml (openapi.ts). */
import type { components } from './openapi.js';

type Schemas = components['schemas'];
export type User = Schemas['User'];
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

/** The second step of a sign-in: exactly one of a TOTP `code` and a `recoveryCode`. */
export type SecondFactorProof = { mfaToken: string; code: string; recoveryCode?: never } | { mfaToken: string; recoveryCode: string; code?: never };
