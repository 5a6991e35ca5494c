// A real OpenID provider (the npm package oidc-provider) on loopback, for carehub's OIDC tests.
//
//   node provider.mjs PORT        (or env OIDC_PORT)
//
// Issuer http://127.0.0.1:PORT. Machine clients use the client_credentials grant with
// client_secret_post: client_id alice|bob|carol (secret "<id>-secret") get access tokens whose
// "email" claim is <id>@clinic.example; client "service" gets tokens without an email. The
// resource indicator picks the token's audience and signing algorithm:
//   urn:carehub:rs256 -> aud carehub-test, RS256     urn:carehub:es256 -> aud carehub-test, ES256
//   urn:other:api     -> aud other-api, RS256
// With OIDC_CONSOLE_REDIRECT set, client "console" signs people in through the browser (see below).
// Test-only admin routes (loopback, no auth):
//   POST /admin/rotate         new RSA and EC signing keys with new kids, used from now on; the old
//                              keys stay published. Answers {"kids": [...]} (the new kids).
//   GET  /admin/jwks-requests  {"count": n}: how many times the JWKS was fetched.
// It exits by itself after OIDC_PROVIDER_LIFETIME_S seconds (default 1800).
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';

import Provider, { errors } from 'oidc-provider';

const port = Number(process.argv[2] ?? process.env.OIDC_PORT);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node provider.mjs PORT (or env OIDC_PORT)');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const emailDomain = 'clinic.example';
const emailClients = ['alice', 'bob', 'carol'];
const clientIds = [...emailClients, 'service'];

const resources = {
  'urn:carehub:rs256': { audience: 'carehub-test', alg: 'RS256' },
  'urn:carehub:es256': { audience: 'carehub-test', alg: 'ES256' },
  'urn:other:api': { audience: 'other-api', alg: 'RS256' },
};

function newSigningKeys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return [
    { ...rsa, kid: `rsa-${randomUUID()}`, alg: 'RS256', use: 'sig' },
    { ...ec, kid: `ec-${randomUUID()}`, alg: 'ES256', use: 'sig' },
  ];
}

// Newest first: the keystore signs with the first key that matches the algorithm.
let signingKeys = newSigningKeys();
let jwksRequests = 0;

// The console's browser sign-in (authorization code with PKCE, a public client) when
// OIDC_CONSOLE_REDIRECT names carehub's callback URL. People sign in on the provider's development
// login page with any name: the account "<name>" has the email "<name>@clinic.example" (verified).
const consoleRedirect = process.env.OIDC_CONSOLE_REDIRECT;
const consoleClients = consoleRedirect
  ? [
      {
        client_id: 'console',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [consoleRedirect],
        token_endpoint_auth_method: 'none',
      },
    ]
  : [];

function buildProvider() {
  const provider = new Provider(issuer, {
    clients: [
      ...clientIds.map((id) => ({
        client_id: id,
        client_secret: `${id}-secret`,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_post',
      })),
      ...consoleClients,
    ],
    findAccount: (ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: id, email: `${id}@${emailDomain}`, email_verified: true }),
    }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    // The email in the ID token itself, not only at the userinfo endpoint.
    conformIdTokenClaims: false,
    jwks: { keys: signingKeys },
    ttl: { ClientCredentials: 300 },
    cookies: { keys: [randomUUID()] },
    features: {
      devInteractions: { enabled: Boolean(consoleRedirect) },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => {
          const info = resources[resource];
          if (!info) {
            throw new errors.InvalidTarget(`unknown resource ${resource}`);
          }
          return {
            scope: 'api',
            audience: info.audience,
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: info.alg } },
          };
        },
      },
    },
    extraTokenClaims: (ctx, token) =>
      emailClients.includes(token.clientId) ? { email: `${token.clientId}@${emailDomain}` } : undefined,
  });
  provider.on('server_error', (ctx, err) => console.error('oidc-provider server_error:', err));
  return provider;
}

let handler = buildProvider().callback();

function answer(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = http.createServer((req, res) => {
  const path = new URL(req.url, issuer).pathname;
  if (path === '/admin/rotate' && req.method === 'POST') {
    const fresh = newSigningKeys();
    signingKeys = [...fresh, ...signingKeys];
    handler = buildProvider().callback();
    answer(res, 200, { kids: fresh.map((k) => k.kid) });
    return;
  }
  if (path === '/admin/jwks-requests') {
    answer(res, 200, { count: jwksRequests });
    return;
  }
  if (path === '/jwks') {
    jwksRequests += 1;
  }
  handler(req, res);
});

server.listen(port, '127.0.0.1', () => console.log(`oidc test provider: ${issuer}`));

// A test that crashes before stopping its provider must not leave it running forever.
const lifetimeS = Number(process.env.OIDC_PROVIDER_LIFETIME_S ?? 1800);
setTimeout(() => process.exit(0), lifetimeS * 1000).unref();

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
