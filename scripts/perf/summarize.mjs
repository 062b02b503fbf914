// Summarises the JSON lines that bench.sh / http-load.sh collect: one line per measurement, each with a `label` and
// the `round` it ran in. Prints, per label, the median and min–max over rounds of events/s (and p50/p99), then each
// ratio of interest computed WITHIN each round (ours and its floor ran back to back) and summarised the same way.
//   node summarize.mjs results.jsonl [ratios.json]
// ratios.json: [["name", "numerator label", "denominator label"], ...]; without it, every label over every *floor* label of the same store/concurrency is skipped and only labels print.
import { readFileSync } from 'node:fs';

const [file, ratioFile] = process.argv.slice(2);
const rows = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
const ratios = ratioFile ? JSON.parse(readFileSync(ratioFile, 'utf8')) : [];

const byLabel = new Map();
for (const row of rows) {
  if (!byLabel.has(row.label)) byLabel.set(row.label, []);
  byLabel.get(row.label).push(row);
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fmt = (value, digits) => (value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits));
const stat = (values, digits) => values.length === 0
  ? '-'
  : `${fmt(median(values), digits)} (${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)})`;

const out = [];
out.push('| measurement | runs | events/s median (min–max) | p50 ms median | p99 ms median | store calls/event | Redis round trips/event |');
out.push('|---|---|---|---|---|---|---|');
for (const [label, list] of byLabel) {
  const eps = list.map((r) => r.eventsPerSecond).filter((v) => v !== undefined);
  const p50 = list.map((r) => r.p50Ms).filter((v) => v !== undefined);
  const p99 = list.map((r) => r.p99Ms).filter((v) => v !== undefined);
  const calls = list.map((r) => r.storeCallsPerEvent).filter((v) => v !== undefined);
  const trips = list.map((r) => r.redisRoundTripsPerEvent).filter((v) => v !== undefined);
  out.push(`| ${label} | ${list.length} | ${stat(eps, 0)} | ${p50.length ? fmt(median(p50), 3) : '-'} | ${p99.length ? fmt(median(p99), 3) : '-'} | ${calls.length ? fmt(median(calls), 2) : '-'} | ${trips.length ? fmt(median(trips), 2) : '-'} |`);
}

if (ratios.length) {
  out.push('');
  out.push('| ratio (same round) | rounds | median (min–max) |');
  out.push('|---|---|---|');
  for (const [name, numerator, denominator] of ratios) {
    const num = new Map((byLabel.get(numerator) ?? []).map((r) => [r.round, r.eventsPerSecond]));
    const den = new Map((byLabel.get(denominator) ?? []).map((r) => [r.round, r.eventsPerSecond]));
    const values = [...num.keys()].filter((round) => den.has(round)).map((round) => num.get(round) / den.get(round));
    if (values.length) out.push(`| ${name} | ${values.length} | ${stat(values, 3)} |`);
  }
}

console.log(out.join('\n'));
