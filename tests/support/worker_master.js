// The master of `--workers N` judged by the unchanged npm socketcluster-client 20 against
// sc-conformance (tests/integration/worker_master.sh starts the processes).
//   node worker_master.js crash P0 P1 LOG            kill -9 worker 0 under traffic
//   node worker_master.js loop P0 LOG                a crash loop backs off
//   node worker_master.js rolling P0 P1 LOG MPID     SIGUSR2 replaces every worker, one by one
//   node worker_master.js term P0 P1 MPID            SIGTERM: every client gets 1001
//   node worker_master.js reuseport P LOG            two workers share one port
//   node worker_master.js rolling-shared P LOG MPID  SIGUSR2 with --reuseport
//   node worker_master.js broker P0 P1 BPID BIN ARGS... the broker restarted under subscribers
// LOG is the master's log: the master writes "worker I (pid N) listening on port P" there.
// Prints "ok N - ..."; exits 1 at the first failure.
'use strict';
const assert = require('assert/strict');
const fs = require('fs');
const { spawn } = require('child_process');
const sct = require('./sc_test');
const { ok, sleep, within, connected, publishUntil } = sct;

const [mode, ...args] = process.argv.slice(2);
// Clients reconnect fast (the client's default waits 10-20 s before its first retry).
function client(port, opts = {}) {
  const c = sct.client(port, {
    autoReconnect: true, ackTimeout: 2000,
    autoReconnectOptions: { initialDelay: 50, randomness: 50, multiplier: 1, maxDelay: 100 }, ...opts,
  });
  c.closes = [];
  (async () => { for await (const e of c.listener('close')) c.closes.push(e.code); })();
  return c;
}
// {id, pid} of the worker serving c.
const served = (c) => c.invoke('worker');

// "worker I (pid N) listening" lines of the master's log, in order: [{id, pid, t}] (t: when
// this process first saw the line).
const seen = new Map();
function listening(log) {
  const out = [];
  const re = /master: worker (\d+) \(pid (\d+)\) listening on port (\d+)/g;
  for (const m of fs.readFileSync(log, 'utf8').matchAll(re)) {
    const key = `${m[1]}/${m[2]}`;
    if (!seen.has(key)) seen.set(key, Date.now());
    out.push({ id: Number(m[1]), pid: Number(m[2]), port: Number(m[3]), t: seen.get(key) });
  }
  return out;
}
const pidOf = (log, id) => listening(log).filter((l) => l.id === id).pop()?.pid;
// Waits until worker `id` listens with a pid other than `old`; returns {pid, ms}.
async function newPid(log, id, old, limitMs) {
  const t0 = Date.now();
  for (;;) {
    const pid = pidOf(log, id);
    if (pid && pid !== old) return { pid, ms: Date.now() - t0 };
    if (Date.now() - t0 > limitMs) throw new Error(`worker ${id} not back within ${limitMs} ms`);
    await sleep(10);
  }
}
// Invokes echo on c every 20 ms until stopped; counts successes and failures.
function traffic(c) {
  const t = { okCount: 0, errors: 0, stop: false };
  t.done = (async () => {
    for (let i = 0; !t.stop; i++) {
      try {
        assert.equal(await c.invoke('echo', i), i);
        t.okCount++;
      } catch (e) {
        t.errors++;
      }
      await sleep(20);
    }
  })();
  return t;
}

async function crash(p0, p1, log) {
  const a = await connected(client(p0));
  const b = await connected(client(p0));
  const c = await connected(client(p1));
  assert.deepEqual([(await served(a)).id, (await served(c)).id], [0, 1]);
  ok('worker 0 serves port P, worker 1 port P+1 (Worker::id() through the "worker" procedure)');
  const old0 = pidOf(log, 0);
  const old1 = pidOf(log, 1);
  assert.equal((await served(a)).pid, old0);
  const ta = traffic(a), tb = traffic(b), tc = traffic(c);
  await sleep(300);
  const reconnectA = a.listener('connect').once();
  const reconnectB = b.listener('connect').once();
  process.kill(old0, 'SIGKILL');
  const back = await newPid(log, 0, old0, 1000);
  ok(`kill -9 worker 0 under traffic: a new pid (${back.pid}) listens after ${back.ms} ms (< 1 s)`);
  await within(Promise.all([reconnectA, reconnectB]), 3000, 'reconnect');
  const cErrors = tc.errors, aOk = ta.okCount, bOk = tb.okCount;
  await sleep(300);
  assert.ok(ta.okCount > aOk && tb.okCount > bOk, 'traffic resumed on the new worker');
  assert.equal((await served(a)).pid, back.pid);
  ok('its clients reconnected (autoReconnect) and their invokes work again on the new pid');
  ta.stop = tb.stop = tc.stop = true;
  await Promise.all([ta.done, tb.done, tc.done]);
  assert.equal(tc.errors, 0);
  assert.equal(cErrors, 0);
  assert.deepEqual(c.closes, []);
  assert.equal(pidOf(log, 1), old1);
  ok(`worker 1's client was not disturbed (${tc.okCount} invokes, no error, no close)`);
  // Pub/sub between the new worker 0 and worker 1 still works.
  const ch = c.subscribe('after-crash');
  await within(ch.listener('subscribe').once(), 3000, 'subscribe');
  const got = ch.once();
  await a.invokePublish('after-crash', 'hello');
  assert.equal(await within(got, 3000, 'publication'), 'hello');
  ok('a publication from a client of the new worker 0 reaches worker 1\'s subscriber');
}

async function loop(p0, log) {
  // Kill the worker as soon as each new one listens: it never stays up for 5 s, so each
  // respawn waits longer (0, 0.25, 0.5, 1, 2 s).
  const gaps = [];
  let pid = pidOf(log, 0);
  for (let i = 0; i < 5; i++) {
    process.kill(pid, 'SIGKILL');
    const back = await newPid(log, 0, pid, 10000);
    gaps.push(back.ms);
    pid = back.pid;
  }
  const want = [0, 250, 500, 1000, 2000];
  for (let i = 0; i < want.length; i++) {
    assert.ok(gaps[i] >= want[i] && gaps[i] < want[i] + 900, `respawn ${i + 1} after ${gaps[i]} ms, want ${want[i]}`);
  }
  ok(`a crash-looping worker is respawned with back-off: ${gaps.join(', ')} ms (schedule 0, 250, 500, 1000, 2000)`);
  const c = await connected(client(p0));
  assert.equal((await served(c)).pid, pid);
  ok('after the loop the worker serves again');
}

async function rolling(p0, p1, log, mpid) {
  const a = await connected(client(p0));
  const c = await connected(client(p1));
  const old = [pidOf(log, 0), pidOf(log, 1)];
  const start = listening(log).length;
  const reA = a.listener('connect').once();
  const reC = c.listener('connect').once();
  process.kill(Number(mpid), 'SIGUSR2');
  const n0 = await newPid(log, 0, old[0], 10000);
  const n1 = await newPid(log, 1, old[1], 10000);
  const order = listening(log).slice(start).map((l) => l.id);
  assert.deepEqual(order, [0, 1]);
  const text = fs.readFileSync(log, 'utf8');
  const listened0 = text.indexOf(`worker 0 (pid ${n0.pid}) listening`);
  const rolling1 = text.indexOf(`rolling restart of worker 1 (pid ${old[1]})`);
  assert.ok(listened0 >= 0 && rolling1 > listened0, 'worker 1 was restarted only after the new worker 0 listened');
  ok(`SIGUSR2: worker 0 ${old[0]} → ${n0.pid}, then worker 1 ${old[1]} → ${n1.pid}, the next only once the new one listened`);
  await within(Promise.all([reA, reC]), 5000, 'reconnect');
  assert.equal(a.closes[0], 1001);
  assert.equal(c.closes[0], 1001);
  assert.equal((await served(a)).pid, n0.pid);
  assert.equal((await served(c)).pid, n1.pid);
  ok('every client was closed with 1001 by its old worker, reconnected and is served by the new one');
}

async function term(p0, p1, mpid) {
  const cs = [];
  for (const p of [p0, p0, p1, p1]) cs.push(await connected(client(p)));
  const closes = cs.map((c) => c.listener('close').once());
  process.kill(Number(mpid), 'SIGTERM');
  const got = await within(Promise.all(closes), 5000, 'close');
  assert.deepEqual(got.map((e) => e.code), [1001, 1001, 1001, 1001]);
  for (const c of cs) c.disconnect();
  ok('SIGTERM to the master: the clients of both workers are closed with 1001 (going away)');
}

async function reuseport(p, log) {
  const ls = listening(log);
  assert.deepEqual(ls.map((l) => [l.id, l.port]).sort(), [[0, Number(p)], [1, Number(p)]]);
  ok('--reuseport: both workers listen on the same port');
  const ids = new Set();
  for (let i = 0; i < 40 && ids.size < 2; i++) {
    const c = await connected(client(p));
    ids.add((await served(c)).id);
    c.disconnect();
  }
  assert.deepEqual([...ids].sort(), [0, 1]);
  ok('connections to that one port are spread by the kernel over both workers');
}

async function rollingShared(p, log, mpid) {
  const cs = [];
  for (let i = 0; i < 6; i++) cs.push(await connected(client(p)));
  const old = [pidOf(log, 0), pidOf(log, 1)];
  process.kill(Number(mpid), 'SIGUSR2');
  const n0 = await newPid(log, 0, old[0], 10000);
  const n1 = await newPid(log, 1, old[1], 10000);
  // The old workers drain after their replacements listen: wait for both to be gone.
  const gone = (pid) => new RegExp(`\\(pid ${pid}\\) exited with code 0 \\(rolling restart\\)`);
  for (let i = 0; i < 200 && !old.every((pid) => gone(pid).test(fs.readFileSync(log, 'utf8'))); i++) await sleep(50);
  const text = fs.readFileSync(log, 'utf8');
  const at = (re) => text.search(re);
  const up0 = at(new RegExp(`worker 0 \\(pid ${n0.pid}\\) listening`));
  const gone0 = at(new RegExp(`worker 0 \\(pid ${old[0]}\\) exited with code 0 \\(rolling restart\\)`));
  const roll1 = at(new RegExp(`rolling restart of worker 1 \\(pid ${old[1]}\\)`));
  assert.ok(up0 >= 0 && gone0 > up0 && roll1 > up0, 'order of the rolling restart');
  ok(`--reuseport SIGUSR2: the new worker 0 (${n0.pid}) listened before the old one (${old[0]}) left, then worker 1 ${old[1]} → ${n1.pid}`);
  await sleep(500);
  for (const c of cs) {
    for (let i = 0; i < 100 && c.state !== 'open'; i++) await sleep(50);
    assert.equal(c.state, 'open', 'reconnected within 5 s');
    // A reconnect can land in the accept queue of the old worker 1 as it closes its listener
    // (the kernel resets those: 1006), so only the first close must be 1001.
    assert.ok(c.closes.length >= 1 && c.closes[0] === 1001, `closes ${c.closes}`);
    assert.ok([n0.pid, n1.pid].includes((await served(c)).pid));
  }
  ok('every client on the shared port was closed with 1001, reconnected and is served by a new worker');
}

async function broker(p0, p1, bpid, ...cmd) {
  const a = await connected(client(p0));
  const b = await connected(client(p1));
  const pub = await connected(client(p1));
  const subs = [];
  for (const c of [a, b]) {
    const ch = c.subscribe('news');
    ch.got = [];
    (async () => { for await (const d of ch) ch.got.push(d); })();
    await within(ch.listener('subscribe').once(), 3000, 'subscribe');
    subs.push(ch);
  }
  await pub.invokePublish('news', 'before');
  await sleep(200);
  assert.deepEqual(subs.map((s) => s.got), [['before'], ['before']]);
  process.kill(Number(bpid), 'SIGKILL');
  await sleep(300);
  const restarted = spawn(cmd[0], cmd.slice(1), { stdio: 'ignore' });
  try {
    const done = await publishUntil((d) => pub.invokePublish('news', d),
                                    () => subs.every((s) => s.got.some((d) => String(d).startsWith('after'))));
    assert.ok(done, 'delivery resumed on both workers within 20 s');
    ok('broker killed and restarted under subscribers on two workers of a master: both resubscribe, delivery resumes');
  } finally {
    restarted.kill('SIGTERM');
    await within(new Promise((r) => restarted.on('exit', r)), 5000, 'broker exit');
  }
}

const modes = { crash, loop, rolling, 'rolling-shared': rollingShared, term, reuseport, broker };
sct.run(modes[mode], ...args);
