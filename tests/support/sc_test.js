// What the node checkers of tests/support/worker_*.js share: TAP-style "ok N - ..." lines,
// bounded waits, socketcluster-client 20 sockets to 127.0.0.1, and the runner that turns a
// check's promise into the exit status (0 when it resolves, 1 at the first failure).
// Contract: every wait here ends (within() rejects at its deadline); run() exits the process.
'use strict';
const fs = require('fs');

let n = 0;
// One passed check: "ok N - what" on stdout.
const ok = (what) => console.log(`ok ${++n} - ${what}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// p, or a rejection naming `what` when p has not settled within ms.
const within = (p, ms, what) => Promise.race([p, sleep(ms).then(() => {
  throw new Error(`timeout: ${what} (nothing within ${ms} ms)`);
})]);
// The key of an --auth-key-file, as the server reads it (one trailing newline dropped).
const readKey = (path) => fs.readFileSync(path, 'utf8').replace(/\r?\n$/, '');

// Every socket client() made; run() disconnects them before it exits.
const clients = [];
// A socketcluster-client 20 socket to 127.0.0.1:port that does not reconnect unless opts say so.
function client(port, opts = {}) {
  const sc = require('socketcluster-client');
  const c = sc.create({ hostname: '127.0.0.1', port, autoReconnect: false, ackTimeout: 3000, ...opts });
  clients.push(c);
  return c;
}
// The status of c's next connect (isAuthenticated, authError, ...), within ms.
const connectStatus = (c, ms = 3000) => within(c.listener('connect').once(), ms, 'connect');
// c, once it has connected.
async function connected(c) { await connectStatus(c); return c; }

// After a broker restart: publish(`after ${i}`) every 200 ms until delivered() holds, at most 100
// times (about 20 s); publishes that fail while the workers reconnect are retried.  Returns
// whether delivery resumed.
async function publishUntil(publish, delivered) {
  for (let i = 0; i < 100; i++) {
    await sleep(100);
    try { await publish(`after ${i}`); } catch (e) { continue; }
    await sleep(100);
    if (delivered()) return true;
  }
  return false;
}

// Runs check(...args): exit 0 when it resolves (after disconnecting every client()), 1 with the
// error on stderr when it rejects.
function run(check, ...args) {
  Promise.resolve().then(() => check(...args)).then(() => {
    for (const c of clients) c.disconnect();
    process.exit(0);
  }, (e) => {
    console.error(`not ok ${n + 1} - ${e.stack || e}`);
    process.exit(1);
  });
}

module.exports = { ok, sleep, within, readKey, clients, client, connectStatus, connected,
                   publishUntil, run };
