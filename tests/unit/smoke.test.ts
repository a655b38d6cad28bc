import { inject, it, expect } from 'vitest';
it('the stack is up', async () => {
  const r = await fetch(`${inject('apiUrl')}/.well-known/jwks.json`);
  expect(r.status).toBe(200);
});
