/**
 * Warm authorizer cost per invocation, side by side in one process:
 *  - ours: the built authorizer bundle (dist/authorizer) on a real HTTP API v2 event, loaded three
 *    times with different settings: stateless (no session check), with the session check and its
 *    state cached (the default, warm), and with the cache off (a DynamoDB Local read per call);
 *  - aws-jwt-verify: AWS's verifier for Lambda authorizers, keys preloaded with `cacheJwks`;
 *  - floor: hand-written node:crypto RS256 verification of the same token (signature, alg, typ,
 *    iss, aud, exp), the least work a correct verifier can do;
 *  - passport-jwt: the common NestJS-tutorial path (passport-jwt + jsonwebtoken, HS256 string secret);
 *  - fast-jwt: a fast third-party verifier, RS256 with the same public key.
 * Implementations are interleaved across repetitions and the median µs/op is reported, in CPU time
 * (the process's user + system time: on a shared machine, wall time also counts the moments the
 * process waited for a core, which blurs ratios), with the wall-clock median next to it.
 */
import { spawnSync } from 'node:child_process';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { JwtVerifier } from 'aws-jwt-verify';
import { createVerifier } from 'fast-jwt';
import jwt from 'jsonwebtoken';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import type { KeySetDocument } from '../lib/keys/key-set';
import { publicJwkOf } from '../lib/keys/key-set';
import { KeyStore } from '../lib/keys/key-store';
import { FileKeySource } from '../lib/keys/sources';
import { checkAccessClaims, inspectAccessToken, verifyAccessToken } from '../lib/tokens/access-token';
import { floorVerifier, httpApiEvent, timeOps, type Op } from './authorizer-common';
import type { AloneJob, AloneSamples } from './authorizer-alone';
import { median, round } from './stats';

export interface AuthorizerResult {
  name: string;
  /** Median CPU µs per call (process CPU time, user + system): time the process ran, not waited. */
  usPerOp: number;
  ratioToFloor: number;
  /** Median wall-clock µs per call, for comparison: on a shared machine it also counts waiting for a core. */
  wallUsPerOp: number;
  /** The rows of ours timed alone: the lowest and highest ratio of the fresh processes whose median is reported. */
  ratioRange?: [number, number];
}

type AuthorizerModule = { handler: (e: unknown) => Promise<{ isAuthorized: boolean }> };

const BUNDLE = path.resolve(__dirname, '../dist/authorizer/index.js');

/** A fresh copy of the authorizer bundle, initialised under `env` (it reads its settings at load). */
function loadAuthorizer(env: Record<string, string>): AuthorizerModule {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    delete require.cache[BUNDLE];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(BUNDLE) as AuthorizerModule;
  } finally {
    for (const key of Object.keys(env)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    delete require.cache[BUNDLE];
  }
}





function allowedBy(mod: AuthorizerModule, event: unknown): Op {
  return async () => {
    if (!(await mod.handler(event)).isAuthorized) throw new Error('our authorizer denied the bench token');
  };
}


export async function benchAuthorizer(options: {
  keysFile: string;
  accessToken: string;
  issuer: string;
  audience: string;
  repetitions?: number;
  iterations?: number;
  /** Fresh processes per setting for the rows of ours timed alone. */
  processes?: number;
}): Promise<AuthorizerResult[]> {
  const repetitions = options.repetitions ?? 7;
  const iterations = options.iterations ?? 1500;
  const processes = options.processes ?? 5;
  const keySet = JSON.parse(readFileSync(options.keysFile, 'utf8')) as KeySetDocument;
  const current = keySet.keys.find((k) => k.status === 'current')!;
  const publicKey = createPublicKey({ key: publicJwkOf(current) as never, format: 'jwk' });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

  const uncached = loadAuthorizer({ AUTHORIZER_SESSION_CHECK: 'dynamodb', AUTHORIZER_LIVE_CACHE_SECONDS: '0' });
  const awsVerifier = JwtVerifier.create({ issuer: options.issuer, audience: options.audience, jwksUri: `${options.issuer}/.well-known/jwks.json` });
  awsVerifier.cacheJwks({ keys: [{ ...publicJwkOf(current), use: 'sig' }] } as never);
  const event = httpApiEvent(options.accessToken);
  const floor = floorVerifier(publicKey, options.issuer, options.audience);
  const fast = createVerifier({ key: publicPem, algorithms: ['RS256'], allowedIss: options.issuer, allowedAud: options.audience });

  const secret = 'a-string-secret-as-in-the-tutorials-0123456789';
  const hsToken = jwt.sign({ sub: 'user', sid: 'session' }, secret, { algorithm: 'HS256', expiresIn: 900, issuer: options.issuer, audience: options.audience });
  const strategy = new JwtStrategy(
    { jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: secret, issuer: options.issuer, audience: options.audience },
    (payload: unknown, done: (err: unknown, user?: unknown) => void) => done(null, payload),
  );
  const passportRequest = { headers: { authorization: `Bearer ${hsToken}` } };
  const passportOp = () =>
    new Promise((resolve, reject) => {
      const s = Object.create(strategy) as JwtStrategy & { success: (u: unknown) => void; fail: (e: unknown) => void; error: (e: unknown) => void };
      s.success = resolve;
      s.fail = reject;
      s.error = reject;
      s.authenticate(passportRequest as never);
    });

  // The verifier alone, in process: as shipped (our checks around node:crypto's one-shot verify),
  // and as it was before, the same checks around aws-jwt-verify's verifySync.
  const settings = { issuer: options.issuer, audience: options.audience, alg: 'RS256' as const, ttlSeconds: 900 };
  const store = new KeyStore(new FileKeySource(options.keysFile), { alg: 'RS256', publicOnly: true });
  await verifyAccessToken(store, settings, options.accessToken, new Date());
  const withAwsJwtVerify = async () => {
    const inspected = inspectAccessToken(settings, options.accessToken);
    if (!(await store.verificationKey(inspected.kid))) throw new Error('kid');
    awsVerifier.verifySync(options.accessToken);
    return checkAccessClaims(settings, inspected.payload, new Date());
  };

  const ops: Record<string, Op> = {
    'floor (node:crypto RS256)': () => floor(options.accessToken),
    'verifyAccessToken: our checks + node:crypto one-shot verify (shipped)': () => verifyAccessToken(store, settings, options.accessToken, new Date()),
    'before: our checks + aws-jwt-verify verifySync': withAwsJwtVerify,
    'aws-jwt-verify alone (RS256, cacheJwks)': () => awsVerifier.verifySync(options.accessToken),
    'passport-jwt + jsonwebtoken (HS256 string secret)': passportOp,
    'fast-jwt (RS256)': () => fast(options.accessToken),
  };
  // Sanity and warm-up: every implementation must accept its token.
  for (const op of Object.values(ops)) await timeOps(op, 300);

  const samples: Record<string, { cpu: number; wall: number }[]> = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
  for (let r = 0; r < repetitions; r += 1) {
    for (const [name, op] of Object.entries(ops)) samples[name]!.push(await timeOps(op, iterations));
  }
  // Network-bound, so timed on its own afterwards: its I/O and garbage would blur the CPU-bound rows.
  const uncachedName = 'ours, session check uncached (DynamoDB Local GetItem per call)';
  const uncachedOp = allowedBy(uncached, event);
  await timeOps(uncachedOp, 30);
  samples[uncachedName] = [];
  for (let r = 0; r < repetitions; r += 1) samples[uncachedName].push(await timeOps(uncachedOp, Math.max(30, Math.floor(iterations / 10))));
  const cpuOf = (values: { cpu: number }[]) => median(values.map((v) => v.cpu));
  const floorUs = cpuOf(samples['floor (node:crypto RS256)']!);
  const rows = Object.entries(samples).map(([name, values]) => ({
    name,
    usPerOp: round(cpuOf(values)),
    ratioToFloor: round(cpuOf(values) / floorUs, 2),
    wallUsPerOp: round(median(values.map((v) => v.wall))),
  }));
  // Ours as shipped: each setting's bundle alone in a fresh process, against the floor timed in
  // that same process (its ratio is to that floor). One process is not enough: the same bundle
  // measured anywhere from 1.04x to 1.45x in six processes in a row on this machine, so each
  // setting runs in `processes` of them, the settings alternating, and the median is reported.
  const aloneOnce = (name: string, env: Record<string, string>) => {
    const job: AloneJob = {
      bundle: BUNDLE, env, token: options.accessToken, issuer: options.issuer, audience: options.audience,
      publicJwk: publicJwkOf(current) as JsonWebKey, repetitions, iterations,
    };
    const out = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'authorizer-alone.ts'), JSON.stringify(job)], { encoding: 'utf8', env: process.env });
    if (out.status !== 0) throw new Error(`${name}: ${out.stderr}`);
    const result = JSON.parse(out.stdout) as AloneSamples;
    return { us: cpuOf(result.ours), ratio: cpuOf(result.ours) / cpuOf(result.floor), wall: median(result.ours.map((v) => v.wall)) };
  };
  const settingsAlone = ([
    ['ours, stateless (AUTHORIZER_SESSION_CHECK=off), alone in its process', 'off'],
    ['ours, session check, state cached (default, warm), alone in its process', 'dynamodb'],
  ] as const).map(([name, check]) => ({ name, env: { AUTHORIZER_SESSION_CHECK: check }, runs: [] as ReturnType<typeof aloneOnce>[] }));
  for (let p = 0; p < processes; p += 1) for (const setting of settingsAlone) setting.runs.push(aloneOnce(setting.name, setting.env));
  rows.splice(1, 0, ...settingsAlone.map(({ name, runs }): AuthorizerResult => {
    const ratios = runs.map((r) => r.ratio);
    return {
      name,
      usPerOp: round(median(runs.map((r) => r.us))),
      ratioToFloor: round(median(ratios), 2),
      wallUsPerOp: round(median(runs.map((r) => r.wall))),
      ratioRange: [round(Math.min(...ratios), 2), round(Math.max(...ratios), 2)],
    };
  }));
  return rows;
}
