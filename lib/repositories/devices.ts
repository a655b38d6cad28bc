/**
 * Devices that signed in to an account (lib/tokens/device-token.ts), in the users table:
 * `pk = DEVICE#<sha256 of the token>`, `userId`, `createdAt`, `expiresAt` (epoch s, the TTL
 * attribute). A device record is worth nothing but a throttle allowance of its own for that one
 * account: it never stands in for a password or a second factor.
 */
export const deviceKey = (tokenHash: string) => `DEVICE#${tokenHash}`;

export interface DeviceRecord {
  userId: string;
  expiresAt: number;
}

export function toDevice(item: Record<string, unknown> | undefined): DeviceRecord | undefined {
  if (!item || typeof item.userId !== 'string' || typeof item.expiresAt !== 'number') return undefined;
  return { userId: item.userId, expiresAt: item.expiresAt };
}

/**
 * Whether a presented device token (its hash) names a live device of `userId`, judged on the
 * items a sign-in read in its batch: another account's device, an expired one or none is unknown.
 */
export function isKnownDevice(items: ReadonlyMap<string, Record<string, unknown>>, tokenHash: string | undefined, userId: string | undefined, now: Date): boolean {
  const device = tokenHash === undefined ? undefined : toDevice(items.get(deviceKey(tokenHash)));
  return device !== undefined && device.userId === userId && device.expiresAt > Math.floor(now.getTime() / 1000);
}
