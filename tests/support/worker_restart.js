// Tokens survive a worker restart when the key comes from --auth-key-file.
// Usage: node worker_restart.js PORT login      → prints the signed token of {username:"rita"}
//        node worker_restart.js PORT reuse TOKEN → connects with TOKEN, prints isAuthenticated
//                                                 and whoami as JSON
'use strict';
const sct = require('./sc_test');

const [port, phase, token] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const engine = (tok) => ({ saveToken: async (k, v) => v, removeToken: async () => null,
                           loadToken: async () => tok });

async function main() {
  const s = sct.client(port, { authEngine: engine(phase === 'reuse' ? token : null) });
  const status = await sct.connectStatus(s, 5000);
  if (phase === 'login') {
    const authed = s.listener('authenticate').once();
    await s.invoke('login', { username: 'rita' });
    await authed;
    console.log(s.signedAuthToken);
  } else {
    console.log(JSON.stringify({ isAuthenticated: status.isAuthenticated,
                                 whoami: await s.invoke('whoami') }));
  }
  s.disconnect();
}

const timer = setTimeout(() => { console.error('timeout'); process.exit(1); }, 5000);
timer.unref();
sct.run(main);
