// The network side of scripts/hostile.sh: each subcommand runs one attack against a host on 127.0.0.1 and prints
// one JSON line of what it measured; the script judges it. Plain node, no packages (node is installed for dynalite).
//
//   node attacks.mjs flood <port> <sockets> <deadlineSeconds>   idle sockets; when the host closes each one
//   node attacks.mjs ready <port> <probes> <spreadMs>           GET /health/ready, spread evenly over spreadMs
//   node attacks.mjs post <port> <apiKey> <jsonEvent>           POST /events; status and outcome
//   node attacks.mjs unique <port> <apiKey> <count>             that many events with distinct event ids
//   node attacks.mjs slow <port> <apiKey>                       a body that stops half-way; the status answered
//   node attacks.mjs abort <port> <apiKey>                      a body cut off by closing the socket
//   node attacks.mjs event tutorial <eventId> [tier]            prints an event (as EventBridge delivers it)
//   node attacks.mjs event injection <eventId>                  control characters in id, topic, detail-type, key
//   node attacks.mjs event plain <marker>                       no detail.event_id: keyed by its fingerprint
import net from 'node:net';
import http from 'node:http';

const [command, ...args] = process.argv.slice(2);
const print = (value) => process.stdout.write(JSON.stringify(value) + '\n');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function tutorial(eventId, tier = 'gold') {
  return {
    version: '0', id: crypto.randomUUID(), 'detail-type': 'CustomerUpdated', source: 'com.example.crm',
    account: '123456789012', time: '2026-11-20T14:08:00Z', region: 'us-east-1', resources: [],
    detail: { event_id: eventId, event_type: 'customer.updated', data: { customerId: 'C-1042', tier } },
  };
}

// What forged a whole `info:` line in a terminal: a line break, a carriage return, an escape that hides the rest,
// a bell, and NEL / LINE SEPARATOR, which some terminals and log viewers also break on.
const injection = 'x\n\rinfo: forged line\u001b[8m\u0007\u0085\u2028end';

function injectionEvent(eventId) {
  const event = tutorial(eventId + injection);
  event.id = injection;
  event['detail-type'] = injection;
  event.detail.topicName = injection;
  return event;
}

function request(port, { method = 'GET', path, headers = {}, body }) {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', (error) => resolve({ status: 0, text: error.code ?? String(error) }));
    req.end(body);
  });
}

async function post(port, apiKey, body) {
  const { status, text } = await request(port, {
    method: 'POST', path: '/events', body,
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
  });
  let parsed = {};
  try { parsed = JSON.parse(text); } catch { /* not JSON: reported as is */ }
  return { status, outcome: parsed.outcome ?? null, key: parsed.key ?? null };
}

// Opens the sockets (in batches, so the listen backlog is not what refuses them), sends nothing, and notes when the
// host closes each one. "Cut" = closed within a second of connecting (over the connection limit); the rest are the
// held ones, closed by the keep-alive timeout. Sockets still open at the deadline are destroyed and counted.
async function flood(port, count, deadlineSeconds) {
  const sockets = [];
  const started = Date.now();
  for (let i = 0; i < count; i += 200) {
    for (let j = i; j < Math.min(count, i + 200); j++) {
      const entry = { openedAt: 0, closedAfter: null };
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('connect', () => { entry.openedAt = Date.now(); });
      socket.on('error', () => {});
      socket.on('close', () => { entry.closedAfter = Date.now() - (entry.openedAt || Date.now()); });
      socket.resume();
      entry.socket = socket;
      sockets.push(entry);
    }
    await sleep(20);
  }
  const deadline = started + deadlineSeconds * 1000;
  while (Date.now() < deadline && sockets.some((s) => s.closedAfter === null)) await sleep(100);
  const stillOpen = sockets.filter((s) => s.closedAfter === null);
  stillOpen.forEach((s) => s.socket.destroy());
  const closed = sockets.filter((s) => s.closedAfter !== null && !stillOpen.includes(s));
  const cut = closed.filter((s) => s.closedAfter < 1000);
  const held = closed.filter((s) => s.closedAfter >= 1000).map((s) => s.closedAfter);
  print({
    sockets: count, cutAtOnce: cut.length, held: held.length, stillOpenAtDeadline: stillOpen.length,
    heldClosedAfterMinMs: held.length ? Math.min(...held) : null,
    heldClosedAfterMaxMs: held.length ? Math.max(...held) : null,
    totalMs: Date.now() - started,
  });
}

async function ready(port, probes, spreadMs) {
  const started = Date.now();
  const pending = [];
  for (let i = 0; i < probes; i++) {
    const due = started + (i * spreadMs) / probes;
    await sleep(Math.max(0, due - Date.now()));
    pending.push(request(port, { path: '/health/ready' }));
  }
  const answers = await Promise.all(pending);
  print({ probes, ok: answers.filter((a) => a.status === 200).length, elapsedMs: Date.now() - started });
}

async function unique(port, apiKey, count) {
  const outcomes = {};
  const run = `flood-${Date.now()}`;
  for (let i = 0; i < count; i += 20) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 20); j++) batch.push(post(port, apiKey, JSON.stringify(tutorial(`${run}-${j}`))));
    for (const { outcome } of await Promise.all(batch)) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }
  print({ count, outcomes });
}

// Announces a body of 4096 bytes and sends 64 of it; `abort` then closes the socket, `slow` waits for the answer.
function incomplete(port, apiKey, abort) {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.write(`POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nx-api-key: ${apiKey}\r\n`
        + 'Content-Length: 4096\r\n\r\n' + '{"detail":{"event_id":"slow"'.padEnd(64, ' '));
      if (abort) setTimeout(() => socket.destroy(), 200);
    });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => { text += chunk; });
    socket.on('error', () => {});
    socket.on('close', () => resolve({ statusLine: text.split('\r\n')[0] || null, elapsedMs: Date.now() - started }));
    setTimeout(() => socket.destroy(), 30_000).unref(); // a bound, not a wait: the process ends with the socket
  });
}

switch (command) {
  case 'flood': await flood(Number(args[0]), Number(args[1]), Number(args[2])); break;
  case 'ready': await ready(Number(args[0]), Number(args[1]), Number(args[2])); break;
  case 'post': print(await post(Number(args[0]), args[1], args[2])); break;
  case 'unique': await unique(Number(args[0]), args[1], Number(args[2])); break;
  case 'slow': print(await incomplete(Number(args[0]), args[1], false)); break;
  case 'abort': print(await incomplete(Number(args[0]), args[1], true)); break;
  case 'event':
    if (args[0] === 'injection') print(injectionEvent(args[1]));
    else if (args[0] === 'plain') { const event = tutorial(undefined, args[1]); delete event.detail.event_id; print(event); }
    else print(tutorial(args[1], args[2]));
    break;
  default:
    console.error(`unknown command '${command}'; see the comment at the top of ${process.argv[1]}`);
    process.exit(2);
}
