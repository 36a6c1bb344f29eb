// A local OAuth authorization server for benches: ES256 keys made with jose, its metadata at
// /.well-known/openid-configuration and its key set at /jwks on a loopback port, and access tokens
// (RFC 9068 JWTs) signed with the published key. Servers under test verify them along their real
// path: discovery, JWKS fetch (then cached), signature, issuer, audience, expiry.
import { createServer } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

export async function startIssuer() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'ES256', use: 'sig' };
  let jwksFetches = 0;
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, token_endpoint: `${issuer}/token` }));
    } else if (req.url === '/jwks') {
      jwksFetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    } else res.writeHead(404).end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  return {
    issuer,
    /** An access token for `audience` with `scope`, valid for an hour. */
    token: ({ audience, scope, subject = 'bench-user', clientId = 'bench-client' }) =>
      new SignJWT({ scope, client_id: clientId })
        .setProtectedHeader({ alg: 'ES256', kid: 'bench-1', typ: 'at+jwt' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(subject)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey),
    jwksFetches: () => jwksFetches,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
