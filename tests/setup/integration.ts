/** Global setup of the `integration` project: repositories and use cases on DynamoDB Local. */
import type { TestProject } from 'vitest/node';
import { useServices } from './services';

export default (project: TestProject) => useServices(project, ['dynamo', 'keys', 'ses']);
