/**
 * Validates a CloudFormation template's resources against the resource schemas AWS publishes, as
 * shipped in @aws-cdk/aws-service-spec (the database the AWS CDK generates its L1 classes from;
 * current, unlike the old cfn-lint on npm). Each resource type's properties become a JSON Schema
 * for ajv: property names, required properties, nested types, allowed values. Wherever a value
 * may stand, an intrinsic function ({ Ref }, { Fn::GetAtt }, ...) is accepted too, and scalars are
 * accepted in the string forms CloudFormation itself converts ("5" for 5).
 */
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { SpecDatabase } from '@aws-cdk/service-spec-types';
import Ajv, { type ValidateFunction } from 'ajv';

type Schema = Record<string, unknown>;

/** Any one intrinsic function or Ref: an object with exactly one key of those names. */
const INTRINSIC: Schema = {
  type: 'object',
  minProperties: 1,
  maxProperties: 1,
  propertyNames: { pattern: '^(Ref|Condition|Fn::(GetAtt|Join|Sub|Select|Split|If|ImportValue|FindInMap|Base64|Cidr|GetAZs|Transform|ToJsonString|Length|Equals|And|Or|Not))$' },
};

/** Attributes a resource may carry besides Type and Properties. */
const RESOURCE_ATTRIBUTES = ['Type', 'Properties', 'DependsOn', 'DeletionPolicy', 'UpdateReplacePolicy', 'Condition', 'Metadata', 'CreationPolicy', 'UpdatePolicy'];

interface SpecType {
  type: string;
  element?: SpecType;
  types?: SpecType[];
  reference?: { $ref: string };
  allowedValues?: string[];
}

interface SpecProperty {
  type: SpecType;
  previousTypes?: SpecType[];
  required?: boolean;
}

export interface SchemaProblem {
  resource: string;
  type: string;
  errors: string[];
}

export class ResourceSchemas {
  private readonly db: SpecDatabase;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly ajv = new Ajv({ allErrors: true, strict: false });

  constructor() {
    this.db = loadAwsServiceSpecSync();
  }

  /** The database's version of a resource type, or undefined when CloudFormation has no such type. */
  private resource(type: string) {
    return this.db.lookup('resource', 'cloudFormationType', 'equals', type)[0];
  }

  private valueSchema(t: SpecType, definitions: Record<string, Schema>): Schema {
    const orIntrinsic = (schema: Schema): Schema => ({ anyOf: [schema, INTRINSIC] });
    switch (t.type) {
      case 'string':
        // CloudFormation turns numbers and booleans given for a string into their text.
        return orIntrinsic(t.allowedValues ? { enum: t.allowedValues } : { type: ['string', 'number', 'boolean'] });
      case 'date-time':
        return orIntrinsic({ type: 'string' });
      case 'number':
        return orIntrinsic({ anyOf: [{ type: 'number' }, { type: 'string', pattern: '^-?\\d+(\\.\\d+)?$' }] });
      case 'integer':
        return orIntrinsic({ anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^-?\\d+$' }] });
      case 'boolean':
        return orIntrinsic({ anyOf: [{ type: 'boolean' }, { enum: ['true', 'false'] }] });
      case 'json':
        return {};
      case 'null':
        return { type: 'null' };
      case 'tag':
        return orIntrinsic({ type: 'object', required: ['Key', 'Value'], additionalProperties: false, properties: { Key: this.valueSchema({ type: 'string' }, definitions), Value: this.valueSchema({ type: 'string' }, definitions) } });
      case 'array':
        return orIntrinsic({ type: 'array', items: this.valueSchema(t.element!, definitions) });
      case 'map':
        return orIntrinsic({ type: 'object', additionalProperties: this.valueSchema(t.element!, definitions) });
      case 'union':
        return { anyOf: t.types!.map((u) => this.valueSchema(u, definitions)) };
      case 'ref': {
        const id = t.reference!.$ref;
        if (!definitions[id]) {
          definitions[id] = {};
          const def = this.db.get('typeDefinition', id) as unknown as { properties: Record<string, SpecProperty> };
          definitions[id] = this.objectSchema(def.properties, definitions);
        }
        return orIntrinsic({ $ref: `#/definitions/${id}` });
      }
      default:
        throw new Error(`unknown type kind in the resource spec: ${t.type}`);
    }
  }

  private objectSchema(properties: Record<string, SpecProperty>, definitions: Record<string, Schema>): Schema {
    const schemaProperties: Record<string, Schema> = {};
    for (const [name, property] of Object.entries(properties)) {
      // A template written for an older shape of a property is still accepted by CloudFormation.
      const kinds = [property.type, ...(property.previousTypes ?? [])];
      schemaProperties[name] = kinds.length === 1 ? this.valueSchema(kinds[0]!, definitions) : { anyOf: kinds.map((k) => this.valueSchema(k, definitions)) };
    }
    const required = Object.entries(properties).filter(([, p]) => p.required).map(([name]) => name);
    return { type: 'object', additionalProperties: false, properties: schemaProperties, ...(required.length ? { required } : {}) };
  }

  /** The ajv validator of one resource type's Properties; undefined for a type CloudFormation does not know. */
  validatorOf(type: string): ValidateFunction | undefined {
    if (!this.validators.has(type)) {
      const resource = this.resource(type);
      if (!resource) return undefined;
      const definitions: Record<string, Schema> = {};
      const schema = this.objectSchema(resource.properties as unknown as Record<string, SpecProperty>, definitions);
      this.validators.set(type, this.ajv.compile({ ...schema, definitions }));
    }
    return this.validators.get(type);
  }

  /** Every resource of the template that does not match its type's schema, with ajv's reasons. */
  problemsOf(template: { Resources: Record<string, { Type: string; Properties?: unknown; [attribute: string]: unknown }> }): SchemaProblem[] {
    const problems: SchemaProblem[] = [];
    for (const [id, resource] of Object.entries(template.Resources)) {
      const errors: string[] = [];
      const unknownAttributes = Object.keys(resource).filter((key) => !RESOURCE_ATTRIBUTES.includes(key));
      if (unknownAttributes.length) errors.push(`unknown resource attributes: ${unknownAttributes.join(', ')}`);
      const validate = this.validatorOf(resource.Type);
      if (!validate) errors.push(`unknown resource type ${resource.Type}`);
      else if (!validate(resource.Properties ?? {})) {
        // The intrinsic-function branch of every anyOf fails too; its complaints say nothing.
        const intrinsicNoise = (e: { keyword: string; params: Record<string, unknown> }) =>
          ['anyOf', 'maxProperties', 'minProperties', 'propertyNames'].includes(e.keyword) || String(e.params.pattern ?? '').startsWith('^(Ref|');
        errors.push(...(validate.errors ?? []).filter((e) => !intrinsicNoise(e)).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`));
      }
      if (errors.length) problems.push({ resource: id, type: resource.Type, errors });
    }
    return problems;
  }
}
