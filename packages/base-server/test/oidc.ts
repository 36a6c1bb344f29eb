// A real OpenID Connect provider (oidc-provider) on loopback: it issues signed JWT access tokens (RFC
// 9068) for a resource indicator (RFC 8707) by the client_credentials grant, opaque tokens for one
// client, and serves discovery, JWKS and RFC 7662 introspection. Its keys can be rotated in place.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

export const SCOPES = 'test-svc:read test-svc:write other:read';

export interface TestIdp {
  issuer: string;
  /** A token from the token endpoint (client_credentials), for `resource` and `scope`. */
  token(options: { client?: string; scope?: string; resource?: string }): Promise<string>;
  /** Publishes a new signing key first (used for new tokens), keeping the old ones published. */
  rotate(): Promise<void>;
  /** How many times the JWKS endpoint was fetched. */
  jwksFetches(): number;
  close(): Promise<void>;
}

export const CLIENTS = {
  agent: 'agent-secret-0123456789',
  opaque: 'opaque-secret-0123456789',
  short: 'short-secret-0123456789',
  rs: 'rs-secret-0123456789',
} as const;

async function signingKey(kid: string) {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };
}

export async function startIdp(): Promise<TestIdp> {
  let fetches = 0;
  let provider: Provider | undefined;
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/jwks')) fetches++;
    void provider?.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const keys = [await signingKey('key-1')];

  const build = () =>
    new Provider(issuer, {
      clients: Object.entries(CLIENTS).map(([id, secret]) => ({
        client_id: id,
        client_secret: secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        scope: SCOPES,
        id_token_signed_response_alg: 'ES256',
      })),
      jwks: { keys: [...keys] },
      scopes: SCOPES.split(' '),
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: { enabled: true },
        resourceIndicators: {
          enabled: true,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, resource, client) => ({
            scope: SCOPES,
            audience: resource,
            accessTokenTTL: client.clientId === 'short' ? 1 : 300,
            accessTokenFormat: client.clientId === 'opaque' ? 'opaque' : 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          }),
        },
      },
    });
  provider = build();

  return {
    issuer,
    async token({ client = 'agent', scope = SCOPES, resource }) {
      const secret = CLIENTS[client as keyof typeof CLIENTS];
      const body = new URLSearchParams({ grant_type: 'client_credentials', scope, ...(resource ? { resource } : {}) });
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from(`${client}:${secret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body,
      });
      const json = (await res.json()) as { access_token?: string };
      if (!json.access_token) throw new Error(`no token: ${JSON.stringify(json)}`);
      return json.access_token;
    },
    async rotate() {
      keys.unshift(await signingKey(`key-${keys.length + 1}`));
      provider = build();
    },
    jwksFetches: () => fetches,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
