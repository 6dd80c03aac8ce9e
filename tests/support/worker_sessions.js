// Sessions across worker processes judged by the unchanged npm socketcluster-client 20 against
// sc-conformance (tests/integration/worker_sessions.sh starts the processes).
//   node worker_sessions.js cookie P                 Set-Cookie on the upgrade, exact name, bad ids
//   node worker_sessions.js share P1 P2 BPORT TIMEOUT LOG1 LOG2  tabs on two workers share one session
//   node worker_sessions.js destroy P1 P2 BPORT LOG1 LOG2         sessionDestroy
//   node worker_sessions.js shard P1 P2 B1 B2       two brokers: each session on one of them
//   node worker_sessions.js respawn P                a worker under a master killed (-9) and back
//   node worker_sessions.js example P1 P2           sc-example-sessions on two workers
// LOG1 and LOG2 are the workers' logs, where sc-conformance's on_session_destroy writes
// "session destroyed <sid>": it must appear once in the two logs together.
// "Tabs" share the session by sending the same Cookie header (wsOptions.headers) or the sid
// query parameter.  redis-cli on BPORT checks the hash and its TTL.
// Prints "ok N - ..."; exits 1 at the first failure.
'use strict';
const assert = require('assert/strict');
const { execFileSync } = require('child_process');
const fs = require('fs');
const WebSocket = require('ws');
const sct = require('./sc_test');
const { ok, sleep, within, clients } = sct;

const [mode, ...args] = process.argv.slice(2);
const SID = /^[A-Za-z0-9_-]{32}$/;

function tab(port, { cookie, sid } = {}) {
  const opts = {};
  if (cookie) opts.wsOptions = { headers: { Cookie: cookie } };
  if (sid) opts.query = { sid };
  const c = sct.client(port, opts);
  c.got = [];  // every transmitted event: [event, data]
  for (const ev of ['hello', 'seq', 'everyone', 'direct', 'sessiondestroy']) {
    (async () => { for await (const d of c.receiver(ev)) c.got.push([ev, d]); })();
  }
  return c;
}
async function connected(c) {
  await sct.connected(c);
  c.sid = await c.invoke('sessionId');
  return c;
}
const redis = (bport, ...a) => execFileSync('redis-cli', ['-p', bport, ...a], { encoding: 'utf8' }).trim();

// A raw upgrade; resolves with the response's Set-Cookie headers ([] when none).
function upgrade(port, headers, query = '') {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socketcluster/${query}`, [], { headers });
    ws.on('upgrade', (res) => resolve(res.headers['set-cookie'] || []));
    ws.on('open', () => ws.close());
    ws.on('error', reject);
  });
}

// Waits until "session destroyed <sid>" appeared in the logs, then a little more; returns the
// number of such lines in all of them.
async function destroyedCount(sid, logs, waitMs = 3000) {
  const count = () => logs.map((l) => fs.readFileSync(l, 'utf8').split('\n')
    .filter((line) => line.endsWith(`session destroyed ${sid}`)).length).reduce((x, y) => x + y, 0);
  for (const t0 = Date.now(); count() === 0 && Date.now() - t0 < waitMs;) await sleep(50);
  await sleep(500);  // a second run would come within this
  return count();
}

async function cookie(port) {
  let sc1 = await upgrade(port, {});
  assert.equal(sc1.length, 1, 'one Set-Cookie on a first upgrade');
  const m = /^sid=([A-Za-z0-9_-]+); Path=\/; HttpOnly; SameSite=Lax$/.exec(sc1[0]);
  assert.ok(m, `Set-Cookie ${sc1[0]}`);
  assert.match(m[1], SID);
  const good = m[1];
  ok('a first upgrade gets Set-Cookie sid=<32 URL-safe chars>; Path=/; HttpOnly; SameSite=Lax');
  assert.deepEqual(await upgrade(port, { Cookie: `sid=${good}` }), []);
  assert.deepEqual(await upgrade(port, { Cookie: `a=1; sid=${good}; b=2` }), []);
  ok('an upgrade carrying a well-formed sid cookie gets no Set-Cookie');
  for (const bad of [`xsid=${good}`, `sidx=${good}`, 'sid=short', `sid=${good.slice(0, 20)}:*`,
    `sid=${good}%0d%0aX`, 'sid=', `sid=${'a'.repeat(65)}`]) {
    const got = await upgrade(port, { Cookie: bad });
    assert.equal(got.length, 1, `Set-Cookie for ${bad}`);
    const id = /^sid=([^;]*);/.exec(got[0])[1];
    assert.match(id, SID);
    assert.notEqual(id, good);
  }
  ok('xsid=, sidx=, malformed and over-long ids are replaced by a new id');
  assert.deepEqual(await upgrade(port, {}, `?sid=${good}`), []);
  const fresh = await upgrade(port, {}, '?sid=bad');
  assert.equal(fresh.length, 1);
  assert.notEqual(/^sid=([^;]*);/.exec(fresh[0])[1], good);
  ok('a well-formed ?sid= is used without Set-Cookie (no fixation through links); a bad one gets a new cookie');
  // A client without a cookie jar names its session with ?sid=.
  const c = await connected(tab(port, { sid: good }));
  assert.equal(c.sid, good);
  const d = await connected(tab(port, { sid: 'bad:id*bad:id*bad:id*bad' }));
  assert.match(d.sid, SID);
  assert.notEqual(d.sid, 'bad:id*bad:id*bad:id*bad');
  const long = await connected(tab(port, { sid: good.repeat(3) }));
  assert.notEqual(long.sid, good.repeat(3));
  assert.notEqual(long.sid.slice(0, 32), good);
  const e = await connected(tab(port, { cookie: `sid=${good}` }));
  assert.equal(e.sid, good);
  ok('the sid query parameter and the cookie name the session; a malformed one is replaced');
}

async function share(p1, p2, bport, timeout, log1, log2) {
  timeout = Number(timeout);
  const a = await connected(tab(p1));
  assert.match(a.sid, SID);
  const b = await connected(tab(p2, { cookie: `theme=dark; sid=${a.sid}` }));
  const c = await connected(tab(p2, { sid: a.sid }));
  const d = await connected(tab(p1));  // another session, on a's worker
  const e = await connected(tab(p2));  // another session, only on worker 2
  assert.equal(b.sid, a.sid);
  assert.equal(c.sid, a.sid);
  assert.notEqual(d.sid, a.sid);
  assert.notEqual(e.sid, a.sid);
  assert.notEqual(e.sid, d.sid);
  assert.notEqual((await a.invoke('worker')).pid, (await b.invoke('worker')).pid);
  ok('two tabs on two workers (cookie, query parameter) share one sid; other tabs get their own');

  await a.invoke('sessionSet', { name: 'color', value: { r: 1, tags: ['x', 'y'] } });
  assert.deepEqual(await b.invoke('sessionGet', { name: 'color' }), { r: 1, tags: ['x', 'y'] });
  await b.invoke('sessionSet', { name: 'count', value: 5 });
  assert.equal(await a.invoke('sessionGet', { name: 'count' }), 5);
  assert.equal(await c.invoke('sessionGet', { name: 'count' }), 5);
  assert.equal(await d.invoke('sessionGet', { name: 'color' }), null);
  assert.equal(await a.invoke('sessionGet', { name: 'nothing' }), null);
  ok("each tab sees the other worker's session.set at once; another session reads null");

  const h = redis(bport, 'hgetall', `sc:sess:${a.sid}`).split('\n');
  const fields = {};
  for (let i = 0; i + 1 < h.length; i += 2) fields[h[i]] = h[i + 1];
  assert.deepEqual(JSON.parse(fields.color), { r: 1, tags: ['x', 'y'] });
  assert.equal(fields.count, '5');
  redis(bport, 'hset', `sc:sess:${a.sid}`, 'raw', 'not json');
  assert.equal(await b.invoke('sessionGet', { name: 'raw' }), 'not json');
  ok('redis-cli hgetall sc:sess:<sid> shows the fields as JSON text; a field set by redis-cli as plain text reads as a string');

  for (let i = 0; i < 50; i++) a.invoke('sessionEmit', { event: 'seq', data: i });
  await a.invoke('sessionEmit', { event: 'hello', data: { from: 'a' } });
  await sleep(300);
  for (const t of [a, b, c]) {
    const seq = t.got.filter(([ev]) => ev === 'seq').map(([, v]) => v);
    assert.deepEqual(seq, [...Array(50).keys()], 'every session emit, in order');
    assert.deepEqual(t.got.filter(([ev]) => ev === 'hello'), [['hello', { from: 'a' }]]);
  }
  assert.deepEqual(d.got, []);
  assert.deepEqual(e.got, []);
  ok('session.emit reaches every tab of the session on both workers, in order, once; not others');

  // A tab joining on a worker that held no socket of its session: once it saw `connect`, an
  // emit from the other worker reaches it (the handshake was answered after the worker's
  // SUBSCRIBE to sc:sess:<sid> was confirmed).
  for (let i = 0; i < 10; i++) {
    const y1 = await connected(tab(p1));
    const y2 = await within(tab(p2, { cookie: `sid=${y1.sid}` }).listener('connect').once().then(() => clients[clients.length - 1]), 3000, 'connect');
    await y1.invoke('sessionEmit', { event: 'hello', data: i });
    await sleep(100);
    assert.deepEqual(y2.got, [['hello', i]], `round ${i}`);
    y1.disconnect();
    y2.disconnect();
  }
  ok('a tab that just connected on a worker new to its session gets the next session emit (10 rounds)');

  // Worker 1 holds no socket of e's session.
  await d.invoke('globalEmit', { sid: e.sid, event: 'direct', data: 'to-e' });
  await sleep(200);
  assert.deepEqual(e.got, [['direct', 'to-e']]);
  for (const t of [a, b, c, d]) assert.equal(t.got.filter(([ev]) => ev === 'direct').length, 0);
  ok('global.emit(sid) from a worker without a socket of that session reaches it');

  await b.invoke('broadcast', { event: 'everyone', data: [1, 2] });
  await sleep(300);
  for (const t of [a, b, c, d, e])
    assert.deepEqual(t.got.filter(([ev]) => ev === 'everyone'), [['everyone', [1, 2]]]);
  ok('broadcast reaches every socket on every worker exactly once');

  // TTL: refreshed while attached, runs from the last socket's leaving.
  const key = `sc:sess:${a.sid}`;
  await sleep((timeout + 1) * 1000);
  let ttl = Number(redis(bport, 'ttl', key));
  assert.ok(ttl > 0 && ttl <= timeout, `ttl ${ttl} while attached after ${timeout + 1} s`);
  // The refresh every timeout/4 keeps PTTL above 3/4 of the timeout (less a little slack for
  // a loaded machine) at every moment while tabs are attached.
  const floor = timeout * 750 - 250;
  for (let i = 0; i < 10; i++) {
    const pttl = Number(redis(bport, 'pttl', key));
    assert.ok(pttl >= floor && pttl <= timeout * 1000, `pttl ${pttl} ms while attached (floor ${floor})`);
    await sleep(timeout * 50);
  }
  assert.equal(await b.invoke('sessionGet', { name: 'count' }), 5);
  ok(`data kept past --session-timeout ${timeout} s while tabs are attached (ttl ${ttl}, pttl never below 3/4 of it)`);
  a.disconnect();
  b.disconnect();
  await sleep(500);
  assert.ok(Number(redis(bport, 'ttl', key)) > 0, 'still kept: tab c is attached');
  c.disconnect();
  await sleep(100);
  // The last tab's leaving restarts the timeout: PTTL is back near the full timeout, not
  // wherever the last periodic refresh left it (which can be 3/4 of it).
  const pttl = Number(redis(bport, 'pttl', key));
  assert.ok(pttl >= timeout * 1000 - 300 && pttl <= timeout * 1000,
    `pttl ${pttl} ms 100 ms after the last tab left (the timeout restarts then)`);
  ok(`the timeout restarts when the last tab leaves (pttl ${pttl} ms of ${timeout * 1000})`);
  await sleep((timeout + 1.5) * 1000);
  assert.equal(redis(bport, 'exists', key), '0');
  ok('after the last tab left the data expires --session-timeout later');
  assert.equal(await destroyedCount(a.sid, [log1, log2]), 1);
  ok('on_session_destroy ran once in the cluster for the expired session (not once per worker)');
  const f = await connected(tab(p1, { sid: a.sid }));
  assert.equal(await f.invoke('sessionGet', { name: 'count' }), null);
  ok('a tab coming back after the expiry finds an empty session');
}

async function destroy(p1, p2, bport, log1, log2) {
  const g = await connected(tab(p1));
  const h = await connected(tab(p2, { cookie: `sid=${g.sid}` }));
  const other = await connected(tab(p2));
  await g.invoke('sessionSet', { name: 'x', value: 'y' });
  await other.invoke('sessionSet', { name: 'x', value: 'kept' });
  assert.equal(await h.invoke('sessionGet', { name: 'x' }), 'y');
  await g.invoke('sessionDestroy');
  assert.equal(redis(bport, 'exists', `sc:sess:${g.sid}`), '0');
  assert.equal(await h.invoke('sessionGet', { name: 'x' }), null);
  assert.equal(await other.invoke('sessionGet', { name: 'x' }), 'kept');
  ok('sessionDestroy removes the hash: the other tab reads null, another session is untouched');
  await sleep(200);
  for (const t of [g, h]) assert.deepEqual(t.got.filter(([ev]) => ev === 'sessiondestroy'), [['sessiondestroy', g.sid]]);
  assert.deepEqual(other.got, []);
  ok('every attached tab of the session (both workers) gets sessiondestroy once');
  assert.equal(await destroyedCount(g.sid, [log1, log2]), 1);
  ok('on_session_destroy ran once in the cluster for the destroyed session');
}

async function shard(p1, p2, b1, b2) {
  const tabs = [];
  for (let i = 0; i < 20; i++) {
    const a = await connected(tab(p1));
    const b = await connected(tab(p2, { cookie: `sid=${a.sid}` }));
    await a.invoke('sessionSet', { name: 'i', value: i });
    tabs.push([a, b]);
  }
  const on = { [b1]: 0, [b2]: 0 };
  for (const [i, [a, b]] of tabs.entries()) {
    assert.equal(await b.invoke('sessionGet', { name: 'i' }), i);
    const where = [b1, b2].filter((bp) => redis(bp, 'exists', `sc:sess:${a.sid}`) === '1');
    assert.equal(where.length, 1, `session ${i} on exactly one broker`);
    on[where[0]]++;
    await b.invoke('sessionEmit', { event: 'hello', data: i });
  }
  assert.ok(on[b1] > 0 && on[b2] > 0, `both brokers hold sessions (${on[b1]}, ${on[b2]})`);
  await sleep(300);
  for (const [i, [a, b]] of tabs.entries())
    for (const t of [a, b]) assert.deepEqual(t.got, [['hello', i]]);
  ok(`20 sessions sharded over two brokers (${on[b1]} + ${on[b2]}): data and emits across workers`);
}

// Under a master: the worker holding the tab is SIGKILLed; the respawned worker gives the
// reconnected tab (same Cookie header) the same session and data.
async function respawn(port) {
  const a = tab(port);
  await connected(a);
  await a.invoke('sessionSet', { name: 'kept', value: 'yes' });
  const { pid } = await a.invoke('worker');
  const sid = a.sid;
  const b = sct.client(port, {
    autoReconnect: true, wsOptions: { headers: { Cookie: `sid=${sid}` } },
    autoReconnectOptions: { initialDelay: 50, randomness: 50, multiplier: 1, maxDelay: 100 },
  });
  await sct.connected(b);
  assert.equal(await b.invoke('sessionId'), sid);
  // The tab writes a counter into its session, one invoke at a time, while its worker dies.
  const t = { acked: -1, lost: [], stop: false };
  const writer = (async () => {
    for (let i = 0; !t.stop && i < 100000; i++) {
      try {
        await b.invoke('sessionSet', { name: 'n', value: i });
        t.acked = i;
      } catch (e) {
        t.lost.push(`${i}:${e.name}`);
      }
      await sleep(5);
    }
  })();
  await sleep(300);
  const before = t.acked;
  process.kill(pid, 'SIGKILL');
  await within(b.listener('close').once(), 3000, 'close');
  await within(b.listener('connect').once(), 5000, 'reconnect');
  await sleep(300);
  t.stop = true;
  await writer;
  assert.ok(t.acked > before, 'writes went on after the reconnect');
  assert.notEqual((await b.invoke('worker')).pid, pid);
  assert.equal(await b.invoke('sessionId'), sid);
  assert.equal(await b.invoke('sessionGet', { name: 'kept' }), 'yes');
  assert.equal(await b.invoke('sessionGet', { name: 'n' }), t.acked);
  // A write is either acknowledged (then the broker has it) or fails with BadConnectionError
  // in the client: the one in flight when the worker died, and those made while no worker
  // listened (each failed reconnect attempt aborts what the client buffered).  None vanishes.
  assert.ok(t.lost.every((l) => l.endsWith(':BadConnectionError')), `lost ${t.lost}`);
  assert.ok(t.lost.length >= 1 && t.lost.length <= 100, `lost ${t.lost.length}`);
  ok(`after kill -9 of its worker the tab reconnects to the respawned one with the same session and data; the last acknowledged write is there; ${t.lost.length} write(s) failed with BadConnectionError in the client (${t.lost.join(', ')}), none lost silently`);
}

async function example(p1, p2) {
  const sid = require('crypto').randomBytes(24).toString('base64url');
  const told = (c) => {
    c.visits = [];
    (async () => { for await (const d of c.receiver('visits')) c.visits.push(d); })();
    return c;
  };
  const a = told(tab(p1, { sid }));
  await sct.connected(a);
  for (let i = 0; i < 100 && a.visits.length < 1; i++) await sleep(20);
  assert.deepEqual(a.visits, [1]);
  assert.equal(await a.invoke('visits'), 1);
  const b = told(tab(p2, { sid }));
  await sct.connected(b);
  for (let i = 0; i < 100 && (a.visits.length < 2 || b.visits.length < 1); i++) await sleep(20);
  assert.deepEqual(a.visits, [1, 2]);
  assert.deepEqual(b.visits, [2]);
  assert.equal(await b.invoke('visits'), 2);
  await a.invoke('forget');
  assert.equal(await b.invoke('visits'), 0);
  ok('sc-example-sessions: a tab on each worker counts visits in one session, both told, forget');
}

sct.run({ cookie, example, shard, respawn, destroy, share }[mode], ...args);
