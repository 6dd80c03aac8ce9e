// socketcluster-client 20 against build/bin/sc-example-echo: a per-socket procedure registered
// in on_connection, and on_disconnect seeing the client's close code and reason.
// Usage: node worker_echo.js PORT.  Prints "ok N - ..."; exits 1 on failure.
'use strict';
const assert = require('assert/strict');
const sct = require('./sc_test');
const { ok, sleep } = sct;

const port = Number(process.argv[2]);
const client = () => sct.client(port, { ackTimeout: 2000 });

async function main() {
  const a = client();
  await a.listener('connect').once();
  assert.equal(await a.invoke('myId'), a.id);
  assert.deepEqual(await a.invoke('echo', [1, 'two']), [1, 'two']);
  ok('on_connection registers a per-socket procedure: myId answers the id the client got');

  a.disconnect(4100, 'bye');
  const b = client();
  await b.listener('connect').once();
  let st;
  for (let i = 0; i < 20; i++) {
    st = await b.invoke('stats');
    if (st.disconnected === 1) break;
    await sleep(100);
  }
  assert.deepEqual(st, { connected: 2, disconnected: 1, lastCode: 4100, lastReason: 'bye' });
  assert.notEqual(await b.invoke('myId'), a.id);
  b.disconnect();
  ok('on_disconnect sees the client\'s close code 4100 and reason "bye"; ids differ per socket');
}

sct.run(main);
