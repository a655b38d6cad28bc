/** Types of format.js (plain JavaScript, served to the browser as it is), for the unit tests. */
export interface EventLike {
  type: string;
  at: string;
  userAgent: string | null;
  detail?: string;
}
export function describeDevice(userAgent: string | null | undefined): string;
export function relativeTime(iso: string, now?: number): string;
export function calendarDate(iso: string): string;
export function describeEvent(event: EventLike, now?: number): string;
