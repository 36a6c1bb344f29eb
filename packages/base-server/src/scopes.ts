// Scopes: what a caller may see and do. Every tool and REST route needs one scope, `<service>:read` for
// what only reads and `<service>:write` for the rest unless it declares its own; a caller's principal
// carries the scopes of its API key or access token (none listed: full access). A missing scope is
// answered with the OAuth step-up challenge (RFC 6750 §3.1 `insufficient_scope`, MCP authorization
// "Scope Challenge Handling"), built by the MCP SDK's own formatter.
import { OAuthError, OAuthErrorCode, bearerAuthChallengeResponse } from '@modelcontextprotocol/server';
import { AppError } from './errors.js';
import type { Principal } from './security.js';

/** `deploy-mcp` → `deploy`, `memory` → `memory`: the prefix of a service's scope names. */
export const scopePrefixOf = (serviceName: string): string => serviceName.replace(/-mcp$/, '');

/** The scope a tool or route needs unless it declares one: reading and writing are told apart. */
export const defaultScope = (prefix: string, readOnly: boolean): string => `${prefix}:${readOnly ? 'read' : 'write'}`;

/** Whether the caller may use something that needs `scope`; a principal without a scope list has full access. */
export const principalAllows = (principal: Principal | undefined, scope: string): boolean => principal?.scopes === undefined || principal.scopes.includes(scope);

/**
 * The `WWW-Authenticate` value of a Bearer challenge (RFC 6750 §3, with RFC 9728's `resource_metadata`),
 * in the MCP SDK's wording: the same header its bearer-auth helpers send.
 */
export function bearerChallenge(error: OAuthError, options: { scopes?: readonly string[]; resourceMetadataUrl?: string | undefined }): string {
  const response = bearerAuthChallengeResponse(error, {
    requiredScopes: [...(options.scopes ?? [])],
    ...(options.resourceMetadataUrl ? { resourceMetadataUrl: options.resourceMetadataUrl } : {}),
  });
  return response.headers.get('WWW-Authenticate') ?? 'Bearer';
}

/** 403 `insufficient_scope`: the caller is known but its key or token lacks the scope; a client may step up. */
export class InsufficientScopeError extends AppError {
  constructor(
    readonly scope: string,
    resourceMetadataUrl: string | undefined,
    what: string,
  ) {
    const message = `${what} needs the scope "${scope}", which this API key or access token does not grant.`;
    super('insufficient_scope', message, {
      status: 403,
      type: 'permission_error',
      headers: { 'WWW-Authenticate': bearerChallenge(new OAuthError(OAuthErrorCode.InsufficientScope, message), { scopes: [scope], resourceMetadataUrl }) },
      details: { required_scope: scope },
    });
  }
}

/** What the service's chain asks before running a tool or route: the prefix, and the refusal to throw. */
export interface ScopeGuard {
  readonly prefix: string;
  /** Throws InsufficientScopeError unless the principal grants `scope`. */
  require(principal: Principal | undefined, scope: string, what: string): void;
}

export function createScopeGuard(prefix: string, resourceMetadataUrl: string | undefined): ScopeGuard {
  return {
    prefix,
    require(principal, scope, what) {
      if (!principalAllows(principal, scope)) throw new InsufficientScopeError(scope, resourceMetadataUrl, what);
    },
  };
}
