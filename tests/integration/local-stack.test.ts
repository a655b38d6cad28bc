/**
 * The local stack is not an open door: DynamoDB Local (the users table of a developer's machine)
 * answers on loopback only.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startDynamoLocal, type Child } from '../../scripts/stack';

let dynamo: (Child & { endpoint: string }) | undefined;
let port = 0;

beforeAll(async () => {
  port = await freePort();
  dynamo = await startDynamoLocal({ port });
}, 120_000);

afterAll(async () => {
  await dynamo?.stop();
});

/** Local addresses of listening TCP sockets on `port`, from the kernel's own tables. */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === '0A' && local?.endsWith(`:${hexPort}`)) found.push(local.split(':')[0]!);
    }
  }
  return found;
}

const reach = (host: string, port: number) =>
  new Promise<'connected' | string>((resolve) => {
    const socket = connect({ host, port, timeout: 3000 });
    socket.on('connect', () => (socket.destroy(), resolve('connected')));
    socket.on('timeout', () => (socket.destroy(), resolve('timeout')));
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });

describe('local DynamoDB exposure', () => {
  it('DynamoDB Local listens on loopback only, so a machine on the network cannot read the users table', async () => {
    const addresses = listeners(port);
    expect(addresses.length).toBeGreaterThan(0);
    // 127.0.0.1 as /proc writes it: 0100007F (IPv4), or IPv4-mapped in the IPv6 table.
    for (const address of addresses) expect(['0100007F', '0000000000000000FFFF00000100007F']).toContain(address);
    expect(await reach('127.0.0.1', port)).toBe('connected');
    const outside = Object.values(networkInterfaces()).flat().filter((i) => i && !i.internal && i.family === 'IPv4');
    for (const address of outside) expect(await reach(address!.address, port)).not.toBe('connected');
  });

});
