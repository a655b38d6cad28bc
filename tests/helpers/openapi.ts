/**
 * The OpenAPI document (docs/openapi.yaml) as a checker of real answers. The e2e HTTP helper
 * runs every answer through `contractProblems`, so a route, status, error code, header or field
 * the document does not describe fails the test that met it: the document cannot drift from
 * what the service does.
 *
 * Schemas are compiled with Ajv's JSON Schema 2020-12 dialect (the one OpenAPI 3.1 uses), with
 * the document's `components.schemas` registered once under a base id so `$ref`s resolve.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

export const OPENAPI_FILE = path.resolve(__dirname, '..', '..', 'docs', 'openapi.yaml');
const BASE_ID = 'https://lambda-jwt-auth.invalid/openapi';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

type Json = Record<string, any>;

export interface CheckedAnswer {
  status: number;
  headers: Headers;
  text: string;
  body: unknown;
}

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  responses: Json;
}

export function loadOpenApi(file = OPENAPI_FILE): Json {
  return parse(readFileSync(file, 'utf8')) as Json;
}

/** Follows a local `$ref` (`#/components/...`) to the object it names. */
export function resolveRef<T = Json>(doc: Json, value: Json): T {
  let current: Json = value;
  for (let hops = 0; current && typeof current.$ref === 'string'; hops += 1) {
    if (hops > 10 || !current.$ref.startsWith('#/')) throw new Error(`unresolvable $ref ${current.$ref}`);
    current = current.$ref
      .slice(2)
      .split('/')
      .reduce((node: Json, key: string) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  }
  if (!current) throw new Error(`dangling $ref ${value.$ref}`);
  return current as T;
}

/** Rewrites `#/components/schemas/X` into the registered base id, so a lone schema resolves. */
function rebase<T>(schema: T): T {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${BASE_ID}#/$defs/`)) as T;
}

export class OpenApiContract {
  readonly doc: Json;
  private readonly ajv: Ajv2020;
  private readonly operations: Operation[] = [];
  private readonly compiled = new Map<object, ValidateFunction>();

  constructor(doc: Json = loadOpenApi()) {
    this.doc = doc;
    // strict: an unknown keyword or a misspelt one in the document is an error, not ignored.
    this.ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true });
    const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => void;
    addFormats(this.ajv);
    this.ajv.addKeyword({ keyword: 'example' }).addSchema({ $id: BASE_ID, $defs: rebase(doc.components?.schemas ?? {}) });
    for (const [template, item] of Object.entries<Json>(doc.paths ?? {})) {
      const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
      for (const method of METHODS) {
        if (item[method]) this.operations.push({ method: method.toUpperCase(), template, pattern, responses: item[method].responses ?? {} });
      }
    }
  }

  /** Compiles every response schema, so a broken schema shows up without any request. */
  compileAll(): number {
    let count = 0;
    for (const op of this.operations) {
      for (const response of Object.values<Json>(op.responses)) {
        const schema = resolveRef(this.doc, response).content?.['application/json']?.schema;
        if (schema) {
          this.validator(schema);
          count += 1;
        }
      }
    }
    return count;
  }

  /** The documented operation for a request, if any (query string ignored). */
  operation(method: string, requestPath: string): Operation | undefined {
    const pathOnly = requestPath.split('?')[0]!;
    return this.operations.find((op) => op.method === method.toUpperCase() && op.pattern.test(pathOnly));
  }

  private validator(schema: object): ValidateFunction {
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(rebase(schema));
      this.compiled.set(schema, validate);
    }
    return validate;
  }

  /** Why an answer does not match the document (empty when it does). */
  problems(method: string, requestPath: string, answer: CheckedAnswer): string[] {
    const op = this.operation(method, requestPath);
    if (!op) return [`${method} ${requestPath} is not in the OpenAPI document`];
    const where = `${method} ${op.template} → ${answer.status}`;
    const declared = op.responses[String(answer.status)];
    if (!declared) return [`${where}: status not documented (documented: ${Object.keys(op.responses).join(', ')})`];
    const response = resolveRef(this.doc, declared);
    const problems: string[] = [];
    for (const [name, header] of Object.entries<Json>(response.headers ?? {})) {
      if (resolveRef(this.doc, header).required && answer.headers.get(name) === null) problems.push(`${where}: required header ${name} missing`);
    }
    const schema = response.content?.['application/json']?.schema;
    if (!schema) {
      if (answer.text !== '') problems.push(`${where}: documented without a body, got ${answer.text.slice(0, 200)}`);
      return problems;
    }
    const contentType = answer.headers.get('content-type') ?? '';
    if (!/^application\/json\b/i.test(contentType)) problems.push(`${where}: content-type ${contentType || '(none)'}, documented application/json`);
    if (answer.text === '' || answer.body === undefined) return [...problems, `${where}: documented with a JSON body, got ${JSON.stringify(answer.text.slice(0, 200))}`];
    const validate = this.validator(schema);
    if (!validate(answer.body)) {
      const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
      problems.push(`${where}: body does not match the document: ${errors.join('; ')}; body: ${answer.text.slice(0, 300)}`);
    }
    return problems;
  }
}

let shared: OpenApiContract | undefined;

/** Throws when an answer does not match docs/openapi.yaml. */
export function assertMatchesOpenApi(method: string, requestPath: string, answer: CheckedAnswer): void {
  shared ??= new OpenApiContract();
  const problems = shared.problems(method, requestPath, answer);
  if (problems.length > 0) throw new Error(`answer not described by docs/openapi.yaml:\n  ${problems.join('\n  ')}`);
}
