import os from 'node:os';
import { parseToolCallText, type ToolCall } from '#contracts';
import { createPolicyEngine, parseRule, type PermissionSet } from '#policy';

/**
 * Decisions per second and per-decision latency of the policy engine in one process, over a fixed mix of simple
 * and compound Bash commands and path checks. Each repetition runs the whole mix many times; the figures printed
 * last are the medians over the repetitions. Run with `npm run -s bench:policy`.
 */
const REPETITIONS = 7;
const DECISIONS_PER_REPETITION = 30_000;
const WARMUP_DECISIONS = 10_000;

const rules = (allow: string[], deny: string[]): PermissionSet => ({ allow: allow.map(parseRule), deny: deny.map(parseRule) });
const seedDeny = ['Bash(rm *)', 'Bash(sudo *)', 'Write(/etc/*)'];
const roles = [rules(['Read', 'Bash(git *)', 'Bash(npm test)'], seedDeny), rules(['Read', 'Write', 'Bash(*)'], seedDeny)];

const mix = [
  'Bash(git log --oneline -10)',
  'Bash(npm test)',
  'Bash(git status)',
  'Bash(ls -la)',
  'Bash(rm -rf /)',
  'Bash(sudo reboot)',
  'Bash(npm test; rm -rf /)',
  "Bash(git commit -m 'rm -rf / is dangerous')",
  'Bash(git log $(git rev-parse HEAD~3) -- src | head -20 > /workspace/log.txt)',
  'Bash(cd /workspace/app && npm test 2>&1 | tee /workspace/test.log)',
  "Bash(find . -name '*.ts' -not -path './node_modules/*' | xargs grep -n TODO | sort | uniq -c)",
  'Bash(for f in src/*.ts; do echo "$f"; wc -l "$f"; done)',
  "Bash(bash -c 'git fetch && git rebase origin/main')",
  'Bash(if [ -f package.json ]; then npm test; else echo none; fi)',
  'Bash(FOO=bar timeout 60 env CI=1 npm test)',
  'Bash(git diff HEAD~1 --stat && git log --format="%h %s" -5 && git status --short)',
  'Write(/etc/hosts)',
  'Write(/workspace/src/a.ts)',
  'Read(/workspace/../etc/shadow)',
  'Read(/workspace/README.md)',
  'Edit(/workspace/src/index.ts)',
  'Glob(src/**/*.ts)',
  'Grep(TODO)',
].map((text) => {
  const parsed = parseToolCallText(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.call;
});

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const engine = await createPolicyEngine();
const run = (count: number, latencies?: Float64Array): number => {
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const call: ToolCall = mix[i % mix.length]!;
    const permissions = roles[(i / mix.length) & 1]!;
    const before = latencies ? process.hrtime.bigint() : 0n;
    engine.decide(permissions, call);
    if (latencies) latencies[i] = Number(process.hrtime.bigint() - before) / 1000;
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
};

run(WARMUP_DECISIONS);
const throughputs: number[] = [];
const p50s: number[] = [];
const p99s: number[] = [];
for (let repetition = 0; repetition < REPETITIONS; repetition++) {
  const seconds = run(DECISIONS_PER_REPETITION);
  throughputs.push(DECISIONS_PER_REPETITION / seconds);
  const latencies = new Float64Array(DECISIONS_PER_REPETITION);
  run(DECISIONS_PER_REPETITION, latencies);
  latencies.sort();
  p50s.push(percentile(latencies, 50));
  p99s.push(percentile(latencies, 99));
  console.log(
    `repetition ${repetition + 1}: ${Math.round(throughputs.at(-1)!)} decisions/s, p50 ${p50s.at(-1)!.toFixed(1)} µs, p99 ${p99s.at(-1)!.toFixed(1)} µs`,
  );
}
console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'} × ${os.cpus().length}, mix of ${mix.length} calls over 2 roles`);
console.log(
  JSON.stringify({
    decisions_per_s: Math.round(median(throughputs)),
    p50_us: Number(median(p50s).toFixed(1)),
    p99_us: Number(median(p99s).toFixed(1)),
  }),
);
