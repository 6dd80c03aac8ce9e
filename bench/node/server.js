// The anchor of bench/worker-vs-node.sh: socketcluster-server 20 (the version pinned in
// package-lock.json) with the same `echo` procedure as build/bin/sc-conformance.  Pub/sub is the
// server's own: client #subscribe and #publish go through its in-process broker
// (ag-simple-broker), as in a single-process SocketCluster app.  Server options are the
// defaults (pingInterval 8000, pingTimeout 30000, allowClientPublish true).
//
// Sessions (bench/worker-vs-node.sh METRICS=sessions), when given a Redis port: what a Node
// SocketCluster user would write with ioredis (pinned in package-lock.json, its defaults, one
// connection), keeping a session as our worker does (docs/worker.md "Sessions"): the hash
// sc:sess:<sid>, one field per name, the value as JSON text, the sid from the `sid` query
// parameter or cookie (a new random one when absent or not well-formed).  `sessionSet
// {name,value}` sends HSET then EXPIRE (1200 s), as the worker does, and responds once HSET is
// answered; `sessionGet {name}` responds with HGET's value parsed, or null.  No session emits,
// no TTL refresh timer: only the round trips the bench measures.
//
//   node bench/node/server.js PORT [REDIS_PORT]   prints "listening PORT" once it accepts
'use strict';
const crypto = require('crypto');
const socketClusterServer = require('socketcluster-server');

const port = Number(process.argv[2] || 8000);
const redisPort = Number(process.argv[3] || 0);
const SESSION_TIMEOUT_S = 1200;
const agServer = socketClusterServer.listen(port, {}, () => console.log(`listening ${port}`));
const redis = redisPort ? new (require('ioredis'))({ host: '127.0.0.1', port: redisPort }) : null;

// The sid of an upgrade request: query parameter, else cookie; 22-64 URL-safe characters.
function sidOf(req) {
  const url = new URL(req.url || '/', 'http://x');
  let sid = url.searchParams.get('sid');
  if (sid === null) {
    const m = /(?:^|;\s*)sid=([^;]*)/.exec(req.headers.cookie || '');
    sid = m ? m[1] : null;
  }
  return sid && /^[A-Za-z0-9_-]{22,64}$/.test(sid) ? sid : crypto.randomBytes(24).toString('base64url');
}

function sessionProcedures(socket) {
  const key = `sc:sess:${sidOf(socket.request)}`;
  const fail = (request, message) => {
    const e = new Error(message);
    e.name = 'BrokerError';
    request.error(e);
  };
  (async () => {
    for await (const request of socket.procedure('sessionSet')) {
      const d = request.data;
      if (!d || typeof d.name !== 'string') { fail(request, 'sessionSet wants {name, value}'); continue; }
      const value = JSON.stringify(d.value === undefined ? null : d.value);
      redis.hset(key, d.name, value).then(() => request.end(), (e) => fail(request, String(e)));
      redis.expire(key, SESSION_TIMEOUT_S).catch(() => {});
    }
  })();
  (async () => {
    for await (const request of socket.procedure('sessionGet')) {
      const d = request.data;
      if (!d || typeof d.name !== 'string') { fail(request, 'sessionGet wants {name}'); continue; }
      redis.hget(key, d.name).then((v) => {
        if (v === null) return request.end(null);
        let value;
        try { value = JSON.parse(v); } catch (_) { value = v; }  // set by someone else: a string
        request.end(value);
      }, (e) => fail(request, String(e)));
    }
  })();
}

(async () => {
  for await (const { socket } of agServer.listener('connection')) {
    (async () => {
      for await (const request of socket.procedure('echo')) request.end(request.data);
    })();
    if (redis) sessionProcedures(socket);
  }
})();

(async () => {
  for await (const { error } of agServer.listener('error')) console.error(`error: ${error}`);
})();

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
