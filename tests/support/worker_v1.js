// The unchanged npm socketcluster-client 14 (protocol v1: #1/#2 pings) against sc-conformance.
// Usage: node worker_v1.js V1PORT V2PORT.  V1PORT runs --protocol-version 1, V2PORT the default
// v2; both --ping-interval 500 --ping-timeout 2000.  Prints "ok N - ..."; exits 1 on failure.
'use strict';
const assert = require('assert/strict');
const sc = require('socketcluster-client-v14');

const [v1port, v2port] = process.argv.slice(2).map(Number);
let n = 0;
const ok = (what) => console.log(`ok ${++n} - ${what}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const emit = (s, ev, data) => new Promise((resolve, reject) => {
  s.emit(ev, data, (err, res) => (err ? reject(err) : resolve(res)));
});
const once = (s, ev, ms) => new Promise((resolve, reject) => {
  const t = setTimeout(() => reject(new Error(`no ${ev} within ${ms} ms`)), ms);
  s.once(ev, (...a) => { clearTimeout(t); resolve(a); });
});
const errors = [];
const create = (port) => {
  const s = sc.create({ hostname: '127.0.0.1', port, autoReconnect: false, ackTimeout: 3000,
                        multiplex: false });
  s.on('error', (e) => errors.push(e));  // v14 throws close codes other than 1000/1001 otherwise
  return s;
};

async function main() {
  const s = create(v1port);
  const [status] = await once(s, 'connect', 3000);
  assert.equal(s.id.length, 20);
  assert.equal(status.pingTimeout, 2000);
  assert.equal(status.isAuthenticated, false);
  ok('v14 client connects to a --protocol-version 1 worker');

  const data = { a: [1, 2.5, 'é'], b: null };
  assert.deepEqual(await emit(s, 'echo', data), data);
  // ('error' is one of the v14 client's local events: emit('error') never reaches the server.)
  await assert.rejects(emit(s, 'login', {}), (e) => e.name === 'LoginError');
  ok('emit with a callback = invoke: echo, and an error object (LoginError) rebuilt');

  const pong = once(s, 'pong', 2000);
  s.emit('ping', { n: 7 });
  assert.deepEqual((await pong)[0], { n: 7 });
  ok('emit without a callback = transmit: ping → pong');

  const auth = once(s, 'authenticate', 2000);
  await emit(s, 'login', { username: 'vic' });
  await auth;
  assert.equal(s.authToken.username, 'vic');
  assert.deepEqual(await emit(s, 'whoami'), { username: 'vic' });
  ok('login: #setAuthToken reaches the v14 client; whoami reads the token');

  s.on('clientProc', (d, res) => res(null, { got: d }));
  assert.deepEqual(await emit(s, 'invokeBack', { procedure: 'clientProc', data: 5 }), { got: 5 });
  ok('invokeBack: a server invoke is answered by the v14 client');

  await sleep(3000);
  assert.equal(s.state, 'open');
  ok('#1 pings keep the v14 client (pingTimeout 2000) open for 3 s');

  const dis = once(s, 'disconnect', 2000);
  await emit(s, 'disconnectMe', { code: 4444, reason: 'v1 drop' });
  const [code, reason] = await dis;
  assert.equal(code, 4444);
  assert.equal(reason, 'v1 drop');
  ok('disconnectMe closes the v14 client with code 4444 and its reason');

  // Not negotiated: a v14 client on a v2 worker gets "" pings it does not answer.
  const w = create(v2port);
  await once(w, 'connect', 3000);
  const [c2] = await once(w, 'disconnect', 5000);
  assert.ok(c2 === 4000 || c2 === 4001, `close code ${c2}`);
  ok(`a v14 client on a v2 worker is dropped after pingTimeout (close ${c2})`);
}

main().then(() => process.exit(0), (e) => { console.error('FAILED', e); process.exit(1); });
