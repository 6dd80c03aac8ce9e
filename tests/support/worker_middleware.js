// socketcluster-client 20 and raw ws against build/bin/sc-example-middleware: each middleware
// point allows, blocks (with the error the client sees) or rewrites.
// Usage: node worker_middleware.js PORT KEYFILE.  Prints "ok N - ..."; exits 1 on failure.
'use strict';
const assert = require('assert/strict');
const WebSocket = require('ws');
const jwt = require('jsonwebtoken');
const sct = require('./sc_test');
const { ok, sleep, within } = sct;

const port = Number(process.argv[2]);
const key = sct.readKey(process.argv[3]);
const engine = (token) => ({ saveToken: async (k, tok) => tok, removeToken: async () => null,
                             loadToken: async () => token });
const client = (opts = {}) => sct.client(port, { ackTimeout: 1500, ...opts });

async function main() {
  // HandshakeWS: a refused upgrade is HTTP 401 with the error message as body.
  const res = await new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socketcluster/`, { origin: 'http://evil.example' });
    ws.on('unexpected-response', (req, r) => {
      let body = '';
      r.on('data', (d) => { body += d; });
      r.on('end', () => resolve({ status: r.statusCode, body }));
    });
    ws.on('open', () => reject(new Error('upgrade accepted')));
    ws.on('error', () => {});
  });
  assert.equal(res.status, 401);
  assert.match(res.body, /WS handshake refused by middleware/);
  const good = new WebSocket(`ws://127.0.0.1:${port}/socketcluster/`, { origin: 'http://good.example' });
  await within(new Promise((r) => good.on('open', r)), 2000, 'good origin refused');
  good.close();
  ok('HandshakeWS: Origin http://evil.example → HTTP 401 "WS handshake refused by middleware"; others upgrade');

  // HandshakeSC: error response with statusCode 4501, then close 4501.
  const banned = client({ authEngine: engine(jwt.sign({ username: 'banned' }, key)) });
  const ev = await within(banned.listener('connectAbort').once(), 3000, 'no connectAbort');
  assert.equal(ev.code, 4501);
  ok('HandshakeSC: a banned token → HandshakeRefusedError, close 4501 (no reconnect)');

  // Authenticate: a valid token refused by middleware → guest with authError.
  const blocked = client({ authEngine: engine(jwt.sign({ username: 'blocked' }, key)) });
  const st = await sct.connectStatus(blocked);
  assert.equal(st.isAuthenticated, false);
  assert.equal(st.authError.name, 'AuthBlockedError');
  blocked.disconnect();
  ok('Authenticate: a signature-valid token refused by middleware → isAuthenticated false, authError AuthBlockedError');

  // Invoke: block with an error, silent block, data rewriting; Transmit: drop.
  const c = client();
  await sct.connectStatus(c);
  await assert.rejects(c.invoke('secret'), (e) => e.name === 'ForbiddenError' && e.message === 'secret needs a token');
  await assert.rejects(c.invoke('silent'), (e) => e.name === 'SilentMiddlewareBlockedError');
  assert.equal(await c.invoke('echo', 'rewrite-me'), 'rewritten');
  assert.equal(await c.invoke('echo', 'plain'), 'plain');
  const pongs = [];
  (async () => { for await (const d of c.receiver('pong')) pongs.push(d); })();
  c.transmit('ping', 'drop');
  c.transmit('ping', 'keep');
  await sleep(300);
  assert.deepEqual(pongs, ['keep']);
  c.disconnect();
  const authed = client({ authEngine: engine(jwt.sign({ username: 'alice' }, key)) });
  assert.equal((await sct.connectStatus(authed)).isAuthenticated, true);
  assert.equal(await authed.invoke('secret'), '42');
  authed.disconnect();
  ok('Invoke: ForbiddenError, SilentMiddlewareBlockedError, data rewritten; Transmit: dropped; secret allowed with a token');
}

sct.run(main);
