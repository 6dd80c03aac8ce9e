// Pub/sub across workers through a broker, judged by the unchanged socketcluster-client 20 and
// raw ws frames.  Usage (tests/integration/worker_pubsub.sh starts the processes):
//   node worker_pubsub.js basic P1 P2 BROKER_PORT   two sc-conformance, --socket-channel-limit 3
//   node worker_pubsub.js nopublish P               sc-conformance --allow-client-publish no
//   node worker_pubsub.js middleware P              sc-example-middleware (pub/sub points)
//   node worker_pubsub.js restart P1 P2 BROKER_PID BROKER_BIN BROKER_ARGS...
//   node worker_pubsub.js spread P1 P2 BROKER_PORT_A BROKER_PORT_B
//   node worker_pubsub.js chat P1 P2                two sc-example-chat (sc::Exchange)
//   node worker_pubsub.js password P_GOOD P_BAD     a broker with requirepass; workers with the
//                                                   right and a wrong --broker-password
// Prints "ok N - ..."; exits 1 at the first failure.
'use strict';
const assert = require('assert/strict');
const { execFileSync, spawn } = require('child_process');
const WebSocket = require('ws');
const { ok, sleep, within, client, connected, publishUntil, run } = require('./sc_test');

const [mode, ...args] = process.argv.slice(2);
// Subscribes and collects what arrives in `got`.
async function sub(c, channel) {
  const ch = c.subscribe(channel);
  ch.got = [];
  (async () => { for await (const d of ch) ch.got.push(d); })();
  await within(ch.listener('subscribe').once(), 3000, `subscribe ${channel}`);
  return ch;
}
async function subFail(c, channel) {
  const ch = c.subscribe(channel);
  const { error } = await within(ch.listener('subscribeFail').once(), 3000, `subscribeFail ${channel}`);
  return error;
}
function redis(port, ...cmd) {
  return execFileSync('redis-cli', ['-p', String(port), '--no-raw', ...cmd], { encoding: 'utf8' }).trim();
}

// A raw connection after its handshake: frames in order, "" pings answered.
function raw(port) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socketcluster/`);
    const c = { ws, frames: [] };
    ws.on('message', (buf) => { const t = buf.toString(); if (t === '') ws.send(''); else c.frames.push(t); });
    ws.on('error', reject);
    ws.on('open', async () => {
      ws.send('{"event":"#handshake","data":{"authToken":null},"cid":1}');
      await c.next();
      resolve(c);
    });
    c.next = async (ms = 3000) => {
      const t0 = Date.now();
      while (!c.frames.length) {
        if (Date.now() - t0 > ms) throw new Error('no frame');
        await sleep(10);
      }
      return c.frames.shift();
    };
  });
}

async function basic(p1, p2, bport) {
  const a = await connected(client(p1));
  const b = await connected(client(p2));
  const an = await sub(a, 'news');
  const bn = await sub(b, 'news');
  await b.invokePublish('news', { x: 1 });
  b.transmitPublish('news', 'two');
  await sleep(300);
  assert.deepEqual(an.got, [{ x: 1 }, 'two']);
  assert.deepEqual(bn.got, [{ x: 1 }, 'two']);
  ok('A on worker 1 gets what B on worker 2 publishes (invoke and transmit), exactly once; B gets its own');

  const a2 = await connected(client(p1));
  const a2n = await sub(a2, 'news');
  assert.equal(redis(bport, 'pubsub', 'numsub', 'sc:ch:news'), '1) "sc:ch:news"\n2) (integer) 2');
  await a.invokePublish('news', 3);
  await sleep(200);
  assert.deepEqual([an.got.length, a2n.got.length, bn.got.length], [3, 1, 3]);
  ok('two sockets on worker 1 share one broker subscription (PUBSUB NUMSUB sc:ch:news = 2 for two workers)');

  await b.invoke('publishTo', { channel: 'news', data: { via: 'server' } });
  await sleep(200);
  assert.deepEqual(an.got[3], { via: 'server' });
  ok('publishTo publishes server-side from worker 2 and reaches worker 1');

  redis(bport, 'publish', 'sc:ch:news', '{"from":"redis-cli"}');
  redis(bport, 'publish', 'sc:ch:news', 'plain text');
  await sleep(200);
  assert.deepEqual(an.got.slice(4), [{ from: 'redis-cli' }, 'plain text']);
  ok('redis-cli publish sc:ch:news reaches the client (JSON as is, other text as a string)');

  an.unsubscribe();
  await sleep(100);
  await b.invokePublish('news', 'after');
  await sleep(200);
  assert.equal(an.got.length, 6);
  assert.equal(a2n.got.at(-1), 'after');
  a2.unsubscribe('news');
  await sleep(200);
  assert.equal(redis(bport, 'pubsub', 'numsub', 'sc:ch:news'), '1) "sc:ch:news"\n2) (integer) 1');
  ok('#unsubscribe stops delivery; the last local subscriber leaving unsubscribes worker 1 from the broker');

  const k = await sub(a, 'kicky');
  const kicked = a.listener('kickOut').once();
  await a.invoke('kickMe', { channel: 'kicky', message: 'bye' });
  const ev = await within(kicked, 2000, 'kickOut');
  assert.deepEqual([ev.channel, ev.message], ['kicky', 'bye']);
  await b.invokePublish('kicky', 'after kick');
  await sleep(200);
  assert.deepEqual(k.got, []);
  assert.equal(a.isSubscribed('kicky', true), false);
  ok('kickMe: #kickOut {channel, message} reaches the client and the socket no longer receives');

  const c = await connected(client(p1));
  for (const ch of ['l1', 'l2', 'l3']) await sub(c, ch);
  const err = await subFail(c, 'l4');
  assert.equal(err.name, 'BrokerError');
  assert.equal(err.message, `Failed to subscribe socket to the l4 channel - InvalidActionError: Socket ${c.id} tried to exceed the channel subscription limit of 3`);
  ok('--socket-channel-limit 3: the 4th channel fails with the v20 server\'s BrokerError');

  const e1 = await subFail(b, 'private/room');
  assert.deepEqual([e1.name, e1.message], ['ForbiddenError', 'Channel private/room requires authentication']);
  await assert.rejects(b.invokePublish('private/room', 1),
    (e) => e.name === 'ForbiddenError' && e.message === 'Channel private/room requires authentication');
  const authed = b.listener('authenticate').once();
  await b.invoke('login', { username: 'bob' });
  await within(authed, 2000, 'authenticate');
  const pr = await sub(b, 'private/room');
  await b.invokePublish('private/room', 'secret');
  await sleep(200);
  assert.deepEqual(pr.got, ['secret']);
  ok('private/ channels: ForbiddenError for guests (subscribe and publish), allowed after login');

  // Raw frames: the data is forwarded as the JSON text it arrived as; malformed requests.
  const r1 = await raw(p1);
  const r2 = await raw(p2);
  r1.ws.send('{"event":"#subscribe","data":{"channel":"raw"},"cid":2}');
  assert.equal(await r1.next(), '{"rid":2}');
  r2.ws.send('{"event":"#publish","data":{"channel":"raw","data":{"n":1.50,"s":"\\u00e9","e":1E3}},"cid":2}');
  assert.equal(await r2.next(), '{"rid":2}');
  assert.equal(await r1.next(), '{"event":"#publish","data":{"channel":"raw","data":{"n":1.50,"s":"\\u00e9","e":1E3}}}');
  r2.ws.send('{"event":"#publish","data":{"channel":"raw"},"cid":3}');
  assert.equal(await r2.next(), '{"rid":3}');
  assert.equal(await r1.next(), '{"event":"#publish","data":{"channel":"raw"}}');
  ok('raw: the publication\'s data reaches the subscriber byte for byte (1.50, \\u00e9, 1E3; absent stays absent)');
  r1.ws.send('{"event":"#subscribe","data":"notanobject","cid":5}');
  assert.equal(await r1.next(), '{"rid":5,"error":{"message":"Subscribe channel name was malformatted","name":"InvalidActionError"}}');
  r1.ws.send('{"event":"#publish","data":{"nochannel":1},"cid":6}');
  assert.equal(await r1.next(), '{"rid":6,"error":{"message":"Publish channel name was malformatted","name":"InvalidActionError"}}');
  r1.ws.send('{"event":"#unsubscribe","data":"raw","cid":7}');
  assert.equal(await r1.next(), '{"rid":7}');
  r1.ws.send('{"event":"#unsubscribe","data":"raw"}');
  r1.ws.send('{"event":"#unsubscribe","data":"raw","cid":8}');
  assert.match(await r1.next(), /^\{"rid":8,"error":\{"message":"Failed to unsubscribe socket from the raw channel - InvalidActionError: Socket .* tried to unsubscribe from a channel which it is not subscribed to","name":"BrokerError"\}\}$/);
  r1.ws.send('{"event":"#subscribe","data":{"channel":"twice"},"cid":9}');
  r1.ws.send('{"event":"#subscribe","data":{"channel":"twice"},"cid":10}');
  assert.deepEqual([await r1.next(), await r1.next()], ['{"rid":9}', '{"rid":10}']);
  ok('raw: malformed #subscribe / #publish → InvalidActionError, #unsubscribe with a cid answered, unknown channel → BrokerError, subscribing twice answered twice');

  // Fan-out: one publication reaches 100 raw subscribers on worker 1, each once, identical.
  const fans = [];
  for (let i = 0; i < 100; i++) fans.push(await raw(p1));
  for (const f of fans) f.ws.send('{"event":"#subscribe","data":{"channel":"fan"},"cid":2}');
  for (const f of fans) assert.equal(await f.next(), '{"rid":2}');
  await b.invokePublish('fan', { big: 'x'.repeat(5000) });
  const want = JSON.stringify({ event: '#publish', data: { channel: 'fan', data: { big: 'x'.repeat(5000) } } });
  for (const f of fans) assert.equal(await f.next(), want);
  await sleep(200);
  assert.ok(fans.every((f) => f.frames.length === 0));
  fans.forEach((f) => f.ws.close());
  ok('fan-out: one 5 KB publication reaches 100 subscribers of one worker once each, byte-identical');

  // A closed socket's channels are released: worker 1 leaves the broker channel.
  r1.ws.close();
  c.disconnect();
  await sleep(300);
  assert.equal(redis(bport, 'pubsub', 'numsub', 'sc:ch:twice'), '1) "sc:ch:twice"\n2) (integer) 0');
  assert.equal(redis(bport, 'pubsub', 'numsub', 'sc:ch:l1'), '1) "sc:ch:l1"\n2) (integer) 0');
  ok('a socket that closes releases its channels (the broker subscription goes with the last one)');
}

async function nopublish(p) {
  const c = await connected(client(p));
  const ch = await sub(c, 'news');
  await assert.rejects(c.invokePublish('news', 1),
    (e) => e.name === 'InvalidActionError' && e.message === 'Client publish feature is disabled');
  c.transmitPublish('news', 2);
  await c.invoke('publishTo', { channel: 'news', data: 3 });
  await sleep(200);
  assert.deepEqual(ch.got, [3]);
  ok('--allow-client-publish no: client publish refused (InvalidActionError), server publish delivered');
}

async function middleware(p) {
  const c = await connected(client(p));
  const e1 = await subFail(c, 'closed');
  assert.deepEqual([e1.name, e1.message], ['ForbiddenError', 'channel closed is closed']);
  const e2 = await subFail(c, 'hidden');
  assert.deepEqual([e2.name, e2.message], ['SilentMiddlewareBlockedError', 'The subscribe AGAction was blocked by inbound middleware']);
  ok('Subscribe middleware: block(error) → subscribeFail with it; block() → SilentMiddlewareBlockedError');
  const ro = await sub(c, 'readonly');
  await assert.rejects(c.invokePublish('readonly', 1), (e) => e.name === 'ForbiddenError');
  c.transmitPublish('readonly', 2);
  const loud = await sub(c, 'loud');
  await c.invokePublish('loud', 'shout');
  await sleep(200);
  assert.deepEqual([ro.got, loud.got], [[], ['SHOUT']]);
  ok('PublishIn middleware: block → error (invoke) or dropped (transmit); allow(data) rewrites the publication');
  const cen = await sub(c, 'censored');
  const rw = await sub(c, 'rewritten');
  const d = await connected(client(p));
  const drw = await sub(d, 'rewritten');
  await c.invokePublish('censored', 'x');
  await c.invokePublish('rewritten', 'original');
  await sleep(200);
  assert.deepEqual([cen.got, rw.got, drw.got], [[], ['rewritten-by-outbound'], ['rewritten-by-outbound']]);
  ok('PublishOut middleware: blocked deliveries are not sent; allow(data) rewrites them per socket');
}

async function restart(p1, p2, bpid, ...cmd) {
  const a = await connected(client(p1));
  const b = await connected(client(p2));
  const an = await sub(a, 'news');
  await b.invokePublish('news', 'before');
  await sleep(200);
  assert.deepEqual(an.got, ['before']);
  process.kill(Number(bpid), 'SIGKILL');
  let err = null;
  for (let i = 0; i < 50 && !err; i++) {
    await sleep(100);
    try { await b.invokePublish('news', 'during'); } catch (e) { err = e; }
  }
  assert.ok(err, 'a publish failed while the broker was down');
  assert.equal(err.name, 'BrokerError');
  assert.match(err.message, /^Failed to publish to the news channel - /);
  ok(`broker killed: client publish fails with BrokerError ("${err.message}")`);
  const broker = spawn(cmd[0], cmd.slice(1), { stdio: 'ignore' });
  try {
    const got = await publishUntil((d) => b.invokePublish('news', d),
                                   () => an.got.some((d) => String(d).startsWith('after')));
    assert.ok(got, 'delivery resumed within 20 s');
    assert.ok(!an.got.includes('during'));
    ok('broker restarted: the workers reconnect, worker 1 resubscribes, delivery resumes (no reconnect of the client)');
  } finally {
    broker.kill('SIGTERM');
    await within(new Promise((r) => broker.on('exit', r)), 5000, 'broker exit');
  }
}

async function spread(p1, p2, ba, bb) {
  const a = await connected(client(p1));
  const b = await connected(client(p2));
  const names = Array.from({ length: 24 }, (_, i) => `spread-${i}`);
  const subs = [];
  for (const ch of names) subs.push(await sub(a, ch));
  for (const ch of names) await b.invokePublish(ch, ch);
  await sleep(300);
  assert.deepEqual(subs.map((s) => s.got), names.map((ch) => [ch]));
  const onA = redis(ba, 'pubsub', 'channels', 'sc:ch:spread-*').split('\n').filter((l) => l.includes('spread'));
  const onB = redis(bb, 'pubsub', 'channels', 'sc:ch:spread-*').split('\n').filter((l) => l.includes('spread'));
  assert.equal(onA.length + onB.length, names.length);
  assert.ok(onA.length > 0 && onB.length > 0, `both brokers hold channels (${onA.length} / ${onB.length})`);
  ok(`two brokers: ${names.length} channels spread ${onA.length} / ${onB.length}, every publication delivered once across workers`);
}

async function password(pgood, pbad) {
  const g = await connected(client(pgood));
  const ch = await sub(g, 'locked');
  await g.invokePublish('locked', 'in');
  await sleep(200);
  assert.deepEqual(ch.got, ['in']);
  const b = await connected(client(pbad));
  await assert.rejects(b.invokePublish('locked', 'x'),
    (e) => e.name === 'BrokerError' && /is unavailable$/.test(e.message));
  ok('a broker with a password: AUTH from SCLUSTER_BROKER_PASSWORD works; a wrong one leaves the broker unavailable (BrokerError)');
}

async function chat(p1, p2) {
  const a = await connected(client(p1));
  const b = await connected(client(p2));
  const room = await sub(a, 'room');
  b.transmit('say', { text: 'hello from worker 2' });
  for (let i = 0; i < 50 && room.got.length < 1; i++) await sleep(20);  // two workers: no order
  a.transmit('say', { text: 'and back' });
  await sleep(300);
  assert.deepEqual(room.got, [{ from: b.id, text: 'hello from worker 2' }, { from: a.id, text: 'and back' }]);
  assert.deepEqual(await b.invoke('history'), room.got);
  assert.deepEqual(await a.invoke('history'), room.got);
  await assert.rejects(a.invokePublish('room', 'forged'), (e) => e.name === 'ForbiddenError');
  ok('chat example: Exchange::publish from server code reaches clients of both workers; Exchange::subscribe handlers on both workers saw every message');
}

const modes = { basic, nopublish, middleware, restart, spread, password, chat };
run(modes[mode], ...args);
