import { send, type Transport } from './http.js';
import type { Session } from './session.js';
import type { ChangePasswordRequest, Me, ResetPasswordRequest, User } from './types.js';

/**
 * The account: profile, email verification and change, passwords, deletion. Password change,
 * email change and deletion are step-up operations: an `AuthError` with `needsReauthentication`
 * asks for `reauthenticate` first.
 */
export function accountApi(transport: Transport, session: Session) {
  return {
    /** The signed-in user, with the federated identities that sign in to it. */
    me: (): Promise<Me> => session.authed<Me>({ method: 'GET', path: '/auth/me' }),

    /** Deletes the account (the password again); the session ends. */
    async delete(input: { password: string }): Promise<void> {
      await session.authed({ method: 'DELETE', path: '/auth/me', body: input });
      session.end('account_deleted');
    },

    /** Every other session of the user ends; this one stays. */
    changePassword: (input: ChangePasswordRequest): Promise<void> =>
      session.authed({ method: 'POST', path: '/auth/password/change', body: input }),

    /** Asks for a reset email; resolves the same whether or not the account exists. */
    forgotPassword: async (input: { email: string }): Promise<void> => {
      await send(transport, { method: 'POST', path: '/auth/password/forgot', body: input });
    },

    /** Sets a new password with the token of the reset email's link; every session of the user ends. */
    resetPassword: (input: ResetPasswordRequest): Promise<void> => send(transport, { method: 'POST', path: '/auth/password/reset', body: input }),

    /** Verifies the address with the token of the verification email's link. */
    verifyEmail: (input: { token: string }): Promise<User> => send<User>(transport, { method: 'POST', path: '/auth/email/verify', body: input }),

    /** Sends a new verification email; the previous link stops working. */
    resendVerification: async (): Promise<void> => {
      await session.authed({ method: 'POST', path: '/auth/email/resend' });
    },

    /** Sends a confirmation link to the new address; nothing changes until it is confirmed. */
    requestEmailChange: async (input: { newEmail: string }): Promise<void> => {
      await session.authed({ method: 'POST', path: '/auth/email/change', body: input });
    },

    /** Moves the account to the new address with the token of the confirmation link. */
    confirmEmailChange: (input: { token: string }): Promise<User> =>
      send<User>(transport, { method: 'POST', path: '/auth/email/change/confirm', body: input }),
  };
}
