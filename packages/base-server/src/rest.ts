// REST routes declared with zod schemas: the same schemas validate requests and generate /openapi.json.
// Declared routes are express routes, mounted into the service's one middleware chain.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IRouter, Request, Response, NextFunction } from 'express';
import { z } from 'zod';
import { BadRequestError } from './errors.js';
import type { Logger } from './logger.js';
import { sendBody, sendJson } from './pipeline.js';
import type { Principal } from './security.js';
import { defaultScope, type ScopeGuard } from './scopes.js';

type AnyZod = z.ZodType;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The request a route handler sees: node's request plus who is calling and a logger bound to the request. */
export type ApiRequest = IncomingMessage & {
  principal?: Principal;
  requestId?: string;
  log: Logger;
  body?: unknown;
};

/** An answer with its own status, content type or headers (a handler may also just return the JSON value). */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly options: { contentType?: string; headers?: Record<string, string> } = {},
  ) {}
}

/** `return reply(503, body)`; a string or Buffer body is sent as is, with `contentType`. */
export const reply = (status: number, body: unknown, options: { contentType?: string; headers?: Record<string, string> } = {}): Reply => new Reply(status, body, options);

export interface RouteSpec<B extends AnyZod | undefined, Q extends AnyZod | undefined, P extends AnyZod | undefined, R extends AnyZod | undefined> {
  method: Method;
  /** Express-style path, e.g. `/v1/agents/:agentId/sessions`. */
  path: string;
  summary: string;
  description?: string;
  tags?: string[];
  body?: B;
  query?: Q;
  params?: P;
  /** The 2xx response body schema (documented; the handler's return value is sent as JSON). */
  response?: R;
  /** Success status (default 200). */
  status?: number;
  /**
   * Served without an API key (badges, a service's own health summary). Public routes are read
   * before authentication and never read a body, so they should be read-only GETs.
   */
  public?: boolean;
  /**
   * The scope a caller needs (as for tools): default `<service>:read` for GET, `<service>:write` for the
   * other methods. Public routes need none.
   */
  scope?: string;
  /**
   * Returns the JSON answer, a `reply(...)`, or nothing (204). A handler may also write to `res` itself
   * (pre-encoded bodies); then nothing more is sent.
   */
  handler: (
    input: {
      body: B extends AnyZod ? z.output<B> : undefined;
      query: Q extends AnyZod ? z.output<Q> : undefined;
      params: P extends AnyZod ? z.output<P> : undefined;
    },
    req: ApiRequest,
    res: ServerResponse,
  ) => Promise<(R extends AnyZod ? z.input<R> : unknown) | Reply | void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyRoute = RouteSpec<any, any, any, any>;

function issues(where: string, error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${where}${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`)
    .join('; ');
}

function parsePart(schema: AnyZod | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const r = schema.safeParse(value);
  if (!r.success) throw new BadRequestError('validation_failed', `Invalid request: ${issues(where, r.error)}`);
  return r.data;
}

/** Collects routes, mounts them on express routers with validation, and describes them as OpenAPI 3.1. */
export class RestApi {
  private readonly routes: AnyRoute[] = [];

  /** Without a guard (an api built outside a service), routes check no scope. */
  constructor(private readonly guard?: ScopeGuard) {}

  /** The scope a route needs (undefined for a public route, or without a guard). */
  scopeOf(route: Pick<AnyRoute, 'method' | 'scope' | 'public'>): string | undefined {
    if (route.public || !this.guard) return undefined;
    return route.scope ?? defaultScope(this.guard.prefix, route.method === 'get');
  }

  /** Every scope some route needs, sorted. */
  scopeNames(): string[] {
    return [...new Set(this.routes.map((r) => this.scopeOf(r)).filter((s): s is string => s !== undefined))].sort();
  }

  route<B extends AnyZod | undefined = undefined, Q extends AnyZod | undefined = undefined, P extends AnyZod | undefined = undefined, R extends AnyZod | undefined = undefined>(
    spec: RouteSpec<B, Q, P, R>,
  ): void {
    this.routes.push(spec as AnyRoute);
  }

  get size(): number {
    return this.routes.length;
  }

  /**
   * Places the public routes (`which: 'public'`, where the service's chain is before authentication)
   * or the rest (`'private'`, after authentication, rate limit and body parsing) on `target`.
   */
  mount(target: IRouter, which: 'public' | 'private'): void {
    for (const route of this.routes) {
      if ((route.public === true) !== (which === 'public')) continue;
      target[route.method](route.path, (req: Request, res: Response, next: NextFunction) => {
        this.serve(route, req as unknown as ApiRequest, res).catch(next);
      });
    }
  }

  /** Validates the request against the route's schemas, runs its handler and sends the answer. */
  private async serve(route: AnyRoute, req: ApiRequest & { query?: unknown; params?: unknown }, res: ServerResponse): Promise<void> {
    const scope = this.scopeOf(route);
    if (scope !== undefined) this.guard?.require(req.principal, scope, `${route.method.toUpperCase()} ${route.path}`);
    const input = {
      body: route.body ? parsePart(route.body, req.body ?? {}, 'body') : undefined,
      // req.query is parsed on each read: read only when there is a schema to check it against.
      query: route.query ? parsePart(route.query, req.query ?? {}, 'query') : undefined,
      params: route.params ? parsePart(route.params, req.params ?? {}, 'params') : undefined,
    };
    const out = await route.handler(input as never, req, res);
    if (res.headersSent || res.writableEnded) return;
    if (out instanceof Reply) {
      for (const [h, v] of Object.entries(out.options.headers ?? {})) res.setHeader(h, v);
      if (typeof out.body === 'string' || Buffer.isBuffer(out.body)) sendBody(req, res, out.status, out.body, out.options.contentType ?? 'text/plain; charset=utf-8');
      else if (out.body === undefined) res.writeHead(out.status).end();
      else sendJson(req, res, out.status, out.body);
    } else if (out === undefined) {
      res.writeHead(route.status ?? 204).end();
    } else {
      sendJson(req, res, route.status ?? 200, out);
    }
  }

  /** The OpenAPI document for every route declared so far. */
  openapi(info: { title: string; version: string; description?: string }): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    const schema = (s: AnyZod, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any' });
    for (const r of this.routes) {
      const path = r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const parameters: unknown[] = [];
      for (const [where, s] of [
        ['path', r.params],
        ['query', r.query],
      ] as const) {
        if (!s) continue;
        const js = schema(s, 'input') as { properties?: Record<string, unknown>; required?: string[] };
        for (const [name, prop] of Object.entries(js.properties ?? {})) {
          parameters.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: prop });
        }
      }
      const op: Record<string, unknown> = {
        summary: r.summary,
        ...(r.description ? { description: r.description } : {}),
        ...(r.tags ? { tags: r.tags } : {}),
        ...(parameters.length ? { parameters } : {}),
        security: r.public ? [] : [{ bearerAuth: [] }],
        ...(this.scopeOf(r) ? { 'x-required-scope': this.scopeOf(r) } : {}),
        responses: {
          [String(r.status ?? 200)]: {
            description: 'Success',
            ...(r.response ? { content: { 'application/json': { schema: schema(r.response, 'output') } } } : {}),
          },
          '4XX': { description: 'Error envelope', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        },
      };
      if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: schema(r.body, 'input') } } };
      (paths[path] ??= {})[r.method] = op;
    }
    return {
      openapi: '3.1.0',
      info,
      paths,
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
        schemas: {
          Error: {
            type: 'object',
            required: ['error'],
            properties: {
              error: {
                type: 'object',
                required: ['type', 'code', 'message'],
                properties: { type: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
      },
    };
  }
}
