import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderJson } from '../../cli/smoke/reporters/json.js';
import { renderJunit } from '../../cli/smoke/reporters/junit.js';
import { renderMarkdown } from '../../cli/smoke/reporters/markdown.js';
import { createTextProgress, renderText } from '../../cli/smoke/reporters/text.js';
import type { ScenarioResult, SmokeReport } from '../../cli/smoke/scenario.js';
import { REPO } from '../cli/run.js';

const ANSI = /\x1b\[[0-9;]*m/;
const NASTY_BODY = 'a < b && c > d "quoted" ]]> end\u0001bell';

const pass: ScenarioResult = {
  id: 'S0',
  title: 'health',
  status: 'pass',
  reason: 'GET /health answered 200 in 12 ms and matches the schema',
  durationMs: 12,
  evidence: { status: 200, latencyMs: 12 },
};
const fail: ScenarioResult = {
  id: 'S3',
  title: 'webhook fast-ack',
  status: 'fail',
  reason: 'p95 was 812 ms | the SLA is 300 ms',
  durationMs: 2345,
  evidence: {
    expected: '200 within 300 ms',
    actual: { status: 500, latencyMs: 812 },
    body: NASTY_BODY,
    p50Ms: 40,
    p95Ms: 812,
    maxMs: 990,
    samples: [40, 41, 812],
    wrongSecretStatus: 401,
  },
};
const skip: ScenarioResult = {
  id: 'S4',
  title: 'PASSIVE UX',
  status: 'skip',
  reason: 'no --passive-url given',
  durationMs: 0,
  evidence: {},
};

const report: SmokeReport = {
  url: 'http://127.0.0.1:8080',
  passiveUrl: null,
  startedAt: '2025-01-31T09:15:02.123Z',
  durationMs: 2401,
  scenarios: [pass, fail, skip],
  summary: { passed: 1, failed: 1, skipped: 1 },
};

/** Collects what a reporter writes, chunk by chunk. */
function memoryStream(): Writable & { chunks: string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return Object.assign(stream, { chunks });
}

describe('renderJson', () => {
  const schema = JSON.parse(readFileSync(join(REPO, 'schemas', 'smoke-report.schema.json'), 'utf8')) as object;
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  ajv.addFormat('date-time', (value: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i.test(value) && !Number.isNaN(Date.parse(value)));
  const validate = ajv.compile(schema);

  it('prints one document that validates against the published schema', () => {
    const output = renderJson(report);
    expect(output.endsWith('}\n')).toBe(true);
    const document = JSON.parse(output) as SmokeReport;
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    expect(document).toEqual(report);
    expect(output).toContain('\n  "scenarios": [');
  });

  it('validates a report with a passive URL and no scenarios', () => {
    const document = JSON.parse(renderJson({ ...report, passiveUrl: 'http://127.0.0.1:8081', scenarios: [], summary: { passed: 0, failed: 0, skipped: 0 } })) as unknown;
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
  });

  it('leaves out fields the schema does not know', () => {
    const withExtra: SmokeReport = { ...report, scenarios: [Object.assign({ internal: 'x' }, pass)] };
    const document = JSON.parse(renderJson(withExtra)) as unknown;
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ['an unknown scenario id', { ...report, scenarios: [{ ...pass, id: 'S9' }] }],
    ['an unknown status', { ...report, scenarios: [{ ...pass, status: 'error' }] }],
    ['a negative count', { ...report, summary: { passed: -1, failed: 0, skipped: 0 } }],
    ['a start time that is not a date-time', { ...report, startedAt: 'yesterday' }],
    ['an extra top-level field', { ...report, exitCode: 1 }],
    ['evidence that is not an object', { ...report, scenarios: [{ ...pass, evidence: [] }] }],
  ])('the schema rejects %s', (_case, document) => {
    expect(validate(document)).toBe(false);
  });
});

describe('renderJunit', () => {
  const xml = renderJunit(report);
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false, parseTagValue: false }).parse(xml) as {
    testsuites: Record<string, string> & {
      testsuite: Record<string, string> & {
        properties: { property: Record<string, string> };
        testcase: Array<Record<string, unknown>>;
      };
    };
  };
  const suites = parsed.testsuites;
  const suite = suites.testsuite;

  it('is well-formed XML without characters XML 1.0 forbids', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    expect(xml).not.toContain(']]>');
  });

  it('counts tests, failures and skips on both levels', () => {
    expect(suites).toMatchObject({ name: 'trt smoke', tests: '3', failures: '1', errors: '0', skipped: '1', time: '2.401' });
    expect(suite).toMatchObject({
      name: 'trt smoke http://127.0.0.1:8080',
      tests: '3',
      failures: '1',
      errors: '0',
      skipped: '1',
      time: '2.401',
      timestamp: '2025-01-31T09:15:02',
    });
    expect(suite.properties.property).toEqual({ name: 'url', value: 'http://127.0.0.1:8080' });
  });

  it('writes one test case per scenario, time in seconds', () => {
    expect(suite.testcase.map(({ classname, name, time }) => ({ classname, name, time }))).toEqual([
      { classname: 'trt.smoke', name: 'S0 health', time: '0.012' },
      { classname: 'trt.smoke', name: 'S3 webhook fast-ack', time: '2.345' },
      { classname: 'trt.smoke', name: 'S4 PASSIVE UX', time: '0.000' },
    ]);
  });

  it('keeps a pass evidence in system-out', () => {
    const [passCase] = suite.testcase;
    expect(JSON.parse(passCase?.['system-out'] as string)).toEqual(pass.evidence);
    expect(passCase).not.toHaveProperty('failure');
  });

  it('gives a failure its reason as message and its evidence, escaped, as text', () => {
    const failure = suite.testcase[1]?.failure as Record<string, string>;
    expect(failure.message).toBe(fail.reason);
    expect(failure.type).toBe('fail');
    const evidence = JSON.parse(failure['#text'] as string) as Record<string, unknown>;
    // The control character is gone from the XML, but JSON had already written it as \u0001.
    expect(evidence).toEqual(fail.evidence);
    expect(evidence.body).toBe(NASTY_BODY);
  });

  it('gives a skip its reason', () => {
    expect(suite.testcase[2]?.skipped).toEqual({ message: skip.reason });
  });

  it('drops forbidden characters and keeps line breaks in attributes', () => {
    const odd = renderJunit({
      ...report,
      passiveUrl: 'http://127.0.0.1:8081',
      scenarios: [{ ...fail, reason: 'first line\nsecond "line" <b>\u0007\u001b[31m & \uFFFF done' }],
    });
    expect(XMLValidator.validate(odd)).toBe(true);
    expect(odd).toContain('message="first line&#10;second &quot;line&quot; &lt;b&gt;[31m &amp;  done"');
    // htmlEntities lets the parser decode character references such as &#10;, as XML parsers do.
    const oddSuite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', htmlEntities: true }).parse(odd) as {
      testsuites: { testsuite: { properties: { property: unknown[] }; testcase: { failure: { message: string } } } };
    };
    expect(oddSuite.testsuites.testsuite.testcase.failure.message).toBe('first line\nsecond "line" <b>[31m &  done');
    expect(oddSuite.testsuites.testsuite.properties.property).toEqual([
      { name: 'url', value: 'http://127.0.0.1:8080' },
      { name: 'passive-url', value: 'http://127.0.0.1:8081' },
    ]);
  });
});

describe('renderMarkdown', () => {
  const markdown = renderMarkdown(report);

  it('heads the report with the URL, the start time and the summary', () => {
    expect(markdown.startsWith('# trt smoke: `http://127.0.0.1:8080`\n')).toBe(true);
    expect(markdown).toContain('2025-01-31T09:15:02.123Z');
    expect(markdown).toContain('**1 passed, 1 failed, 1 skipped in 2.4 s**');
    expect(renderMarkdown({ ...report, passiveUrl: 'http://127.0.0.1:8081' })).toContain('(passive `http://127.0.0.1:8081`)');
  });

  it('has one table row per scenario, with | escaped', () => {
    const rows = markdown.split('\n').filter((line) => line.startsWith('| S'));
    expect(rows).toEqual([
      '| S0 | health | ✅ pass | 12 ms | GET /health answered 200 in 12 ms and matches the schema |',
      '| S3 | webhook fast-ack | ❌ fail | 2.3 s | p95 was 812 ms \\| the SLA is 300 ms |',
      '| S4 | PASSIVE UX | ⏭️ skip | 0 ms | no --passive-url given |',
    ]);
  });

  it('keeps a multi-line reason in its row', () => {
    const row = renderMarkdown({ ...report, scenarios: [{ ...fail, reason: 'first\nsecond <b>' }] })
      .split('\n')
      .find((line) => line.startsWith('| S3'));
    expect(row).toBe('| S3 | webhook fast-ack | ❌ fail | 2.3 s | first<br>second &lt;b> |');
  });

  it('shows each scenario evidence as a JSON block', () => {
    const block = /## S3 webhook fast-ack: ❌ fail\n\n.*\n\n```json\n([\s\S]*?)\n```/.exec(markdown);
    expect(JSON.parse(block?.[1] ?? '')).toEqual(fail.evidence);
    expect(markdown).toContain('## S4 PASSIVE UX: ⏭️ skip\n\nno --passive-url given\n\n_No evidence recorded._');
  });

  it('cuts a big evidence block with a visible marker', () => {
    const big = renderMarkdown({ ...report, scenarios: [{ ...fail, evidence: { body: 'x'.repeat(20_000), lines: Array.from({ length: 500 }, (_, i) => i) } }] });
    const block = /```json\n([\s\S]*?)\n```/.exec(big)?.[1] ?? '';
    expect(block.length).toBeLessThan(9 * 1024);
    expect(block).toMatch(/\n… cut: \d+ more characters/);
  });

  it('fences evidence holding backticks with a longer fence', () => {
    const fenced = renderMarkdown({ ...report, scenarios: [{ ...pass, evidence: { body: '```\n# not a heading' } }] });
    expect(fenced).toContain('````json\n');
    expect(fenced.trimEnd().endsWith('````')).toBe(true);
  });
});

describe('renderText', () => {
  it('has no ANSI codes without colour', () => {
    const text = renderText(report, { color: false });
    expect(text).not.toMatch(ANSI);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^✓ S0 health +12 ms {2}GET \/health answered 200/);
    expect(lines[1]).toMatch(/^✗ S3 webhook fast-ack +2\.3 s {2}p95 was 812 ms \| the SLA is 300 ms$/);
    expect(text).toContain('– S4 PASSIVE UX');
    expect(text).toContain('1 passed, 1 failed, 1 skipped in 2.4 s against http://127.0.0.1:8080\n');
  });

  it('colours when asked', () => {
    expect(renderText(report, { color: true })).toMatch(ANSI);
  });

  it('shows at most six indented lines of a failure evidence, the telling ones first', () => {
    const lines = renderText(report, { color: false }).split('\n');
    const start = lines.findIndex((line) => line.startsWith('✗ S3'));
    const end = lines.findIndex((line, index) => index > start && !line.startsWith('    '));
    const evidence = lines.slice(start + 1, end);
    expect(evidence).toEqual([
      '    expected: "200 within 300 ms"',
      '    actual: {"status":500,"latencyMs":812}',
      `    body: ${JSON.stringify(NASTY_BODY)}`,
      '    p50Ms: 40',
      '    p95Ms: 812',
      '    … 3 more in --format json',
    ]);
  });

  it('cuts a long evidence value', () => {
    const text = renderText({ ...report, scenarios: [{ ...fail, evidence: { body: 'y'.repeat(1000) } }] }, { color: false });
    const line = text.split('\n').find((l) => l.startsWith('    body: '));
    expect(line?.endsWith('…')).toBe(true);
    expect(line?.length).toBeLessThanOrEqual('    body: '.length + 160);
  });

  it('keeps a reason with line breaks and escape sequences on one harmless line', () => {
    const text = renderText({ ...report, scenarios: [{ ...pass, reason: 'one\r\ntwo\x1b[2Jthree' }] }, { color: false });
    expect(text.split('\n')[0]).toMatch(/ one two\[2Jthree$/);
    expect(text).not.toContain('\x1b');
  });
});

describe('createTextProgress', () => {
  it('off a terminal prints nothing on start and one line per result', () => {
    const stream = memoryStream();
    const progress = createTextProgress(stream, { color: false, tty: false });
    progress.start('S0', 'health');
    expect(stream.chunks).toEqual([]);
    progress.end(pass);
    progress.start('S4', 'PASSIVE UX');
    progress.end(skip);
    expect(stream.chunks).toHaveLength(2);
    expect(stream.chunks[0]).toMatch(/^✓ S0 health .*\n$/);
    expect(stream.chunks[1]).toMatch(/^– S4 PASSIVE UX .*\n$/);
    expect(stream.chunks.join('').split('\n')).toHaveLength(3);
    expect(stream.chunks.join('')).not.toMatch(/\r|\x1b/);
  });

  it('off a terminal writes what renderText renders', () => {
    const stream = memoryStream();
    const progress = createTextProgress(stream, { color: false, tty: false });
    for (const result of report.scenarios) {
      progress.start(result.id, result.title);
      progress.end(result);
    }
    progress.finish(report);
    expect(stream.chunks.join('')).toBe(renderText(report, { color: false }));
  });

  it('on a terminal shows the running scenario and overwrites it with the result', () => {
    const stream = memoryStream();
    const progress = createTextProgress(stream, { color: false, tty: true });
    progress.start('S3', 'webhook fast-ack');
    expect(stream.chunks).toEqual(['… S3 webhook fast-ack']);
    progress.end(fail);
    expect(stream.chunks[1]?.startsWith('\r\x1b[2K✗ S3 webhook fast-ack')).toBe(true);
    expect(stream.chunks[1]?.endsWith('\n')).toBe(true);
    progress.finish(report);
    expect(stream.chunks[2]).toBe('\n1 passed, 1 failed, 1 skipped in 2.4 s against http://127.0.0.1:8080\n');
  });

  it('colours progress when asked', () => {
    const stream = memoryStream();
    const progress = createTextProgress(stream, { color: true, tty: true });
    progress.start('S0', 'health');
    progress.end(pass);
    expect(stream.chunks.join('')).toMatch(ANSI);
  });
});
