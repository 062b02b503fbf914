// Peer comparison: replays the same JSON-lines workload as `GenesysDedup.Benchmarks workload` through Powertools for
// AWS Lambda (TypeScript)'s idempotency utility, against the same redis-server or dynalite, and prints ONE JSON line.
//
//   node replay.mjs --store redis|dynamodb --endpoint 127.0.0.1:6379|http://127.0.0.1:8000 --events FILE.jsonl
//                   --concurrency N [--floor] [--local-cache] [--warmup-seconds 4]
//
// The key is Powertools' own equivalent of our fingerprint: `eventKeyJmesPath: '[detail.topicName, detail.eventBody]'`,
// hashed (md5) after Powertools deep-sorts the keys, so a re-publish (new envelope id/time, reordered keys) is a
// duplicate there too. Each line is JSON.parse'd inside the measured operation, as our engine parses the bytes.
// `--floor` runs the Node client's bare operation instead: Redis `SET key v NX EX 86400` on random keys through
// @redis/client; DynamoDB a conditional PutItem (attribute_not_exists) on random keys through @aws-sdk/client-dynamodb.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { makeIdempotent, IdempotencyConfig } from '@aws-lambda-powertools/idempotency';

const args = parseArgs(process.argv.slice(2));
const store = args.store ?? 'redis';
const concurrency = Number(args.concurrency ?? 1);
// Steady state, as for ours (WorkloadDriver): whole passes of the workload, made new per pass, for this long.
const warmupSeconds = Number(args['warmup-seconds'] ?? 4);
const floor = 'floor' in args;
const lines = readFileSync(args.events, 'utf8').split('\n').filter((line) => line.length > 0);
const run = randomUUID().slice(0, 12);

// Lambda's context: Powertools reads the remaining time to set the in-progress expiry.
const context = {
  functionName: 'genesys-dedup-peer',
  awsRequestId: 'replay',
  getRemainingTimeInMillis: () => 60_000,
};

let handlerRuns = 0;
let inProgress = 0;
let errors = 0;
const teardown = [];
let operation;
let warmupOperation;

if (store === 'redis') {
  const { createClient } = await import('@redis/client');
  const client = await createClient({ url: `redis://${args.endpoint ?? '127.0.0.1:6379'}` }).connect();
  teardown.push(() => client.quit());
  if (floor) {
    operation = async () => {
      await client.set(`floor:${run}:${Math.floor(Math.random() * 2 ** 52)}`, 'v', { NX: true, EX: 86400 });
    };
    warmupOperation = operation;
  } else {
    const { CachePersistenceLayer } = await import('@aws-lambda-powertools/idempotency/cache');
    const persistenceStore = new CachePersistenceLayer({ client });
    ({ operation, warmupOperation } = idempotent(persistenceStore));
  }
} else if (store === 'dynamodb') {
  const { DynamoDBClient, CreateTableCommand, DescribeTableCommand, PutItemCommand } = await import('@aws-sdk/client-dynamodb');
  const clientConfig = {
    endpoint: args.endpoint ?? 'http://127.0.0.1:8000',
    region: 'us-east-1',
    credentials: { accessKeyId: 'genesys-dedup-local', secretAccessKey: 'genesys-dedup-local' },
  };
  const client = new DynamoDBClient(clientConfig);
  teardown.push(() => client.destroy());
  const tableName = 'PowertoolsIdempotency';
  await ensureTable(client, tableName, CreateTableCommand, DescribeTableCommand);
  if (floor) {
    operation = async () => {
      await client.send(new PutItemCommand({
        TableName: tableName,
        Item: { id: { S: `floor:${run}:${Math.floor(Math.random() * 2 ** 52)}` } },
        ConditionExpression: 'attribute_not_exists(id)',
      }));
    };
    warmupOperation = operation;
  } else {
    const { DynamoDBPersistenceLayer } = await import('@aws-lambda-powertools/idempotency/dynamodb');
    const persistenceStore = new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client });
    ({ operation, warmupOperation } = idempotent(persistenceStore));
  }
} else {
  throw new Error('--store must be redis or dynamodb');
}

const warmupStarted = performance.now();
for (let pass = 0; pass === 0 || performance.now() - warmupStarted < warmupSeconds * 1000; pass++) {
  await replay(lines.length, (i) => warmupOperation(i, pass));
}
handlerRuns = 0;
inProgress = 0;
errors = 0;
const { seconds, latencies } = await replay(lines.length, operation);
for (const close of teardown) {
  await close();
}

latencies.sort((a, b) => a - b);
const percentile = (p) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil(p * latencies.length) - 1))];
const summary = {
  peer: '@aws-lambda-powertools/idempotency',
  version: JSON.parse(readFileSync(new URL('./node_modules/@aws-lambda-powertools/idempotency/package.json', import.meta.url), 'utf8')).version,
  mode: floor ? 'floor' : 'engine',
  store,
  localCache: 'local-cache' in args,
  concurrency,
  events: lines.length,
  seconds: round(seconds, 4),
  eventsPerSecond: round(lines.length / seconds, 1),
  p50Ms: round(percentile(0.5), 4),
  p99Ms: round(percentile(0.99), 4),
};
if (!floor) {
  Object.assign(summary, { processed: handlerRuns, duplicates: lines.length - handlerRuns - inProgress - errors, inProgress, errors });
}
console.log(JSON.stringify(summary));

function idempotent(persistenceStore) {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: '[detail.topicName, detail.eventBody]',
    expiresAfterSeconds: 86400,
    useLocalCache: 'local-cache' in args,
    maxLocalCacheSize: 10_000,
  });
  const handler = makeIdempotent(async () => {
    handlerRuns++;
    return { ok: true };
  }, { persistenceStore, config, keyPrefix: `run-${run}` });
  const call = async (text) => {
    try {
      await handler(JSON.parse(text), context);
    } catch (error) {
      if (error?.name === 'IdempotencyAlreadyInProgressError') {
        inProgress++;
      } else {
        errors++;
        if (errors === 1) {
          console.error(error);
        }
      }
    }
  };
  return {
    operation: (i) => call(lines[i]),
    // The workload's own event, with a key no measured event has; re-publishes still match their original per pass.
    warmupOperation: (i, pass) => {
      const event = JSON.parse(lines[i]);
      event.detail.eventBody.benchmarkWarmup = `${run}-${pass}`;
      return call(JSON.stringify(event));
    },
  };
}

async function replay(count, op) {
  const latencies = new Array(count);
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (true) {
      const i = next++;
      if (i >= count) {
        return;
      }
      const t0 = performance.now();
      await op(i);
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { seconds: (performance.now() - started) / 1000, latencies };
}

async function ensureTable(client, tableName, CreateTableCommand, DescribeTableCommand) {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (error?.name !== 'ResourceNotFoundException') {
      throw error;
    }
  }
  await client.send(new CreateTableCommand({
    TableName: tableName,
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
  for (let i = 0; i < 100; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

function parseArgs(argv) {
  const result = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) {
      throw new Error(`unexpected argument ${argv[i]}`);
    }
    const name = argv[i].slice(2);
    if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
      result[name] = argv[++i];
    } else {
      result[name] = true;
    }
  }
  return result;
}

function round(value, digits) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
