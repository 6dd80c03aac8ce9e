// The anchor of bench/worker-vs-node.sh: socketcluster-server 20 (the version pinned in
// package-lock.json) with the same `echo` procedure as build/bin/sc-conformance.  Pub/sub is the
// server's own: client #subscribe and #publish go through its in-process broker
// (ag-simple-broker), as in a single-process SocketCluster app.  Server options are the
// defaults (pingInterval 8000, pingTimeout 30000, allowClientPublish true).
//
//   node bench/node/server.js PORT          prints "listening PORT" once it accepts
'use strict';
const socketClusterServer = require('socketcluster-server');

const port = Number(process.argv[2] || 8000);
const agServer = socketClusterServer.listen(port, {}, () => console.log(`listening ${port}`));

(async () => {
  for await (const { socket } of agServer.listener('connection')) {
    (async () => {
      for await (const request of socket.procedure('echo')) request.end(request.data);
    })();
  }
})();

(async () => {
  for await (const { error } of agServer.listener('error')) console.error(`error: ${error}`);
})();

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
