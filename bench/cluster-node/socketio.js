// One Socket.IO 4 node of bench/cluster-vs-node.sh: socket.io with @socket.io/redis-adapter (the
// versions pinned in package-lock.json), joined to the other nodes through redis-server.  The
// events are those bench/sc_load.cpp sends with --proto socketio, each acknowledged:
//   echo DATA                  acks DATA
//   worker                     acks {id: WORKER_ID}
//   subscribe {channel}        joins the room `channel`
//   publish {channel, data}    io.to(channel).emit('#publish', {channel, data}): the adapter
//                              delivers to this node's sockets in the room and publishes to
//                              Redis for the other nodes
// WebSocket transport only (no long-polling, so no sticky sessions are needed behind HAProxy).
//
//   node socketio.js PORT WORKER_ID REDIS_PORT     prints "listening PORT" once it accepts
'use strict';
const http = require('http');
const { Server } = require('socket.io');
const { createAdapter } = require('@socket.io/redis-adapter');
const { createClient } = require('redis');

const port = Number(process.argv[2] || 8000);
const id = Number(process.argv[3] || 0);
const redisPort = Number(process.argv[4] || 6379);

(async () => {
  const pub = createClient({ url: `redis://127.0.0.1:${redisPort}` });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on('error', (e) => console.error(`redis: ${e}`));
  await Promise.all([pub.connect(), sub.connect()]);

  const httpServer = http.createServer();
  const io = new Server(httpServer, {
    transports: ['websocket'],
    serveClient: false,
    adapter: createAdapter(pub, sub),
  });
  const ack = (cb, v) => { if (typeof cb === 'function') cb(v); };
  io.on('connection', (socket) => {
    socket.on('echo', (data, cb) => ack(cb, data));
    socket.on('worker', (_data, cb) => ack(cb, { id, pid: process.pid }));
    socket.on('subscribe', (data, cb) => {
      if (data && typeof data.channel === 'string') socket.join(data.channel);
      ack(cb);
    });
    socket.on('publish', (data, cb) => {
      if (data && typeof data.channel === 'string') {
        io.to(data.channel).emit('#publish', { channel: data.channel, data: data.data });
      }
      ack(cb);
    });
  });
  httpServer.listen(port, '127.0.0.1', () => console.log(`listening ${port}`));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
