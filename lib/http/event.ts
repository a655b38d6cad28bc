import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** The event an endpoint handler receives (HTTP API, payload 2.0); the body once parsed is JSON. */
export type HttpEvent = Omit<APIGatewayProxyEventV2, 'body'> & { body?: unknown };
