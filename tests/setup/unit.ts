/**
 * Global setup of the `unit` project: starts nothing. It only builds the function bundles, which
 * the packaging tests inspect and package (a build, shared with the e2e project in a full run).
 */
import type { TestProject } from 'vitest/node';
import { useServices } from './services';

export default (project: TestProject) => useServices(project, ['bundles']);
