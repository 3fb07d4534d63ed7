// A real OpenID Connect provider (the `oidc-provider` package) on loopback, shaped like SSO BPS:
// a Keycloak realm `pegawai-bps` at /auth/realms/pegawai-bps with Keycloak's endpoint paths, the
// people of users.json carrying the SSO BPS claims (nip, nip-lama, organisasi, ...), a login form
// that checks their passwords, and RP-initiated logout. Started by the pytest fixture
// `oidc_provider` (conftest.py); not for production.
//
//   PORT=8089 RP_BASES=http://testserver,http://localhost:8000 node server.js
//
// RP_BASES: the addresses of the app the client `monev-desacantik` may return to
// (<base>/sso/callback/ after login, <base>/masuk/ after logout).

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const HOST = '127.0.0.1';
const PORT = Number(process.env.PORT || 8089);
const REALM = 'pegawai-bps';
const PREFIX = `/auth/realms/${REALM}`;
const ISSUER = `http://${HOST}:${PORT}${PREFIX}`;
const RP_BASES = (process.env.RP_BASES || 'http://testserver').split(',').filter(Boolean);
export const CLIENT_ID = process.env.CLIENT_ID || 'monev-desacantik';
export const CLIENT_SECRET = process.env.CLIENT_SECRET || 'rahasia-klien-uji-monev-desacantik';

const { users: USERS } = JSON.parse(
  fs.readFileSync(new URL('./users.json', import.meta.url), 'utf8'),
);
const BY_SUB = new Map(Object.values(USERS).map((user) => [user.claims.sub, user]));

// The SSO BPS claims, released with the `profile` scope as the realm's mappers do.
const BPS_CLAIMS = ['nip', 'nip-lama', 'organisasi', 'provinsi', 'kabupaten', 'jabatan', 'eselon', 'golongan'];

const signingKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const jwk = { ...signingKey.export({ format: 'jwk' }), kid: 'uji-rs256', alg: 'RS256', use: 'sig' };

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  }[c]));
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body><main><h1>SSO BPS (uji)</h1>${body}</main></body></html>`;
}

function send(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

function loginForm(uid, { username = '', error = '' } = {}) {
  return page('Masuk SSO BPS', `
<form method="post" action="${PREFIX}/login-actions/${uid}/login" id="kc-form-login">
  ${error ? `<p role="alert" id="input-error">${escapeHtml(error)}</p>` : ''}
  <label for="username">Username</label>
  <input id="username" name="username" value="${escapeHtml(username)}" autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password">
  <button type="submit" id="kc-login">Masuk</button>
</form>`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const provider = new Provider(ISSUER, {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    client_name: 'Monev Desa Cantik (uji)',
    redirect_uris: RP_BASES.map((base) => `${base}/sso/callback/`),
    post_logout_redirect_uris: RP_BASES.map((base) => `${base}/masuk/`),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  scopes: ['openid', 'email', 'profile'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username', ...BPS_CLAIMS],
  },
  async findAccount(ctx, sub) {
    const user = BY_SUB.get(sub);
    if (!user) return undefined;
    return { accountId: sub, async claims() { return { ...user.claims }; } };
  },
  interactions: { url: (ctx, interaction) => `${PREFIX}/login-actions/${interaction.uid}` },
  pkce: { methods: ['S256'], required: () => true },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Keluar dari SSO BPS', `${form}
<p>Keluar dari SSO BPS?</p>
<button type="submit" form="op.logoutForm" name="logout" value="yes" id="kc-logout">Keluar</button>
<button type="submit" form="op.logoutForm">Tetap masuk</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Keluar dari SSO BPS', '<p>Anda sudah keluar dari SSO BPS.</p>');
      },
    },
  },
  routes: {
    authorization: '/protocol/openid-connect/auth',
    token: '/protocol/openid-connect/token',
    userinfo: '/protocol/openid-connect/userinfo',
    jwks: '/protocol/openid-connect/certs',
    end_session: '/protocol/openid-connect/logout',
    revocation: '/protocol/openid-connect/revoke',
    introspection: '/protocol/openid-connect/token/introspect',
  },
  ttl: { Session: 8 * 3600, Interaction: 600, AccessToken: 300, IdToken: 300, Grant: 8 * 3600 },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Kesalahan SSO BPS', `<p id="error">${escapeHtml(out.error)}: ${escapeHtml(out.error_description || '')}</p>`);
  },
});

// Consent: SSO BPS does not ask staff to consent to the apps of their own organisation; the
// grant the client asked for is given at once.
async function grantConsent(req, res, interaction) {
  const { prompt: { details }, params, session: { accountId } } = interaction;
  const grant = interaction.grantId
    ? await provider.Grant.find(interaction.grantId)
    : new provider.Grant({ accountId, clientId: params.client_id });
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  const consent = interaction.grantId ? {} : { grantId };
  await provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
}

async function interactions(req, res, path) {
  const [uid, action] = path.slice(`${PREFIX}/login-actions/`.length).split('/');
  const interaction = await provider.interactionDetails(req, res);
  if (interaction.uid !== uid) return send(res, 400, page('Kesalahan', '<p>Sesi masuk tidak dikenal.</p>'));
  if (req.method === 'GET' && !action) {
    if (interaction.prompt.name === 'login') return send(res, 200, loginForm(uid));
    if (interaction.prompt.name === 'consent') return grantConsent(req, res, interaction);
  }
  if (req.method === 'POST' && action === 'login' && interaction.prompt.name === 'login') {
    const form = await readForm(req);
    const username = form.get('username') || '';
    const user = USERS[username];
    if (!user || user.password !== form.get('password')) {
      return send(res, 401, loginForm(uid, { username, error: 'Username atau password salah.' }));
    }
    return provider.interactionFinished(req, res, { login: { accountId: user.claims.sub } }, {
      mergeWithLastSubmission: false,
    });
  }
  return send(res, 405, page('Kesalahan', '<p>Permintaan tidak dikenal.</p>'));
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  const path = new URL(req.url, ISSUER).pathname;
  try {
    if (path === '/favicon.ico') {
      res.writeHead(204).end(); // browsers ask for it on the provider's pages
    } else if (path.startsWith(`${PREFIX}/login-actions/`)) {
      await interactions(req, res, path);
    } else if (path === PREFIX || path.startsWith(`${PREFIX}/`)) {
      // Mounted under the realm's path, as express would: the provider builds its URLs from it.
      req.originalUrl = req.url;
      req.url = req.url.slice(PREFIX.length) || '/';
      callback(req, res);
    } else {
      send(res, 404, page('Tidak ditemukan', '<p>Realm tidak dikenal.</p>'));
    }
  } catch (error) {
    console.error(error);
    if (!res.headersSent) send(res, 500, page('Kesalahan', `<p>${escapeHtml(error.message)}</p>`));
  }
});

server.listen(PORT, HOST, () => {
  console.log(`oidc-provider realm ${REALM} at ${ISSUER}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
