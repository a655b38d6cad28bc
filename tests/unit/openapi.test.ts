/**
 * The OpenAPI document itself: valid OpenAPI 3.1, every schema compiles, every deployed route is
 * in it, and its error codes and statuses agree with the service's error catalogue. (That each
 * real answer matches it is checked on every e2e request, in tests/helpers/http.ts.)
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Document, Spectral, type RulesetDefinition } from '@stoplight/spectral-core';
import { Yaml } from '@stoplight/spectral-parsers';
import { oas } from '@stoplight/spectral-rulesets';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, routeKeys } from '../../infra/functions.js';
import { STATUS_BY_CODE } from '../../lib/http/middleware';
import { loadOpenApi, OpenApiContract, OPENAPI_FILE, resolveRef } from '../helpers/openapi';

const doc = loadOpenApi();
const contract = new OpenApiContract(doc);

/** Every [status, code] pair the document allows, from the code enums/consts of its error responses. */
function documentedCodes(): Array<{ route: string; status: number; codes: string[] }> {
  const found: Array<{ route: string; status: number; codes: string[] }> = [];
  const codesIn = (schema: any): string[] => {
    if (!schema || typeof schema !== 'object') return [];
    if (schema.$ref) return codesIn(resolveRef(doc, schema));
    const own = schema.properties?.error?.properties?.code;
    const codes: string[] = own?.const ? [own.const] : (own?.enum ?? []);
    for (const key of ['allOf', 'anyOf', 'oneOf']) for (const sub of schema[key] ?? []) codes.push(...codesIn(sub));
    return codes;
  };
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      for (const [status, response] of Object.entries<any>(op.responses ?? {})) {
        const schema = resolveRef<any>(doc, response).content?.['application/json']?.schema;
        const codes = [...new Set(codesIn(schema))];
        if (codes.length > 0) found.push({ route: `${method.toUpperCase()} ${path}`, status: Number(status), codes });
      }
    }
  }
  return found;
}

describe('docs/openapi.yaml', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(OPENAPI_FILE);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('compiles every response schema under strict JSON Schema 2020-12 rules', () => {
    expect(contract.compileAll()).toBeGreaterThan(50);
  });

  it('passes `redocly lint` (the recommended rules, redocly.yaml) with no error and no warning', async () => {
    const root = path.resolve(__dirname, '..', '..');
    const { stdout } = await promisify(execFile)(path.join(root, 'node_modules', '.bin', 'redocly'), ['lint', OPENAPI_FILE, '--format=json'], {
      cwd: root,
      // No usage reports or update checks from a test run.
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      maxBuffer: 16 * 1024 * 1024,
    }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    const report = JSON.parse(stdout.slice(stdout.indexOf('{')));
    const found = report.problems.map((p: any) => `${p.severity} ${p.ruleId}: ${p.message} (${p.location?.[0]?.pointer})`);
    expect(found).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('passes Spectral\'s `oas` ruleset (.spectral.yaml) with no finding of any severity', async () => {
    const root = path.resolve(__dirname, '..', '..');
    // .spectral.yaml is what the Spectral CLI reads; its rulesets are named, so map the one it extends.
    const config = parse(readFileSync(path.join(root, '.spectral.yaml'), 'utf8')) as { extends: string[]; rules?: Record<string, unknown> };
    const known: Record<string, RulesetDefinition> = { 'spectral:oas': oas as RulesetDefinition };
    expect(config.extends.every((name) => name in known), config.extends.join()).toBe(true);
    const spectral = new Spectral();
    spectral.setRuleset({ extends: config.extends.map((name) => known[name]!), ...(config.rules ? { rules: config.rules } : {}) } as unknown as RulesetDefinition);
    const results = await spectral.run(new Document(readFileSync(OPENAPI_FILE, 'utf8'), Yaml, OPENAPI_FILE));
    expect(results.map((r) => `${r.severity} ${r.code}: ${r.message} (${r.path.join('.')})`)).toEqual([]);
  });

  it('declares the bearer scheme on exactly the routes behind the authorizer, and `security: []` or an optional `{}` on the others', () => {
    for (const fn of FUNCTIONS) {
      for (const route of routeKeys(fn)) {
        const [method, routePath] = route.split(' ') as [string, string];
        const security = doc.paths[routePath]?.[method.toLowerCase()]?.security;
        if (fn.authorizer) expect(security, route).toEqual([{ accessToken: [] }]);
        else expect(security?.length === 0 || security?.some((s: object) => Object.keys(s).length === 0), route).toBe(true);
      }
    }
  });

  it('describes every route of the function manifest', () => {
    const routes = FUNCTIONS.flatMap((fn) => routeKeys(fn));
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) {
      const [method, path] = route.split(' ') as [string, string];
      expect(contract.operation(method, path.replace(/\{[^}]+\}/g, 'x')), route).toBeDefined();
    }
  });

  it('lists exactly the error codes of the error catalogue (lib/errors.ts), and every code the service can send', () => {
    const documented: string[] = doc.components.schemas.ErrorCode.enum;
    expect([...documented].sort()).toEqual(
      [
        'csrf_rejected', 'email_taken', 'internal_error', 'invalid_credentials', 'invalid_json', 'invalid_refresh_token', 'invalid_request',
        'invalid_token', 'not_found', 'payload_too_large', 'refresh_token_reused', 'service_unavailable', 'too_many_attempts', 'unauthorized',
        'invalid_code', 'invalid_mfa_token', 'insufficient_user_authentication', 'last_sign_in_method',
        'unsupported_media_type',
      ].sort(),
    );
    for (const code of Object.keys(STATUS_BY_CODE)) expect(documented, code).toContain(code);
  });

  it('puts each error code only under the status the middleware answers it with', () => {
    const statusOf: Record<string, number> = { ...STATUS_BY_CODE, invalid_token: 400, not_found: 404, csrf_rejected: 403 };
    const pairs = documentedCodes();
    expect(pairs.length).toBeGreaterThan(50);
    for (const { route, status, codes } of pairs) {
      for (const code of codes) expect(status, `${route}: ${code}`).toBe(statusOf[code]);
    }
  });

  it('documents csrf_rejected on the nine cookie-mode routes (the second sign-in step, the passkey sign-in, the federated code exchange, and the two that replace the caller\'s refresh token too) and Retry-After on every 429', () => {
    const csrf = documentedCodes().filter((p) => p.codes.includes('csrf_rejected')).map((p) => p.route).sort();
    expect(csrf).toEqual([
      'POST /auth/login', 'POST /auth/logout', 'POST /auth/mfa/totp/confirm', 'POST /auth/mfa/verify', 'POST /auth/oauth/token',
      'POST /auth/passkeys/login/verify', 'POST /auth/reauthenticate', 'POST /auth/refresh', 'POST /auth/register',
    ]);
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const throttled = op.responses?.['429'];
        if (throttled) expect(resolveRef<any>(doc, throttled).headers?.['Retry-After'], `${method} ${path}`).toBeDefined();
      }
    }
  });

  it('refuses an answer the document does not describe (the e2e check can fail)', () => {
    const headers = new Headers({ 'content-type': 'application/json' });
    const answer = (status: number, body: unknown) => ({ status, headers, body, text: JSON.stringify(body) });
    const user = { id: 'u', email: 'a@example.com', name: null, roles: ['user'], emailVerified: false, createdAt: '2026-01-01T00:00:00.000Z', identities: [] };
    expect(contract.problems('GET', '/auth/me', answer(200, user))).toEqual([]);
    expect(contract.problems('GET', '/auth/me', answer(200, { ...user, passwordHash: 'x' }))[0]).toMatch(/must NOT have additional properties/);
    expect(contract.problems('GET', '/auth/me', answer(418, {}))[0]).toMatch(/status not documented/);
    expect(contract.problems('POST', '/auth/login', answer(401, { error: { code: 'unauthorized', message: 'x' } }))[0]).toMatch(/body does not match/);
    expect(contract.problems('POST', '/auth/login', answer(200, { errorMessage: '[504] - Lambda timeout.' }))[0]).toMatch(/body does not match/);
    expect(contract.problems('GET', '/auth/nowhere', answer(404, {}))[0]).toMatch(/not in the OpenAPI document/);
    expect(contract.problems('POST', '/auth/register', answer(429, { error: { code: 'too_many_attempts', message: 'x' } }))[0]).toMatch(/Retry-After missing/);
    expect(contract.problems('POST', '/auth/logout', { status: 204, headers: new Headers(), body: undefined, text: '' })).toEqual([]);
  });
});
