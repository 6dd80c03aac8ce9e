// One SocketCluster node of bench/cluster-vs-node.sh: socketcluster-server 20 (the version pinned
// in package-lock.json) whose instances are joined over Redis pub/sub, the way SCC joins them
// through scc-broker (SCC itself needs scc-state, which this registry lacks).  The server's
// broker engine (ag-simple-broker) keeps its local subscriber lists; this glue changes two
// things on it:
//   - a publication (client #publish or exchange.invokePublish) is not delivered locally but
//     PUBLISHed to Redis channel "sc:<channel>" as JSON;
//   - the first local subscriber of a channel SUBSCRIBEs this node to "sc:<channel>" (the
//     client's #subscribe is answered once Redis confirmed), the last one leaving unsubscribes;
//     a message from Redis is delivered to the local subscribers (transmitPublish).
// So every publication crosses Redis, also to subscribers on the publisher's own node, as
// sc-worker's cross sc-broker.  Procedures: echo (the data back), worker ({id: WORKER_ID}).
//
//   node sc.js PORT WORKER_ID REDIS_PORT     prints "listening PORT" once it accepts
'use strict';
const socketClusterServer = require('socketcluster-server');
const { createClient } = require('redis');

const port = Number(process.argv[2] || 8000);
const id = Number(process.argv[3] || 0);
const redisPort = Number(process.argv[4] || 6379);
const PREFIX = 'sc:';

(async () => {
  const pub = createClient({ url: `redis://127.0.0.1:${redisPort}` });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on('error', (e) => console.error(`redis: ${e}`));
  await Promise.all([pub.connect(), sub.connect()]);

  const agServer = socketClusterServer.listen(port, {}, () => console.log(`listening ${port}`));
  const broker = agServer.brokerEngine;
  const deliver = broker.transmitPublish.bind(broker);
  const subscribeClient = broker.subscribeClient.bind(broker);
  const unsubscribeClient = broker.unsubscribeClient.bind(broker);
  const pending = new Map();  // channel -> the promise of its Redis SUBSCRIBE

  broker.invokePublish = broker.transmitPublish = async (channel, data) => {
    await pub.publish(PREFIX + channel, JSON.stringify(data === undefined ? null : data));
  };
  broker.subscribeClient = broker.subscribeSocket = async (client, channel) => {
    const fresh = !broker.isSubscribed(channel);
    await subscribeClient(client, channel);
    if (fresh) {
      pending.set(channel, sub.subscribe(PREFIX + channel, (message) => {
        deliver(channel, JSON.parse(message), true);
      }));
    }
    await pending.get(channel);
  };
  broker.unsubscribeClient = broker.unsubscribeSocket = async (client, channel) => {
    await unsubscribeClient(client, channel);
    if (!broker.isSubscribed(channel) && pending.has(channel)) {
      pending.delete(channel);
      await sub.unsubscribe(PREFIX + channel);
    }
  };

  (async () => {
    for await (const { socket } of agServer.listener('connection')) {
      (async () => {
        for await (const request of socket.procedure('echo')) request.end(request.data);
      })();
      (async () => {
        for await (const request of socket.procedure('worker')) {
          request.end({ id, pid: process.pid });
        }
      })();
    }
  })();
  (async () => {
    for await (const { error } of agServer.listener('error')) console.error(`error: ${error}`);
  })();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
