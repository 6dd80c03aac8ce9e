// Drives a RESP server (sc-broker or redis-server) with the two common Node clients, each in
// both protocols: ioredis 6 and node-redis 6 open with HELLO 3 (RESP3) by default, and with
// `protocol: 2` / `RESP: 2` speak RESP2 (plain CLIENT SETNAME, no HELLO).
// Usage: node node_clients.js PORT.  Prints one "ok N - ..." line per check; exits 1 at the
// first failure.
'use strict';
const assert = require('assert/strict');
const Redis = require('ioredis');
const { createClient } = require('redis');

const port = Number(process.argv[2] || 6380);
let n = 0;
const ok = (what) => console.log(`ok ${++n} - ${what}`);

async function withIoredis(protocol) {
  const opts = { port, host: '127.0.0.1', connectionName: 'ioredis-test', lazyConnect: true,
                 maxRetriesPerRequest: 1 };
  if (protocol) opts.protocol = protocol;
  const ok = (what) => console.log(`ok ${++n} - ioredis RESP${protocol || '3 (default)'}: ${what}`);
  const r = new Redis(opts);
  await r.connect();
  assert.equal(await r.set('io:k', 'v1'), 'OK');
  assert.equal(await r.get('io:k'), 'v1');
  ok('SET/GET');
  assert.equal(await r.client('GETNAME'), 'ioredis-test');
  ok('connectionName set in the handshake');
  assert.match(String(await r.client('INFO')), new RegExp(` resp=${protocol || 3}\n`));
  ok(`CLIENT INFO shows resp=${protocol || 3}`);
  await r.hset('io:h', { user: 'u1', ip: '10.0.0.1', agent: 'node', n: '3' });
  assert.deepEqual(await r.hgetall('io:h'), { user: 'u1', ip: '10.0.0.1', agent: 'node', n: '3' });
  assert.equal(await r.expire('io:h', 100), 1);
  assert.ok((await r.ttl('io:h')) > 90);
  ok('HSET/HGETALL/EXPIRE/TTL');
  const res = await r.pipeline().set('io:p', '1').incr('io:p').incrby('io:p', 10).get('io:p')
      .exec();
  assert.deepEqual(res.map(([err, v]) => [err, v]), [[null, 'OK'], [null, 2], [null, 12],
                                                     [null, '12']]);
  ok('pipeline');
  const m = await r.multi().incr('io:m').incr('io:m').exec();
  assert.deepEqual(m, [[null, 1], [null, 2]]);
  ok('MULTI/EXEC');
  await assert.rejects(r.hget('io:k', 'f'), /WRONGTYPE/);
  ok('error reply becomes a rejection');

  const sub = new Redis(protocol ? { port, host: '127.0.0.1', protocol }
                                 : { port, host: '127.0.0.1' });
  const got = new Promise((resolve) => {
    sub.on('message', (ch, msg) => resolve([ch, msg]));
  });
  const gotp = new Promise((resolve) => {
    sub.on('pmessage', (pat, ch, msg) => resolve([pat, ch, msg]));
  });
  await sub.subscribe('io:chan');
  await sub.psubscribe('io:pat:*');
  assert.equal(await r.publish('io:chan', 'hello'), 1);
  assert.deepEqual(await got, ['io:chan', 'hello']);
  assert.equal(await r.publish('io:pat:1', 'x'), 1);
  assert.deepEqual(await gotp, ['io:pat:*', 'io:pat:1', 'x']);
  ok('SUBSCRIBE/PSUBSCRIBE receive PUBLISH');
  const keys = [];
  await new Promise((resolve, reject) => {
    const s = r.scanStream({ match: 'io:*', count: 2 });
    s.on('data', (ks) => keys.push(...ks));
    s.on('end', resolve);
    s.on('error', reject);
  });
  assert.deepEqual([...new Set(keys)].sort(), ['io:h', 'io:k', 'io:m', 'io:p']);
  ok('scanStream');
  await r.del('io:k', 'io:h', 'io:p', 'io:m');
  sub.disconnect();
  r.disconnect();
}

async function withNodeRedis(resp) {
  const opts = { socket: { port, host: '127.0.0.1', reconnectStrategy: false },
                 name: `node-redis-${resp || 3}` };
  if (resp) opts.RESP = resp;
  const c = createClient(opts);
  c.on('error', () => {});
  await c.connect();
  const tag = `node-redis RESP${resp || '3 (default)'}`;
  assert.equal(String(await c.sendCommand(['CLIENT', 'GETNAME'])), `node-redis-${resp || 3}`);
  assert.match(String(await c.sendCommand(['CLIENT', 'INFO'])), new RegExp(` resp=${resp || 3}\n`));
  ok(`${tag} connects (handshake incl. name)`);
  assert.equal(await c.set('nr:k', 'v'), 'OK');
  assert.equal(await c.get('nr:k'), 'v');
  assert.equal(await c.incr('nr:n'), 1);
  ok(`${tag} SET/GET/INCR`);
  await c.hSet('nr:h', { a: '1', b: '2' });
  const h = await c.hGetAll('nr:h');
  assert.deepEqual({ ...h }, { a: '1', b: '2' });
  ok(`${tag} HSET/HGETALL`);
  const [x, y] = await c.multi().incr('nr:n').get('nr:k').exec();
  assert.equal(x, 2);
  assert.equal(y, 'v');
  ok(`${tag} MULTI/EXEC`);
  const sub = c.duplicate();
  sub.on('error', () => {});
  await sub.connect();
  const got = new Promise((resolve) => sub.subscribe('nr:chan', (msg, ch) => resolve([ch, msg])));
  // Wait for the subscription to be active before publishing.
  for (let i = 0; i < 50; i++) {
    const num = await c.sendCommand(['PUBSUB', 'NUMSUB', 'nr:chan']);
    if (Number(num[1]) === 1) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(await c.publish('nr:chan', 'hi'), 1);
  assert.deepEqual(await got, ['nr:chan', 'hi']);
  ok(`${tag} SUBSCRIBE receives PUBLISH`);
  const info = await c.info('server');
  assert.match(info, /redis_version:/);
  ok(`${tag} INFO`);
  await c.del(['nr:k', 'nr:n', 'nr:h']);
  await sub.quit();
  await c.quit();
}

(async () => {
  await withIoredis(undefined);
  await withIoredis(2);
  await withNodeRedis(undefined);
  await withNodeRedis(2);
  console.log(`node clients: ${n} checks passed`);
  process.exit(0);
})().catch((e) => {
  console.error('FAILED:', e && e.stack ? e.stack : e);
  process.exit(1);
});
