/** Types of messages.js (plain JavaScript, served to the browser as it is), for the unit tests. */
export function messageFor(error: unknown, context?: string): string;
export function fieldMessage(problem: { field: string; message: string }): string;
