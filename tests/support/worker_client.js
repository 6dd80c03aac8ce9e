// The unchanged npm socketcluster-client 20 (protocol v2) against sc-conformance.
// Usage: node worker_client.js PORT KEYFILE WORKER_PID.  The server runs with --auth-key-file KEYFILE,
// --ping-interval 500 --ping-timeout 2000 --ack-timeout 1000.  Prints "ok N - ..." per check; exits 1 at the first
// failure.
'use strict';
const assert = require('assert/strict');
const jwt = require('jsonwebtoken');  // the client package's own dependency (via ag-auth)
const sct = require('./sc_test');
const { ok, sleep } = sct;

const port = Number(process.argv[2]);
const key = sct.readKey(process.argv[3]);
const client = (opts) => sct.client(port, opts);
const connected = sct.connectStatus;  // resolves with the connect status
function memoryEngine(token) {
  const store = { token };
  return {
    store,
    saveToken: async (name, t) => { store.token = t; return t; },
    removeToken: async () => { const t = store.token; store.token = null; return t; },
    loadToken: async () => store.token,
  };
}

async function main() {
  const s = client();
  const status = await connected(s);
  assert.equal(typeof s.id, 'string');
  assert.equal(s.id.length, 20);
  assert.equal(status.isAuthenticated, false);
  assert.equal(status.pingTimeout, 2000);
  ok('connect: 20-character id, pingTimeout 2000 from --ping-timeout, not authenticated');

  const data = { a: 1, s: 'héllo ✓ 😀', n: null, arr: [1, 2.5, true], big: 12345678901234 };
  assert.deepEqual(await s.invoke('echo', data), data);
  assert.equal(await s.invoke('echo'), undefined);
  ok('invoke echo returns the data unchanged; absent data stays absent');

  await assert.rejects(s.invoke('error', { message: 'boom' }),
    (e) => e.name === 'ConformanceError' && e.message === 'boom');
  await assert.rejects(s.invoke('error'),
    (e) => e.name === 'ConformanceError' && e.message === 'Conformance error');
  ok('invoke error rejects with ConformanceError and data.message (or the default)');

  const pong = s.receiver('pong').once();
  s.transmit('ping', { n: 1 });
  assert.deepEqual(await Promise.race([pong, sleep(2000).then(() => 'timeout')]), { n: 1 });
  ok('transmit ping → the server transmits pong with the same data');

  await assert.rejects(s.invoke('login', {}), (e) => e.name === 'LoginError');
  const authed = s.listener('authenticate').once();
  await s.invoke('login', { username: 'alice' });
  await sct.within(authed, 2000, 'authenticate');
  assert.equal(s.authState, 'authenticated');
  assert.equal(s.authToken.username, 'alice');
  assert.equal(s.authToken.exp - s.authToken.iat, 86400);
  const signed = s.signedAuthToken;
  assert.equal(jwt.verify(signed, key).username, 'alice');
  assert.deepEqual(await s.invoke('whoami'), { username: 'alice' });
  ok('login sets a HS256 token (exp = iat + 86400, verifies with the key file); whoami reads it');

  s.disconnect();
  await sleep(50);
  s.connect();
  const st2 = await connected(s);
  assert.equal(st2.isAuthenticated, true);
  assert.equal(s.authState, 'authenticated');
  assert.deepEqual(await s.invoke('whoami'), { username: 'alice' });
  ok('reconnect with the stored token: isAuthenticated in the handshake, whoami still alice');

  s.procedure('clientProc').once().then((req) => req.end({ got: req.data }));
  assert.deepEqual(await s.invoke('invokeBack', { procedure: 'clientProc', data: 42 }), { got: 42 });
  s.procedure('clientFail').once().then((req) => {
    const e = new Error('nope'); e.name = 'ClientError'; req.error(e);
  });
  await assert.rejects(s.invoke('invokeBack', { procedure: 'clientFail', data: 1 }),
    (e) => e.name === 'ClientError' && e.message === 'nope');
  ok('invokeBack: the server invokes the client and relays its result and its error');

  s.procedure('clientSilent');  // a consumer that never answers
  await assert.rejects(s.invoke('invokeBack', { procedure: 'clientSilent', data: 1 }),
    (e) => e.name === 'TimeoutError');
  ok('invokeBack to a client procedure that never answers: the server\'s TimeoutError after --ack-timeout 1000');

  s.startBatching();
  const p1 = s.invoke('echo', 1), p2 = s.invoke('echo', 2);
  const pong2 = s.receiver('pong').once();
  s.transmit('ping', 3);
  s.flushBatch();
  s.stopBatching();
  assert.deepEqual([await p1, await p2, await pong2], [1, 2, 3]);
  ok('a batch (one JSON array frame) is answered packet by packet');

  await sleep(3000);
  assert.equal(s.state, 'open');
  assert.equal(await s.invoke('echo', 'still'), 'still');
  ok('server pings keep the client (pingTimeout 2000) open for 3 s');

  const dis = s.listener('disconnect').once();
  await s.invoke('disconnectMe', { code: 4321, reason: 'test drop' });
  const d = await Promise.race([dis, sleep(2000).then(() => null)]);
  assert.ok(d, 'no disconnect event');
  assert.equal(d.code, 4321);
  assert.equal(d.reason, 'test drop');
  ok('disconnectMe responds, then closes with code 4321 and reason "test drop"');

  // Tokens the client did not get from us: forged, expired, garbage.
  const now = Math.floor(Date.now() / 1000);
  const cases = [
    ['forged', jwt.sign({ username: 'mallory' }, 'wrong-key'), 'AuthTokenInvalidError', 'invalid signature'],
    ['expired', jwt.sign({ username: 'bob', exp: now - 10 }, key), 'AuthTokenExpiredError', 'jwt expired'],
    ['garbage', 'garbage.token.here', 'AuthTokenInvalidError', 'invalid token'],
  ];
  for (const [what, token, name, message] of cases) {
    const eng = memoryEngine(token);
    const c = client({ authEngine: eng });
    const removed = c.listener('removeAuthToken').once();
    const st = await connected(c);
    assert.equal(st.isAuthenticated, false, what);
    assert.equal(st.authError.name, name, what);
    assert.equal(st.authError.message, message, what);
    await sct.within(removed, 2000, `${what}: #removeAuthToken`);
    assert.equal(eng.store.token, null);
    assert.deepEqual(await c.invoke('whoami'), null);
    c.disconnect();
  }
  ok('forged, expired and garbage tokens: handshake authError with jsonwebtoken\'s message, #removeAuthToken, whoami null');

  const good = jwt.sign({ username: 'carol' }, key, { expiresIn: 100 });
  const c = client();
  await connected(c);
  await c.authenticate(good);
  assert.deepEqual(await c.invoke('whoami'), { username: 'carol' });
  await assert.rejects(c.authenticate('bad.token.here'), (e) => e.name === 'AuthTokenInvalidError');
  assert.deepEqual(await c.invoke('whoami'), null);
  c.disconnect();
  ok('#authenticate: a key-file token authenticates; a bad one rejects and deauthenticates');

  const short = client({ authEngine: memoryEngine(jwt.sign({ username: 'dave', exp: now + 2 }, key)) });
  const st = await connected(short);
  assert.equal(st.isAuthenticated, true);
  const gone = short.listener('deauthenticate').once();
  await sct.within(gone, 5000, 'token expiry');
  assert.deepEqual(await short.invoke('whoami'), null);
  short.disconnect();
  ok('a token expiring while connected is removed on the next pong (#removeAuthToken)');

  const x = client();
  await connected(x);
  await assert.rejects(x.invoke('nosuchproc', 1, { ackTimeout: 500 }), (e) => e.name === 'TimeoutError');
  x.disconnect();
  ok('an invoke nobody handles is never answered (client TimeoutError)');

  // Ping timeout as the client sees it: the worker is stopped (SIGSTOP), its pings stop, and the
  // client gives up after the handshake's pingTimeout with 4000; SIGCONT and it serves again.
  const wpid = Number(process.argv[4]);
  const p = client();
  await connected(p);
  const lost = p.listener('disconnect').once();
  const t0 = Date.now();
  process.kill(wpid, 'SIGSTOP');
  let d2;
  try {
    d2 = await Promise.race([lost, sleep(6000).then(() => null)]);
  } finally {
    process.kill(wpid, 'SIGCONT');
  }
  assert.ok(d2, 'the client never noticed the silent server');
  assert.equal(d2.code, 4000);
  const waited = Date.now() - t0;
  assert.ok(waited >= 1500 && waited < 5000, `closed after ${waited} ms`);
  const again = client();
  await connected(again);
  assert.equal(await again.invoke('echo', 'back'), 'back');
  again.disconnect();
  ok(`a silent (SIGSTOPped) worker: the client closes with 4000 after ${waited} ms (pingTimeout 2000); SIGCONT and it serves again`);
}

sct.run(main);
