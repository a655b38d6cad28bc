import type { components } from './openapi.js';
import type { Session, TokenAnswer } from './session.js';
import type { Factor, ReauthenticateRequest, RecoveryCodes, TotpConfirmRequest, TotpEnrolment } from './types.js';

type TotpConfirmation = components['schemas']['TotpConfirmation'];

/**
 * Second factors and step-up. Enrolment, factor removal and new recovery codes are step-up
 * operations (see `reauthenticate`). The second step of a sign-in is `verifySecondFactor`.
 */
export function mfaApi(session: Session) {
  return {
    /** Starts a TOTP enrolment: show `otpauthUri` as a QR code (or `secret`), then `confirmTotp`. */
    enrolTotp: (): Promise<TotpEnrolment> => session.authed<TotpEnrolment>({ method: 'POST', path: '/auth/mfa/totp' }),

    /**
     * Activates the factor with its first code. The session becomes `aal2`; a first factor comes
     * with 10 recovery codes (shown this once) and ends every other session of the user.
     */
    async confirmTotp(input: TotpConfirmRequest): Promise<{ factor: Factor; recoveryCodes?: RecoveryCodes }> {
      const answer = await session.authed<TotpConfirmation>({ method: 'POST', path: '/auth/mfa/totp/confirm', body: input });
      session.accept(answer);
      return answer.recoveryCodes ? { factor: answer.factor, recoveryCodes: answer.recoveryCodes } : { factor: answer.factor };
    },

    /** The user's confirmed factors. */
    factors: async (): Promise<Factor[]> => (await session.authed<{ factors: Factor[] }>({ method: 'GET', path: '/auth/mfa/factors' })).factors,

    /** Removes a factor (the last one takes the recovery codes with it); other sessions end. */
    removeFactor: async (id: string): Promise<void> => {
      await session.authed({ method: 'DELETE', path: `/auth/mfa/factors/${encodeURIComponent(id)}` });
    },

    /** 10 new recovery codes, shown this once; the old ones stop working. */
    regenerateRecoveryCodes: async (): Promise<RecoveryCodes> =>
      (await session.authed<{ recoveryCodes: RecoveryCodes }>({ method: 'POST', path: '/auth/mfa/recovery-codes' })).recoveryCodes,

    /**
     * Step-up: the password again (and a TOTP `code` for a user with a second factor), or a
     * `passkey` assertion alone (`createPasskeys(auth).reauthenticate` runs that ceremony), gives
     * this session a fresh authentication. Call it when an operation fails with `needsReauthentication`.
     */
    async reauthenticate(input: ReauthenticateRequest): Promise<void> {
      session.accept(await session.authed<TokenAnswer>({ method: 'POST', path: '/auth/reauthenticate', body: input }));
    },
  };
}
