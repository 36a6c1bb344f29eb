// REST routes declared with zod schemas: the same schemas validate requests and generate /openapi.json.
import type { Request, Response, NextFunction, Router } from 'express';
import { z } from 'zod';
import { BadRequestError } from './errors.js';

type AnyZod = z.ZodType;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec<B extends AnyZod | undefined, Q extends AnyZod | undefined, P extends AnyZod | undefined, R extends AnyZod | undefined> {
  method: Method;
  /** Express path, e.g. `/v1/agents/:agentId/sessions`. */
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
   * Served without an API key (badges, a service's own health summary). Public routes are mounted
   * before authentication and body parsing, so they should be read-only GETs.
   */
  public?: boolean;
  handler: (
    input: {
      body: B extends AnyZod ? z.output<B> : undefined;
      query: Q extends AnyZod ? z.output<Q> : undefined;
      params: P extends AnyZod ? z.output<P> : undefined;
    },
    req: Request,
    res: Response,
  ) => Promise<(R extends AnyZod ? z.input<R> : unknown) | void>;
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

/** Collects routes, mounts them with validation, and describes them as OpenAPI 3.1. */
export class RestApi {
  private readonly routes: AnyRoute[] = [];

  constructor(
    private readonly router: Router,
    private readonly publicRouter: Router = router,
  ) {}

  route<B extends AnyZod | undefined = undefined, Q extends AnyZod | undefined = undefined, P extends AnyZod | undefined = undefined, R extends AnyZod | undefined = undefined>(
    spec: RouteSpec<B, Q, P, R>,
  ): void {
    this.routes.push(spec as AnyRoute);
    const router = spec.public ? this.publicRouter : this.router;
    router[spec.method](spec.path, async (req: Request, res: Response, next: NextFunction) => {
      try {
        const input = {
          body: parsePart(spec.body, req.body ?? {}, 'body'),
          query: parsePart(spec.query, req.query, 'query'),
          params: parsePart(spec.params, req.params, 'params'),
        };
        const out = await spec.handler(input as never, req, res);
        if (!res.headersSent) {
          if (out === undefined) res.status(spec.status ?? 204).end();
          else res.status(spec.status ?? 200).json(out);
        }
      } catch (err) {
        next(err);
      }
    });
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
