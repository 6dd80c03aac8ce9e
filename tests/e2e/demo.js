// The demo page end to end (run by tests/e2e/demo.sh, which says what it proves): starts an
// sc-broker, sc-worker --workers 2 and an sc-balancer (plain and TLS) on free ports, then drives
// Debian's chromium with playwright-core through the balancer's two ports the way a person
// would: labelled inputs and buttons, text on the page.
//
// Environment: SC_BIN (the binaries), SC_ROOT, E2E_TMP (logs and certificates; the caller
// removes it), E2E_SHOTS (where the screenshots go; kept), CHROMIUM (the browser binary).
"use strict";
const { chromium } = require("playwright-core");
const { spawn, execFileSync } = require("child_process");
const fs = require("fs");
const net = require("net");
const path = require("path");

const BIN = process.env.SC_BIN;
const TMP = process.env.E2E_TMP;
const SHOTS = process.env.E2E_SHOTS;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const FIELD_WAIT_MS = 5000;    // a value or a chat line must show within this
const RECONNECT_MS = 20000;    // a tab must be back on a respawned worker within this

let checks = 0;
const ok = (what) => console.log(`ok ${++checks} - ${what}`);
class Failure extends Error {}
const fail = (what) => { throw new Failure(what); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- processes: each started one is stopped by its pid at exit ----------------------------

const procs = [];  // {name, child, log}

function freePort() {  // tests/support/tap.py's picker, the one of every test
  return Number(execFileSync("python3", ["-c", "import tap; print(tap.free_port())"], {
    env: { ...process.env, PYTHONPATH: path.join(process.env.SC_ROOT, "tests", "support") },
  }).toString().trim());
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
}

function start(name, args) {
  const log = path.join(TMP, `${name}.log`);
  const fd = fs.openSync(log, "a");
  const child = spawn(args[0], args.slice(1), { stdio: ["ignore", fd, fd] });
  fs.closeSync(fd);
  child.exited = new Promise((resolve) => child.once("exit", (code, sig) => resolve({ code, sig })));
  const p = { name, child, log };
  procs.push(p);
  return p;
}

// Starts args(ports) until ready(p) within 10 s; a port found free can be taken before the
// server binds it, so a server that exits at start is tried again on other ports (5 times).
async function startRetrying(name, args, ready) {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const ports = [freePort(), freePort()];
    const p = start(name, args(ports));
    for (let i = 0; i < 100 && alive(p); i++) {
      if (await ready(p, ports)) return { p, ports };
      await sleep(100);
    }
    p.child.kill("SIGKILL");
    await p.child.exited;
    procs.splice(procs.indexOf(p), 1);
    fs.renameSync(p.log, `${p.log}.failed-${attempt}`);
  }
  fail(`${name} never started (logs in ${TMP})`);
}

const alive = (p) => p.child.exitCode === null && p.child.signalCode === null;
const logText = (p) => fs.readFileSync(p.log, "utf8");

// The pids of the master's workers now: its children (procps' ps, as a person would look).
function workerPids(master) {
  const out = execFileSync("ps", ["-o", "pid=", "--ppid", String(master.child.pid)]).toString();
  return out.split(/\s+/).filter(Boolean).map(Number);
}

async function stopAll() {
  for (const p of procs.slice().reverse()) {
    if (!alive(p)) continue;
    p.child.kill("SIGTERM");
    const t = await Promise.race([p.child.exited, sleep(10000).then(() => null)]);
    if (t === null) p.child.kill("SIGKILL");
  }
}

// ---- the page ------------------------------------------------------------------------------

// A tab that records what a person would notice: uncaught errors and console errors.
async function openTab(context, url, label, errors) {
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push({ at: Date.now(), tab: label, kind: "pageerror", text: String(e) }));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push({ at: Date.now(), tab: label, kind: "console", text: m.text() });
  });
  await page.goto(url);
  return page;
}

const text = (page, id) => page.evaluate((id) => document.getElementById(id).textContent, id);

// Waits until #id's text matches `want` (a string or RegExp source); fails with what it showed.
async function waitText(page, id, want, ms, what) {
  const re = want instanceof RegExp ? want.source : null;
  try {
    await page.waitForFunction(
      ({ id, want, re }) => {
        const t = document.getElementById(id).textContent;
        return re ? new RegExp(re).test(t) : t === want;
      },
      { id, want: re ? null : want, re },
      { timeout: ms });
  } catch (e) {
    fail(`${what}: #${id} shows "${await text(page, id)}", wanted ${want}`);
  }
}

// The tab is connected and knows its worker and session; returns {worker, pid, sid}.
async function connected(page, ms, what) {
  await waitText(page, "state", "open", ms, what);
  await waitText(page, "worker", /^worker \d+, pid \d+$/, ms, what);
  await waitText(page, "sid", /^[A-Za-z0-9_-]{22,64}$/, ms, what);
  const [, worker, pid] = (await text(page, "worker")).match(/^worker (\d+), pid (\d+)$/);
  return { worker: Number(worker), pid: Number(pid), sid: await text(page, "sid") };
}

async function setSession(page, value, how) {
  await page.getByLabel("Session value", { exact: true }).fill(value);
  if (how === "enter") await page.getByLabel("Session value", { exact: true }).press("Enter");
  else await page.getByRole("button", { name: "Set", exact: true }).click();
}

async function say(page, name, message, how) {
  await page.getByLabel("Your name", { exact: true }).fill(name);
  await page.getByLabel("Message", { exact: true }).fill(message);
  if (how === "enter") await page.getByLabel("Message", { exact: true }).press("Enter");
  else await page.getByRole("button", { name: "Send", exact: true }).click();
}

async function waitChat(page, line, what) {
  try {
    await page.getByRole("log", { name: "Chat messages" }).getByText(line, { exact: true })
      .waitFor({ timeout: FIELD_WAIT_MS });
  } catch (e) {
    fail(`${what}: the chat does not show "${line}" (it shows: ${await text(page, "chat-log")})`);
  }
}

// ---- one run through one port of the balancer -----------------------------------------------

async function run(browser, url, tag, master, brokerPort) {
  const errors = [];
  const contexts = [];
  const newContext = async () => {
    const c = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 900, height: 1000 } });
    contexts.push(c);
    return c;
  };

  const alice = await newContext();
  const a1 = await openTab(alice, url, "a1", errors);
  const a2 = await openTab(alice, url, "a2", errors);
  const A1 = await connected(a1, 30000, `${tag}: tab a1 connects`);
  const A2 = await connected(a2, 30000, `${tag}: tab a2 connects`);
  if (A1.sid !== A2.sid) fail(`${tag}: two tabs of one browser have sessions ${A1.sid} and ${A2.sid}`);
  ok(`${tag}: two tabs of one browser context show the same session id, served by worker ${A1.worker} and ${A2.worker}`);

  // Another browser (context), on the other worker when a few tries get it there: its session
  // then lives on another worker than alice's, so the chat crosses the broker.
  let bob, b1, B1;
  for (let i = 0; i < 8; i++) {
    bob = await newContext();
    b1 = await openTab(bob, url, "b1", errors);
    B1 = await connected(b1, 30000, `${tag}: the second context connects`);
    if (B1.worker !== A1.worker) break;
  }
  if (B1.sid === A1.sid) fail(`${tag}: a second browser context shares the first one's session`);
  ok(`${tag}: a second context has its own session (served by worker ${B1.worker}${B1.worker !== A1.worker ? ", the other one" : ", the same: 8 tries never landed on the other"})`);

  // The seed's example.
  await waitText(a1, "greet", "hello world", FIELD_WAIT_MS, `${tag}: greet on connect`);
  await waitText(a1, "rand", /^\d{1,2}$/, 3000, `${tag}: rand`);
  const seen = new Set();
  for (let i = 0; i < 40 && seen.size < 2; i++) { seen.add(await text(a1, "rand")); await sleep(100); }
  if (seen.size < 2) fail(`${tag}: rand did not change in 4 s`);
  await a1.getByLabel("Name to greet", { exact: true }).fill("e2e");
  await a1.getByRole("button", { name: "Greet", exact: true }).click();
  await waitText(a1, "greet-reply", "hello e2e", FIELD_WAIT_MS, `${tag}: greet invoke`);
  ok(`${tag}: the seed's example: greet "hello world" on connect, rand every second, invoke greet answers "hello e2e"`);

  // The session panel: Enter in one tab, the button in the other.
  let t0 = Date.now();
  await setSession(a1, `blue ${tag}`, "enter");
  await waitText(a2, "session-value", `blue ${tag}`, FIELD_WAIT_MS, `${tag}: a value set in a1 (Enter)`);
  const ms1 = Date.now() - t0;
  await waitText(a1, "session-value", `blue ${tag}`, FIELD_WAIT_MS, `${tag}: a1's own value`);
  t0 = Date.now();
  await setSession(a2, `green ${tag}`, "button");
  await waitText(a1, "session-value", `green ${tag}`, FIELD_WAIT_MS, `${tag}: a value set in a2 (Set)`);
  const ms2 = Date.now() - t0;
  ok(`${tag}: a value set with Enter in tab a1 shows in tab a2 (${ms1} ms), one set with the Set button in a2 shows in a1 (${ms2} ms)`);
  await sleep(300);
  if ((await text(b1, "session-value")) !== "(not set)")
    fail(`${tag}: the second context shows "${await text(b1, "session-value")}"`);
  const stored = execFileSync("redis-cli", ["-p", String(brokerPort), "hget", `sc:sess:${A1.sid}`, "note"]).toString().trim();
  if (stored !== JSON.stringify(`green ${tag}`)) fail(`${tag}: the broker holds ${stored}`);
  ok(`${tag}: the second context still shows "(not set)"; redis-cli hget sc:sess:<sid> note on the broker gives ${stored}`);

  // sc-worker's session procedures on bad input, from a socket of the tab's own (same session).
  const refused = await a1.evaluate(async () => {
    const { create } = await import("/socketcluster-client.min.js");
    const s = create({ autoReconnect: false });
    const name = (p) => p.then((v) => `answered ${JSON.stringify(v)}`, (e) => `${e.name}: ${e.message}`);
    try {
      return [await name(s.invoke("sessionSet", { name: "", value: 1 })),
              await name(s.invoke("sessionSet", { name: "x".repeat(65), value: 1 })),
              await name(s.invoke("sessionGet", { name: 7 })),
              await name(s.invoke("sessionGet", { name: "never-set" })),
              await name(s.invoke("sessionGet", { name: "note" }))];
    } finally {
      s.disconnect();
    }
  });
  const badName = "SessionError: a session field name is a string of 1-64 bytes";
  const want = [badName, badName, badName, "answered null", `answered ${JSON.stringify(`green ${tag}`)}`];
  if (JSON.stringify(refused) !== JSON.stringify(want))
    fail(`${tag}: session procedures answered ${JSON.stringify(refused)}, wanted ${JSON.stringify(want)}`);
  ok(`${tag}: sessionSet/sessionGet refuse an empty, a 65-byte and a non-string name with SessionError; an unset field reads null`);

  // The chat: from the second context to both tabs of the first, and back.
  await say(b1, "bob", `hi alice ${tag}`, "button");
  await waitChat(a1, `bob: hi alice ${tag}`, `${tag}: chat b1 -> a1`);
  await waitChat(a2, `bob: hi alice ${tag}`, `${tag}: chat b1 -> a2`);
  await say(a1, "alice", `hi bob ${tag}`, "enter");
  await waitChat(b1, `alice: hi bob ${tag}`, `${tag}: chat a1 -> b1`);
  ok(`${tag}: chat from the second context reaches both tabs of the first (Send), and back (Enter)`);

  // kill -9 of every worker; the master forks new ones and the tabs find them by themselves.
  const before = workerPids(master);
  const shown = [A1.pid, A2.pid, B1.pid];
  if (before.length !== 2 || !shown.every((p) => before.includes(p)))
    fail(`${tag}: the master's workers are ${before}, the tabs show ${shown}`);
  const tabs = { a1, a2, b1 };
  for (const page of Object.values(tabs)) {
    await page.evaluate(() => {  // every text the connection state shows from now on
      const el = document.getElementById("state");
      window.seenStates = [];
      new MutationObserver(() => window.seenStates.push(el.textContent))
        .observe(el, { childList: true, characterData: true, subtree: true });
    });
  }
  const killedAt = Date.now();
  for (const pid of before) process.kill(pid, "SIGKILL");
  const after = {};
  for (const [name, page] of Object.entries(tabs)) {
    const left = RECONNECT_MS - (Date.now() - killedAt);
    await waitText(page, "worker", /^worker \d+, pid \d+$/, left, `${tag}: ${name} after kill -9`);
    try {
      await page.waitForFunction((old) => {
        const m = document.getElementById("worker").textContent.match(/pid (\d+)$/);
        return document.getElementById("state").textContent === "open" && m && !old.includes(Number(m[1]));
      }, before, { timeout: Math.max(left, 1) });
    } catch (e) {
      fail(`${tag}: ${name} not back within ${RECONNECT_MS} ms of kill -9 (state "${await text(page, "state")}", ${await text(page, "worker")})`);
    }
    after[name] = await connected(page, 1000, `${tag}: ${name} back`);
  }
  const backMs = Date.now() - killedAt;
  const closes = new Set();
  for (const [name, page] of Object.entries(tabs)) {
    const seen = await page.evaluate(() => window.seenStates);
    const close = seen.find((t) => /^closed \(code \d+\), reconnecting$/.test(t));
    if (!close || seen[seen.length - 1] !== "open")
      fail(`${tag}: ${name}'s connection state went ${JSON.stringify(seen)}`);
    closes.add(close);
  }
  const now = workerPids(master);
  if (!Object.values(after).every((t) => now.includes(t.pid)))
    fail(`${tag}: the tabs show pids ${Object.values(after).map((t) => t.pid)}, the master's workers are ${now}`);
  ok(`${tag}: kill -9 of workers ${before.join(", ")}: every tab reconnected by itself to the respawned ${now.join(", ")} within ${backMs} ms, the connection state showing "${[...closes].join('", "')}" meanwhile`);
  for (const name of ["a1", "a2"]) {
    await waitText(tabs[name], "session-value", `green ${tag}`, FIELD_WAIT_MS, `${tag}: ${name}'s value after the restart`);
    if (after[name].sid !== A1.sid) fail(`${tag}: ${name} has session ${after[name].sid} after the restart`);
  }
  await setSession(a2, `after restart ${tag}`, "enter");
  await waitText(a1, "session-value", `after restart ${tag}`, FIELD_WAIT_MS, `${tag}: a value set after the restart`);
  await say(b1, "bob", `still here ${tag}`, "enter");
  await waitChat(a1, `bob: still here ${tag}`, `${tag}: chat after the restart`);
  ok(`${tag}: after the restart both tabs keep the session id and its value, share new values, and the chat works`);
  const restartedBy = Date.now();

  fs.mkdirSync(SHOTS, { recursive: true });
  const shot = path.join(SHOTS, `demo-${tag}.png`);
  await a1.screenshot({ path: shot, fullPage: true });
  if (fs.statSync(shot).size < 5000) fail(`${tag}: the screenshot ${shot} is too small`);
  ok(`${tag}: screenshot of tab a1 saved to ${shot}`);

  for (const c of contexts) await c.close();

  // No uncaught error anywhere; no console error either, but for the browser's own line for
  // each WebSocket attempt that failed while no worker listened (between the kill and the
  // reconnect: Chromium logs it, the page cannot silence it).
  const ws = /^WebSocket connection to '.*\/socketcluster\/' failed/;
  const during = (e) => e.at >= killedAt && e.at <= restartedBy;
  const tolerated = errors.filter((e) => e.kind === "console" && ws.test(e.text) && during(e));
  const bad = errors.filter((e) => !tolerated.includes(e));
  if (bad.length) fail(`${tag}: errors on the page: ${bad.map((e) => `[${e.tab} ${e.kind}] ${e.text}`).join(" | ")}`);
  ok(`${tag}: no page error and no console error (${tolerated.length} failed WebSocket attempts while the workers were dead, logged by the browser)`);
}

// ---- main ------------------------------------------------------------------------------------

async function main() {
  const { ports: [bport] } = await startRetrying("broker",
    ([p]) => [path.join(BIN, "sc-broker"), "--port", String(p)], (p, [port]) => canConnect(port));

  const listening = /master: worker \d+ \(pid \d+\) listening/g;
  const { p: master, ports: [wport] } = await startRetrying("sc-worker",
    ([p]) => [path.join(BIN, "sc-worker"), "--workers", "2", "--port", String(p),
              "--brokers", `127.0.0.1:${bport}`],
    async (p) => (logText(p).match(listening) || []).length >= 2);
  ok(`sc-broker on ${bport}, sc-worker --workers 2 on ${wport} and ${wport + 1} (pids ${workerPids(master).join(", ")})`);

  const crt = path.join(TMP, "demo.crt"), key = path.join(TMP, "demo.key");
  execFileSync("openssl", ["req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                           "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                           "-keyout", key, "-out", crt], { stdio: "ignore" });
  const { ports: [plain, tls] } = await startRetrying("sc-balancer",
    ([p, t]) => [path.join(BIN, "sc-balancer"), "--listen", `127.0.0.1:${p}`,
                 "--tls-listen", `127.0.0.1:${t}`, "--cert", crt, "--key", key,
                 "--backends", `127.0.0.1:${wport},127.0.0.1:${wport + 1}`,
                 "--affinity", "session", "--session-key", "sid", "--health-path", "/health"],
    async (p, [pp, tt]) => (await canConnect(pp)) && (await canConnect(tt)));
  ok(`sc-balancer on ${plain} (plain) and ${tls} (TLS, a self-signed certificate made by openssl)`);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: process.getuid && process.getuid() === 0 ? ["--no-sandbox"] : [],
  });
  ok(`headless ${CHROMIUM} ${browser.version()} through playwright-core`);
  try {
    await run(browser, `http://127.0.0.1:${plain}/`, "plain", master, bport);
    await run(browser, `https://127.0.0.1:${tls}/`, "tls", master, bport);
  } finally {
    await browser.close();
  }

  master.child.kill("SIGTERM");
  const r = await Promise.race([master.child.exited, sleep(10000).then(() => null)]);
  if (!r || r.code !== 0) fail(`sc-worker's master did not exit 0 after SIGTERM: ${JSON.stringify(r)}`);
  ok("the master drained its workers and exited 0 on SIGTERM");
}

let rc = 0;
const stop = async (sig) => { await stopAll(); process.exit(128 + (sig === "SIGINT" ? 2 : 15)); };
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
main()
  .catch((e) => {
    console.error(e instanceof Failure ? `FAILED: ${e.message}` : e);
    for (const p of procs) {
      const lines = fs.existsSync(p.log) ? logText(p).trimEnd().split("\n").slice(-5) : [];
      for (const l of lines) console.error(`  ${p.name}: ${l}`);
    }
    rc = 1;
  })
  .finally(async () => {
    await stopAll();
    console.log(`${checks} checks${rc ? ", then a failure" : ""}`);
    process.exit(rc);
  });
