// One client of a whole cluster, through its balancer, with the unchanged npm
// socketcluster-client 20 (tests/integration/cluster_*.sh start the cluster and judge the output).
//   node cluster_client.js URL [COOKIE] [NAME=VALUE]
// URL is ws://HOST:PORT or wss://HOST:PORT (certificate not checked: the cluster's is
// self-signed).  COOKIE ('-' for none) is sent on the upgrade as a browser tab would send the
// page's cookie.  The client connects (the #handshake), invokes the stock app's "greet" unless
// NAME=VALUE is given, else sessionSet {name, value} and sessionGet {name} (the stock app and
// sc-conformance both have them).  Prints one JSON line {"id", "greet"?, "got"?} and exits 0;
// exits 1 on any failure or after 10 s.
'use strict';
const sc = require('socketcluster-client');

const [url, cookie, pair] = process.argv.slice(2);
const u = new URL(url);
const opts = {
  hostname: u.hostname.replace(/^\[|\]$/g, ''),
  port: Number(u.port),
  secure: u.protocol === 'wss:',
  ackTimeout: 5000,
  autoReconnect: false,
  wsOptions: { rejectUnauthorized: false },
};
if (cookie && cookie !== '-') opts.wsOptions.headers = { Cookie: cookie };
setTimeout(() => { console.error('timeout after 10 s'); process.exit(1); }, 10000).unref();

(async () => {
  const c = sc.create(opts);
  const err = (async () => { for await (const { error } of c.listener('error')) throw error; })();
  await Promise.race([c.listener('connect').once(), err]);
  const out = { id: c.id };
  if (pair) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    await c.invoke('sessionSet', { name, value: pair.slice(eq + 1) });
    out.got = await c.invoke('sessionGet', { name });
  } else {
    out.greet = await c.invoke('greet', { name: 'cluster' });
  }
  console.log(JSON.stringify(out));
  c.disconnect();
  process.exit(0);
})().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
