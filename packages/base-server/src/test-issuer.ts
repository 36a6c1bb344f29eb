// A minimal OAuth authorization server for tests and benches of services built on base-server: an
// ES256 key made with jose, its metadata at /.well-known/openid-configuration and its key set at /jwks
// on a loopback port, and access tokens (RFC 9068 JWTs) signed with the published key — verified by the
// service along its real path (discovery, JWKS, signature, iss/aud/exp). For the full OAuth flows
// (token endpoint, client credentials, introspection) base-server's own tests use oidc-provider.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

export interface TestIssuer {
  issuer: string;
  /** An access token for `audience` carrying `scope`, from `subject` through `clientId`, valid `ttlSeconds` (3600). */
  token(options: { audience: string; scope: string; subject?: string; clientId?: string; ttlSeconds?: number }): Promise<string>;
  /** How often the key set was fetched. */
  jwksFetches(): number;
  close(): Promise<void>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-1', alg: 'ES256', use: 'sig' };
  let fetches = 0;
  let issuer = '';
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    } else if (req.url === '/jwks') {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    token: ({ audience, scope, subject = 'test-user', clientId = 'test-client', ttlSeconds = 3600 }) =>
      new SignJWT({ scope, client_id: clientId })
        .setProtectedHeader({ alg: 'ES256', kid: 'test-1', typ: 'at+jwt' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(subject)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(privateKey),
    jwksFetches: () => fetches,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
