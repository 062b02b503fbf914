// perf script output on stdin -> share of the host's CPU samples by category: the first category whose pattern matches a
// frame of the sample's stack (each frame reduced to "[Assembly] Type::Method" or its native library). TOP=regex also
// lists the inclusive share of the frames it matches (N of them, default 40).
import { readFileSync } from 'node:fs';
const cats = [
  ['jit', /libclrjit\.so/],
  ['otel exporter (serialise, send)', /\[OpenTelemetry\.Exporter|BatchExportProcessor|BaseExportProcessor/],
  ['aspnetcore tracing instrumentation', /\[OpenTelemetry\.Instrumentation\.AspNetCore\]/],
  ['httpclient instrumentation', /\[OpenTelemetry\.Instrumentation\.Http\]/],
  ['otel metrics sdk + meter listener', /OpenTelemetry\.Metrics\.|System\.Diagnostics\.Metrics\./],
  ['otel logs sdk', /OpenTelemetry\.Logs\./],
  ['otel trace sdk / sampler', /\[OpenTelemetry(\.Api)?\]/],
  ['activity create/start/stop (BCL)', /System\.Diagnostics\.(Activity|ActivitySource|ActivityListener|DiagnosticListener)[:+]|HostingApplicationDiagnostics::(Start|Stop)Activity/],
  ['genesysdedup', /\[GenesysDedup\./],
  ['kestrel/aspnetcore', /\[Microsoft\.AspNetCore/],
  ['logging', /\[Microsoft\.Extensions\.Logging/],
  ['gc/runtime (libcoreclr)', /libcoreclr\.so/],
  ['kernel', /kernel\.kallsyms/],
];
const frame = l => { const m = l.match(/\[([\w.]+)\] ([^\s\[(]+::[^\s(]+)/); if (m) return `[${m[1]}] ${m[2]}`; const d = l.match(/\(([^()]*)\)\s*$/); return d ? d[1] : l.trim(); };
const lines = readFileSync(0, 'utf8').split('\n');
const count = {}, incl = {}; let total = 0, cur = [];
const flush = () => { if (!cur.length) return; total++; const fr = cur.slice(1).map(frame);
  const c = cats.find(([, r]) => fr.some(f => r.test(f))); const k = c ? c[0] : 'other'; count[k] = (count[k] || 0) + 1;
  for (const f of new Set(fr)) incl[f] = (incl[f] || 0) + 1; cur = []; };
for (const l of lines) { if (l === '') flush(); else cur.push(l); }
flush();
for (const [k, v] of Object.entries(count).sort((a, b) => b[1] - a[1])) console.log(`${(100 * v / total).toFixed(1).padStart(5)} %  ${k}`);
console.log(`samples ${total}`);
if (process.env.TOP) { const re = new RegExp(process.env.TOP); for (const [k, v] of Object.entries(incl).filter(([k]) => re.test(k)).sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.N || 40))) console.log(`  ${(100 * v / total).toFixed(1).padStart(5)} % incl  ${k}`); }
