/** Global setup of the `e2e` project: the built functions behind serverless-offline, over HTTP. */
import type { TestProject } from 'vitest/node';
import { useServices } from './services';

export default (project: TestProject) => useServices(project, ['dynamo', 'keys', 'ses', 'offline']);
