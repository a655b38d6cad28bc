export const TTL_ATTRIBUTE: 'expiresAt';
export const SESSIONS_BY_OWNER_INDEX: 'byOwner';
export const EVENTS_BY_USER_INDEX: 'eventsByUser';
export interface TableNames { users: string; sessions: string }
export function tableProperties(names: TableNames): Record<'users' | 'sessions', Record<string, any>>;
export function cloudFormationResources(): Record<string, any>;
export function localTableDefinitions(names: TableNames): { create: any; ttlAttribute: string }[];
export const SERVICE: string;
export function tableNames(stage: string): TableNames;
