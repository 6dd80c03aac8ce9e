// The unchanged npm socketcluster-client 20 and raw `ws` upgrades against build/bin/sc-worker
// (the stock app) and sc-example-auth, with /metrics read before and after: the counters move
// by what the traffic did.
// Usage: node worker_http.js traffic PORT      sc-worker with its default --origins *:*
//        node worker_http.js origins PORT      sc-worker --origins 'good.example:8000 *:9'
//        node worker_http.js auth PORT         sc-example-auth
// Prints "ok N - ..." per check; exits 1 at the first failure.
'use strict';
const assert = require('assert/strict');
const WebSocket = require('ws');
const sct = require('./sc_test');
const { ok, sleep, within } = sct;

const [mode, portArg] = process.argv.slice(2);
const port = Number(portArg);
const client = (opts) => sct.client(port, opts);
const connected = sct.connectStatus;  // resolves with the connect status

// /metrics as {name or name{labels}: number}.
async function metrics() {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const m = {};
  for (const line of (await r.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    m[line.slice(0, sp)] = Number(line.slice(sp + 1));
  }
  return m;
}
async function until(pred, what) {
  for (let i = 0; i < 50; i++) {
    const m = await metrics();
    if (pred(m)) return m;
    await sleep(100);
  }
  throw new Error(`metrics never showed ${what}: ${JSON.stringify(await metrics())}`);
}

async function traffic() {
  const m0 = await metrics();
  assert.equal(m0['sc_worker_sockets_open'], 0);
  assert.equal(Object.keys(m0).filter((k) => k.startsWith('sc_worker_closes_total')).length, 0);
  ok('/metrics before any socket: 0 open, no closes');

  const a = client(), b = client();
  const greeting = a.receiver('greet').once();
  await Promise.all([connected(a), connected(b)]);  // listening to both before either connects
  assert.equal(await within(greeting, 3000, 'greet'), 'hello world');
  ok('sc-worker transmits greet "hello world" on connect (the seed)');
  assert.equal(await a.invoke('greet', { name: 'rita' }), 'hello rita');
  assert.equal(await a.invoke('greet'), 'hello world');
  ok('invoke greet {name} → "hello <name>"');
  const r = await within(b.receiver('rand').once(), 3000, 'rand');
  assert.ok(Number.isInteger(r) && r >= 0 && r < 100, `rand ${r}`);
  ok(`transmit rand every second: ${r}`);

  const m1 = await metrics();
  assert.equal(m1['sc_worker_sockets_open'], 2);
  ok('sockets_open 2 with two clients connected');

  const chanA = a.subscribe('chat'), chanB = b.subscribe('chat');
  await within(Promise.all([chanA.listener('subscribe').once(), chanB.listener('subscribe').once()]), 3000, 'subscribe');
  const got = within(chanB.once(), 3000, 'chat message');
  await a.invokePublish('chat', { name: 'a', text: 'hi' });
  assert.deepEqual(await got, { name: 'a', text: 'hi' });
  ok('chat: a publication reaches the other subscriber');
  await assert.rejects(a.invokePublish('chat', { text: '' }), (e) => e.name === 'ChatError');
  ok('chat: an empty text is refused with ChatError');

  const m2 = await until((m) => m['sc_worker_publications_received_total'] >= m1['sc_worker_publications_received_total'] + 1, 'the publication received');
  assert.ok(m2['sc_worker_messages_in_total'] >= m1['sc_worker_messages_in_total'] + 4, 'messages in moved');  // 2 subscribes, publish x2
  assert.ok(m2['sc_worker_messages_out_total'] >= m1['sc_worker_messages_out_total'] + 5, 'messages out moved');  // answers + 2 deliveries
  assert.equal(m2['sc_worker_publications_sent_total'], m1['sc_worker_publications_sent_total'] + 1);
  ok(`messages in ${m1['sc_worker_messages_in_total']}→${m2['sc_worker_messages_in_total']}, out ${m1['sc_worker_messages_out_total']}→${m2['sc_worker_messages_out_total']}, one publication sent and received`);
  assert.equal(m2['sc_worker_outbound_bytes_queued'], 0);
  ok('outbound_bytes_queued 0 when the clients read everything');
  const broker = Object.keys(m2).find((k) => k.startsWith('sc_worker_broker_up{'));
  assert.ok(broker && m2[broker] === 1, 'broker up');
  ok(`${broker} 1`);

  a.disconnect(4321, 'bye');
  b.disconnect();
  const m3 = await until((m) => m['sc_worker_sockets_open'] === 0, '0 open');
  assert.equal(m3['sc_worker_closes_total{code="4321"}'], 1);
  assert.equal(m3['sc_worker_closes_total{code="1000"}'], 1);
  ok('closes counted by code: 4321 once, 1000 once; sockets_open back to 0');

  // A socket that vanishes without a close frame: 1006.
  const raw = new WebSocket(`ws://127.0.0.1:${port}/socketcluster/`);
  await within(new Promise((res, rej) => { raw.on('open', res); raw.on('error', rej); }), 3000, 'raw open');
  raw.terminate();
  await until((m) => m['sc_worker_closes_total{code="1006"}'] === 1, 'a 1006 close');
  ok('a connection dropped without a close frame counts as 1006');

  const h = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
  assert.equal(h.status, 'ok');
  assert.equal(h.sockets, 0);
  assert.equal(h.brokers.length, 1);
  assert.equal(h.brokers[0].up, true);
  ok(`/health: ${JSON.stringify(h)}`);
}

// Resolves with the upgrade's HTTP status (101 when it opened) and the refusal's body.
function upgrade(origin) {
  return within(new Promise((res) => {
    const opts = origin === undefined ? {} : { origin };
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socketcluster/`, opts);
    ws.on('open', () => { ws.terminate(); res({ status: 101 }); });
    ws.on('unexpected-response', (req, resp) => {
      let body = '';
      resp.on('data', (d) => { body += d; });
      resp.on('end', () => res({ status: resp.statusCode, body }));
    });
    ws.on('error', () => {});
  }), 3000, `upgrade with Origin ${origin}`);
}

async function origins() {
  const cases = [
    ['http://good.example:8000', 101], ['http://GOOD.example:8000', 101],
    ['http://good.example:8001', 403], ['http://evil.example:8000', 403],
    ['http://anyone.example:9', 101], ['https://evil.example', 403], [undefined, 403], ['null', 403],
  ];
  for (const [origin, want] of cases) {
    const r = await upgrade(origin);
    assert.equal(r.status, want, `Origin ${origin}`);
    if (want === 403) assert.match(r.body, /Failed to authorize socket handshake - Invalid origin: /);
  }
  ok('--origins "good.example:8000 *:9": host:port and *:port pass, others 403 (body names the origin), no Origin 403');
  const good = client({ wsOptions: { origin: 'http://good.example:8000' } });
  await connected(good);
  assert.equal(await good.invoke('greet'), 'hello world');
  good.disconnect();
  ok('socketcluster-client with an allowed Origin connects and invokes');
  const bad = client({ wsOptions: { origin: 'http://evil.example:8000' } });
  const err = await within(bad.listener('error').once(), 3000, 'error');
  assert.equal(bad.state, 'closed');
  bad.disconnect();
  ok(`socketcluster-client with a refused Origin does not connect (${err.error.name})`);
  const m = await metrics();
  assert.equal(m['sc_worker_origin_refused_total'], 6);
  ok('origin_refused_total counts the 6 refusals');
}

async function auth() {
  const s = client();
  await connected(s);
  await assert.rejects(s.invoke('login', { username: 'alice', password: 'x' }), (e) => e.name === 'LoginError');
  ok('login with a wrong password: LoginError');
  const denied = s.subscribe('private/alice');
  const fail = await within(denied.listener('subscribeFail').once(), 3000, 'subscribeFail');
  assert.equal(fail.error.name, 'ForbiddenError');
  ok('private/alice refused before login (ForbiddenError)');
  s.unsubscribe('private/alice');
  await s.invoke('login', { username: 'alice', password: 'wonderland' });
  assert.equal(s.authState, 'authenticated');
  assert.equal(s.authToken.username, 'alice');
  assert.equal(await s.invoke('whoami'), 'alice');
  ok('login alice: token {username: alice}, whoami alice');
  const mine = s.subscribe('private/alice');
  await within(mine.listener('subscribe').once(), 3000, 'subscribe');
  const got = within(mine.once(), 3000, 'private message');
  await s.invokePublish('private/alice', 'note to self');
  assert.equal(await got, 'note to self');
  ok('alice subscribes and publishes to private/alice');
  await assert.rejects(s.invokePublish('private/bob', 'hi bob'), (e) => e.name === 'ForbiddenError');
  const other = s.subscribe('private/bob');
  assert.equal((await within(other.listener('subscribeFail').once(), 3000, 'subscribeFail')).error.name, 'ForbiddenError');
  ok("alice may neither publish to nor subscribe to private/bob");
  await s.invoke('logout');
  assert.equal(await s.invoke('whoami'), null);
  ok('logout: whoami null');
  s.disconnect();
}

sct.run({ traffic, origins, auth }[mode]);
