// The unchanged npm socketcluster-client 20 against an app scaffolded by scripts/create-app.sh
// and built against the installed toolkit (tests/integration/install_app.sh).
// Usage: node install_app.js PORT [any-worker]
//   any-worker: through a balancer to several workers (the welcome's worker id may be any, and
//   the second socket of the session may reach another worker)
// Checks what the template's main.cpp promises: welcome, hello, the board channel with its
// middleware, posts, and the session note shared with a second socket of the same session.
// Prints "ok N - ..." per check; exits 1 at the first failure.
'use strict';
const assert = require('assert/strict');
const sct = require('./sc_test');
const { ok, sleep, within } = sct;

const port = Number(process.argv[2]);
const anyWorker = process.argv[3] === 'any-worker';
const client = (opts = {}) => sct.client(port, opts);

async function main() {
  const a = client();
  const welcome = within(a.receiver('welcome').once(), 3000, 'welcome');
  await within(a.listener('connect').once(), 3000, 'connect');
  const w = await welcome;
  if (anyWorker) assert.ok(Number.isInteger(w.worker)); else assert.equal(w.worker, 0);
  assert.match(w.session, /^[A-Za-z0-9_-]{22,64}$/);
  ok(`connected; transmit welcome ${JSON.stringify(w)}`);

  assert.equal(await a.invoke('hello', { name: 'installer' }), 'hello installer');
  assert.equal(await a.invoke('hello'), 'hello world');
  ok('invoke hello answers "hello <name>" and "hello world"');

  const board = a.subscribe('board');
  await within(board.listener('subscribe').once(), 3000, 'subscribe board');
  const got = within(board.once(), 3000, 'board publication');
  await a.invokePublish('board', { text: 'first post' });
  assert.deepEqual(await got, { text: 'first post' });
  ok('channel board: a publication comes back through the broker');
  await assert.rejects(a.invokePublish('board', { text: '' }), (e) => e.name === 'BoardError');
  ok('the PublishIn middleware refuses an empty post with BoardError');
  for (let i = 0; i < 20 && (await a.invoke('posts')) < 1; i++) await sleep(50);
  assert.equal(await a.invoke('posts'), 1);
  ok('invoke posts: the server-side subscription saw the one accepted post');

  // A second socket of the same session (the sid query parameter, as a tab's cookie would).
  const b = client({ query: { sid: w.session } });
  const welcomeB = within(b.receiver('welcome').once(), 3000, 'welcome b');
  await within(b.listener('connect').once(), 3000, 'connect b');
  assert.equal((await welcomeB).session, w.session);
  assert.equal(await b.invoke('getNote'), null);
  const noteB = within(b.receiver('note').once(), 3000, 'note on b');
  await a.invoke('setNote', { note: 'remember me' });
  assert.equal(await noteB, 'remember me');
  assert.equal(await b.invoke('getNote'), 'remember me');
  ok('session: setNote on one socket reaches the other socket of the session (transmit note, getNote)');
  const c = client();
  await within(c.listener('connect').once(), 3000, 'connect c');
  assert.equal(await c.invoke('getNote'), null);
  ok('another session has no note');
  await assert.rejects(a.invoke('setNote', { note: 42 }), (e) => e.name === 'NoteError');
  ok('setNote with a non-string note: NoteError');
}

sct.run(main);
