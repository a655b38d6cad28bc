/**
 * How the demo words what the API returns (demo/format.js, demo/messages.js): devices from
 * user-agent strings, relative times, events as sentences, errors as sentences.
 */
import { describe, expect, it } from 'vitest';
import { describeDevice, describeEvent, relativeTime } from '../../demo/format.js';
import { fieldMessage, messageFor } from '../../demo/messages.js';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString();

describe('describeDevice', () => {
  it.each([
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36', 'Chrome on Linux'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', 'Edge on Windows'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 'Safari on macOS'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 'Safari on iOS'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0 Mobile/15E148 Safari/604.1', 'Chrome on iOS'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', 'Chrome on Android'],
    ['Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36', 'Samsung Internet on Android'],
    ['Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on Linux'],
    ['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome on ChromeOS'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0', 'Opera on Windows'],
    ['curl/8.5.0', 'curl'],
    ['node', 'Unknown device'],
  ])('%s → %s', (userAgent, expected) => {
    expect(describeDevice(userAgent)).toBe(expected);
  });

  it('names no device when the request had no User-Agent', () => {
    expect(describeDevice(null)).toBe('Unknown device');
  });
});

describe('relativeTime', () => {
  it.each([
    [10, 'just now'],
    [-20, 'just now'],
    [5 * 60, '5 minutes ago'],
    [60, '1 minute ago'],
    [3 * 3600, '3 hours ago'],
    [26 * 3600, 'yesterday'],
    [3 * 86_400, '3 days ago'],
    [15 * 86_400, '2 weeks ago'],
    [-2 * 3600, 'in 2 hours'],
  ])('%i s before now → %s', (seconds, expected) => {
    expect(relativeTime(ago(seconds), NOW)).toBe(expected);
  });
});

describe('describeEvent', () => {
  it('writes an event as a sentence with the device and the time', () => {
    const userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    expect(describeEvent({ type: 'login', at: ago(300), userAgent }, NOW)).toBe('You signed in · Chrome on Linux · 5 minutes ago');
    expect(describeEvent({ type: 'logout', at: ago(0), userAgent, detail: 'others' }, NOW)).toBe('You signed out your other devices · Chrome on Linux · just now');
    expect(describeEvent({ type: 'factor_added', at: ago(0), userAgent: null, detail: 'passkey' }, NOW)).toBe('You added a passkey · Unknown device · just now');
    expect(describeEvent({ type: 'identity_linked', at: ago(0), userAgent: null, detail: 'local' }, NOW)).toBe('You linked your local sign-in · Unknown device · just now');
  });

  it('still says something for an event type it does not know', () => {
    expect(describeEvent({ type: 'something_new', at: ago(0), userAgent: null }, NOW)).toBe('Something changed on your account · Unknown device · just now');
  });
});

describe('messages', () => {
  it('turns error codes into sentences, never the code itself', () => {
    expect(messageFor({ code: 'invalid_credentials' })).toBe('That email and password do not match an account.');
    expect(messageFor({ code: 'invalid_code' }, 'passkey')).toBe('That passkey is not registered to an account here, or it was removed.');
    expect(messageFor({ code: 'too_many_attempts', retryAfter: 30 })).toBe('Too many attempts. Try again in 30 seconds.');
    expect(messageFor({ code: 'too_many_attempts', retryAfter: 600 })).toBe('Too many attempts. Try again in 10 minutes.');
    expect(messageFor({ code: 'not_a_code_we_know' })).toBe('Something went wrong. Try again.');
    expect(messageFor(new Error('boom'))).toBe('Something went wrong. Try again.');
  });

  it("words the API's field problems for the field they sit under", () => {
    expect(fieldMessage({ field: 'name', message: 'must be at most 100 characters' })).toBe('Must be at most 100 characters.');
    expect(fieldMessage({ field: 'password', message: 'must be 8 to 72 bytes in UTF-8' })).toMatch(/^Must be 8 to 72 characters long/);
  });
});
