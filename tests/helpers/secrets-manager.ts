/**
 * Secrets Manager has no local form, so tests mock the SDK client with aws-sdk-client-mock. This
 * mock keeps state the way the service does (versions, staging labels, idempotent
 * PutSecretValue on a ClientRequestToken, ResourceNotFoundException for a version without a
 * value), so the rotation code runs its real path against it. `rotate()` plays Secrets Manager's
 * part of a rotation: it stages the token as AWSPENDING, then invokes the four steps in order.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';

interface Version {
  value: string | undefined;
  stages: Set<string>;
}

interface Secret {
  rotationEnabled: boolean;
  versions: Map<string, Version>;
}

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $fault: 'client', $metadata: {} });

export function fakeSecretsManager() {
  const secrets = new Map<string, Secret>();
  const calls: string[] = [];
  const failures: { command: string; error: Error }[] = [];
  let versionCounter = 0;

  const secretOf = (id: string | undefined) => {
    const secret = secrets.get(id ?? '');
    if (!secret) throw awsError('ResourceNotFoundException', `Secrets Manager can't find the specified secret.`);
    return secret;
  };
  const moveStage = (secret: Secret, stage: string, to: string) => {
    for (const [id, version] of secret.versions) {
      if (id !== to && version.stages.delete(stage) && stage === 'AWSCURRENT') {
        for (const other of secret.versions.values()) other.stages.delete('AWSPREVIOUS');
        version.stages.add('AWSPREVIOUS');
      }
    }
    secret.versions.get(to)!.stages.add(stage);
  };
  const maybeFail = (command: string) => {
    calls.push(command);
    const i = failures.findIndex((f) => f.command === command);
    if (i >= 0) throw failures.splice(i, 1)[0]!.error;
  };

  const mock = mockClient(SecretsManagerClient);
  mock.on(DescribeSecretCommand).callsFake(({ SecretId }) => {
    maybeFail('DescribeSecret');
    const secret = secretOf(SecretId);
    return {
      RotationEnabled: secret.rotationEnabled,
      VersionIdsToStages: Object.fromEntries([...secret.versions].filter(([, v]) => v.stages.size > 0).map(([id, v]) => [id, [...v.stages]])),
    };
  });
  mock.on(GetSecretValueCommand).callsFake(({ SecretId, VersionId, VersionStage }) => {
    maybeFail('GetSecretValue');
    const secret = secretOf(SecretId);
    const stage = VersionStage ?? (VersionId ? undefined : 'AWSCURRENT');
    const found = [...secret.versions].find(([id, v]) => (!VersionId || id === VersionId) && (!stage || v.stages.has(stage)));
    if (!found || found[1].value === undefined) {
      throw awsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret value.");
    }
    return { VersionId: found[0], SecretString: found[1].value, VersionStages: [...found[1].stages] };
  });
  mock.on(PutSecretValueCommand).callsFake(({ SecretId, ClientRequestToken, SecretString, VersionStages }) => {
    maybeFail('PutSecretValue');
    const secret = secretOf(SecretId);
    const id = ClientRequestToken ?? `v${(versionCounter += 1)}`;
    const existing = secret.versions.get(id);
    if (existing?.value !== undefined) {
      if (existing.value !== SecretString) throw awsError('ResourceExistsException', 'A resource with the ID you requested already exists.');
    } else if (existing) {
      existing.value = SecretString;
    } else {
      secret.versions.set(id, { value: SecretString, stages: new Set() });
    }
    for (const stage of VersionStages ?? ['AWSCURRENT']) moveStage(secret, stage, id);
    return { VersionId: id };
  });
  mock.on(UpdateSecretVersionStageCommand).callsFake(({ SecretId, VersionStage, MoveToVersionId, RemoveFromVersionId }) => {
    maybeFail('UpdateSecretVersionStage');
    const secret = secretOf(SecretId);
    const holder = [...secret.versions].find(([, v]) => v.stages.has(VersionStage!))?.[0];
    if (holder && holder !== MoveToVersionId && holder !== RemoveFromVersionId) {
      throw awsError('InvalidParameterException', `The staging label ${VersionStage} is attached to version ${holder}`);
    }
    if (MoveToVersionId) moveStage(secret, VersionStage!, MoveToVersionId);
    else if (holder === RemoveFromVersionId) secret.versions.get(holder!)!.stages.delete(VersionStage!);
    return {};
  });

  return {
    mock,
    calls,
    client: new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
    /** A secret with one AWSCURRENT version. */
    create(id: string, value: string, options: { rotationEnabled?: boolean } = {}) {
      secrets.set(id, { rotationEnabled: options.rotationEnabled ?? true, versions: new Map([[`v${(versionCounter += 1)}`, { value, stages: new Set(['AWSCURRENT']) }]]) });
    },
    current(id: string, stage = 'AWSCURRENT'): string | undefined {
      return [...secretOf(id).versions.values()].find((v) => v.stages.has(stage))?.value;
    },
    versions(id: string) {
      return secretOf(id).versions;
    },
    /** Secrets Manager's first move in a rotation: the token becomes an AWSPENDING version without a value. */
    stagePending(id: string, token: string) {
      const secret = secretOf(id);
      secret.versions.set(token, { value: undefined, stages: new Set() });
      moveStage(secret, 'AWSPENDING', token);
    },
    /** The next call of `command` throws `error` (once). */
    failNext(command: string, error: Error = awsError('InternalServiceError', 'An error occurred on the server side.')) {
      failures.push({ command, error });
    },
    restore: () => mock.restore(),
  };
}
