// Raw WebSocket frames (npm `ws`) against sc-conformance: what the server answers to bad
// input, with the close codes of sc-protocol.md §5/§11.  Usage: node worker_raw.js PORT KEYFILE.
// The server runs --handshake-timeout 800 --ping-interval 300 --ping-timeout 1000
// --max-payload 100000.  Prints "ok N - ..."; exits 1 at the first failure.
'use strict';
const assert = require('assert/strict');
const fs = require('fs');
const WebSocket = require('ws');
const jwt = require('jsonwebtoken');

const port = Number(process.argv[2]);
const key = fs.readFileSync(process.argv[3], 'utf8').replace(/\r?\n$/, '');
const url = `ws://127.0.0.1:${port}/socketcluster/`;
let n = 0;
const ok = (what) => console.log(`ok ${++n} - ${what}`);
const HS = '{"event":"#handshake","data":{"authToken":null},"cid":1}';

// A raw connection that records text frames and the close; answers "" pings unless told not to.
function open({ pong = true, path = '/socketcluster/' } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
    const c = { ws, frames: [], waiters: [], closed: null, pings: 0 };
    ws.on('message', (buf, isBinary) => {
      const t = buf.toString();
      if (t === '') {
        c.pings++;
        if (pong) ws.send('');
        return;
      }
      c.frames.push(t);
      c.waiters.splice(0).forEach((w) => w());
    });
    ws.on('close', (code, reason) => {
      c.closed = { code, reason: reason.toString() };
      c.waiters.splice(0).forEach((w) => w());
    });
    ws.on('open', () => resolve(c));
    ws.on('error', (e) => { if (!c.closed) reject(e); });
    ws.on('unexpected-response', (req, res) => resolve({ status: res.statusCode }));
  });
}
function until(c, pred, ms, what) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const check = () => {
      const v = pred();
      if (v) return resolve(v);
      if (Date.now() - t0 > ms) return reject(new Error(`timeout waiting for ${what}`));
      c.waiters.push(check);
      setTimeout(check, 50);
    };
    check();
  });
}
const closed = (c, ms = 3000) => until(c, () => c.closed, ms, 'close');
const frame = (c, i, ms = 2000) => until(c, () => c.frames.length > i && c.frames[i], ms, `frame ${i}`);
async function handshaken(opts) {
  const c = await open(opts);
  c.ws.send(HS);
  const reply = JSON.parse(await frame(c, 0));
  return [c, reply];
}

async function main() {
  // Handshake reply shape.
  let [c, r] = await handshaken();
  assert.equal(r.rid, 1);
  assert.match(r.data.id, /^[A-Za-z0-9_-]{20}$/);
  assert.equal(r.data.pingTimeout, 1000);
  assert.equal(r.data.isAuthenticated, false);
  assert.equal(r.data.authError, undefined);
  ok('#handshake → {"rid":1,"data":{"id":<20 chars>,"pingTimeout":1000,"isAuthenticated":false}}');

  // Exact bytes are echoed (number text kept, raw UTF-8, absent data absent).
  c.ws.send('{"event":"echo","data":{"x":1.50,"big":123456789012345678901234,"s":"h\\u00e9 ✓"},"cid":2}');
  assert.equal(await frame(c, 1), '{"rid":2,"data":{"x":1.50,"big":123456789012345678901234,"s":"h\\u00e9 ✓"}}');
  c.ws.send('{"cid":3,"event":"echo"}');
  assert.equal(await frame(c, 2), '{"rid":3}');
  ok('echo re-emits data byte for byte (1.50, 24-digit integer, escapes); absent data → {"rid":3}');

  // Garbage after the handshake is ignored; wrong types for cid / rid / event.
  c.ws.send('hello not json');
  c.ws.send('{"event":"echo","data":1,"cid":');  // truncated JSON
  c.ws.send('{"event":"echo","data":1,"cid":"4"}');  // string cid → a transmit: no answer
  c.ws.send('{"rid":"1","data":1}');  // string rid: ignored
  c.ws.send('{"event":5,"data":1,"cid":5}');  // event not a string: not a packet
  c.ws.send('[1,"x",null]');  // a batch of non-packets
  c.ws.send('{"event":"echo","data":"after","cid":6}');
  assert.equal(await frame(c, 3), '{"rid":6,"data":"after"}');
  assert.equal(c.frames.length, 4);
  ok('malformed JSON, string cid (→ transmit), string rid, numeric event, non-object batch: ignored, socket still answers');

  // A batch: answered in order, transmits included.
  c.ws.send('[{"event":"echo","data":1,"cid":7},{"event":"echo","data":2,"cid":8},{"event":"ping","data":3}]');
  await frame(c, 6);
  assert.deepEqual(c.frames.slice(4, 7), ['{"rid":7,"data":1}', '{"rid":8,"data":2}', '{"event":"pong","data":3}']);
  ok('a JSON-array batch is handled packet by packet, in order');

  // A binary frame holding JSON is accepted like text (the Node server toString()s it).
  c.ws.send(Buffer.from('{"event":"echo","data":"bin","cid":9}'), { binary: true });
  assert.equal(await frame(c, 7), '{"rid":9,"data":"bin"}');
  ok('a binary frame holding a packet is handled as text');

  // A message of 60 kB arrives in many lws reads (--rx-buffer-size 1024) and is joined.
  const big = 'y'.repeat(60000);
  c.ws.send(`{"event":"echo","data":"${big}","cid":10}`);
  assert.equal(await frame(c, 8), `{"rid":10,"data":"${big}"}`);
  ok('a 60 kB message (many reads of --rx-buffer-size) is joined and echoed whole');

  // Server pings on a v2 socket are "" and keep coming.
  await until(c, () => c.pings >= 2, 2000, 'two pings');
  ok(`the server pings with "" every --ping-interval (${c.pings} pings seen)`);
  c.ws.close(1000);

  // Before the handshake: any packet, a pong or raw text → 4009; #handshake without cid → 4008.
  for (const [what, text, code] of [
    ['an invoke', '{"event":"echo","data":1,"cid":1}', 4009],
    ['a pong ""', '', 4009],
    ['raw text', 'hello not json', 4009],
    ['#handshake without cid', '{"event":"#handshake","data":{}}', 4008],
  ]) {
    c = await open();
    c.ws.send(text);
    const cl = await closed(c);
    assert.equal(cl.code, code, what);
  }
  ok('before the handshake: invoke, pong, raw text → close 4009; #handshake without cid → 4008');

  // #handshake with no data is answered.
  c = await open();
  c.ws.send('{"event":"#handshake","cid":7}');
  r = JSON.parse(await frame(c, 0));
  assert.equal(r.rid, 7);
  assert.equal(r.data.isAuthenticated, false);
  // #authenticate without cid → 4008.
  c.ws.send('{"event":"#authenticate","data":"x"}');
  assert.equal((await closed(c)).code, 4008);
  ok('#handshake without data is answered; #authenticate without cid → close 4008');

  // No handshake at all → 4005 after --handshake-timeout.
  c = await open();
  const t0 = Date.now();
  assert.equal((await closed(c, 4000)).code, 4005);
  const took = Date.now() - t0;
  assert.ok(took >= 600 && took < 2500, `4005 after ${took} ms`);
  ok(`no #handshake → close 4005 after ${took} ms (--handshake-timeout 800)`);

  // A client that does not answer pings → 4001 after --ping-timeout.
  [c] = await handshaken({ pong: false });
  const t1 = Date.now();
  assert.equal((await closed(c, 4000)).code, 4001);
  ok(`no pong → close 4001 after ${Date.now() - t1} ms (--ping-timeout 1000)`);

  // A message whose fragments never end: nothing completes, so nothing counts as a pong → 4001;
  // fragments adding up past --max-payload → 1009 before the message ends.
  // (No pongs from this client: `ws` would send them as the message's continuation.)
  [c] = await handshaken({ pong: false });
  c.ws.send('{"event":"echo","data":"', { fin: false });
  const drip = setInterval(() => { if (!c.closed) c.ws.send('xxxx', { fin: false }); }, 100);
  try {
    assert.equal((await closed(c, 4000)).code, 4001);  // a fragment every 100 ms is not a pong
  } finally {
    clearInterval(drip);
  }
  [c] = await handshaken();
  for (let i = 0; i < 30; i++) c.ws.send('y'.repeat(5000), { fin: false });
  assert.equal((await closed(c)).code, 1009);
  ok('fragments that never end → close 4001; fragments past --max-payload → close 1009');

  // Oversized message → 1009; invalid UTF-8 in a text frame → 1007.
  [c] = await handshaken();
  c.ws.send(`{"event":"echo","data":"${'x'.repeat(200000)}","cid":2}`);
  assert.equal((await closed(c)).code, 1009);
  [c] = await handshaken();
  c.ws._sender.sendFrame(WebSocket.Sender.frame(Buffer.from([0x22, 0xff, 0xfe, 0x22]),
    { fin: true, opcode: 1, mask: true, readOnly: false, maskKey: Buffer.alloc(4, 1), rsv1: false }));
  assert.equal((await closed(c)).code, 1007);
  ok('a message over --max-payload → close 1009; invalid UTF-8 in a text frame → close 1007');

  // Tokens: forged at handshake → authError + #removeAuthToken; #authenticate garbage → error.
  c = await open();
  c.ws.send(JSON.stringify({ event: '#handshake', data: { authToken: jwt.sign({ u: 1 }, 'nope') }, cid: 1 }));
  r = JSON.parse(await frame(c, 0));
  assert.deepEqual(r.data.authError, { message: 'invalid signature', name: 'AuthTokenInvalidError', isBadToken: true });
  assert.equal(await frame(c, 1), '{"event":"#removeAuthToken"}');
  c.ws.send('{"event":"#authenticate","data":"bad.token.here","cid":2}');
  assert.equal(await frame(c, 2), '{"rid":2,"error":{"message":"invalid token","name":"AuthTokenInvalidError","isBadToken":true}}');
  assert.equal(await frame(c, 3), '{"event":"#removeAuthToken"}');
  const exp = Math.floor(Date.now() / 1000) - 5;
  c.ws.send(JSON.stringify({ event: '#authenticate', data: jwt.sign({ u: 2, exp }, key), cid: 3 }));
  r = JSON.parse(await frame(c, 4));
  assert.equal(r.error.name, 'AuthTokenExpiredError');
  assert.equal(r.error.expiry, new Date(exp * 1000).toISOString());
  const nbf = Math.floor(Date.now() / 1000) + 3600;
  c.ws.send(JSON.stringify({ event: '#authenticate', data: jwt.sign({ u: 3, nbf }, key), cid: 4 }));
  r = JSON.parse(await frame(c, 6));
  assert.deepEqual(r, { rid: 4, data: { isAuthenticated: false, authError: {
    message: 'jwt not active', name: 'AuthTokenNotBeforeError', date: new Date(nbf * 1000).toISOString(),
    isBadToken: false } } });
  c.ws.send(JSON.stringify({ event: '#authenticate', data: jwt.sign({ u: 4 }, key), cid: 5 }));
  assert.equal(await frame(c, 7), '{"rid":5,"data":{"isAuthenticated":true,"authError":null}}');
  c.ws.close(1000);
  ok('tokens: forged handshake token, garbage / expired / not-yet-valid / good #authenticate answered as captured');

  // Wrong path → HTTP 400, no WebSocket.
  const bad = await open({ path: '/socketcluster' });
  assert.equal(bad.status, 400);
  const q = await open({ path: '/socketcluster/?foo=bar&list=x&list=y' });
  assert.ok(q.ws, 'a query string was refused');
  q.ws.send(HS);
  assert.equal(JSON.parse(await frame(q, 0)).rid, 1);
  q.ws.close(1000);
  ok('a WebSocket on another path (/socketcluster without the slash) gets HTTP 400; a query string is fine');
}

main().then(() => process.exit(0), (e) => { console.error('FAILED', e); process.exit(1); });
