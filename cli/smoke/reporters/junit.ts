import type { ScenarioResult, SmokeReport } from '../scenario.js';

/**
 * `--format junit`: the JUnit XML that CI test reporters read (GitHub test-report actions, GitLab
 * `artifacts:reports:junit`, Jenkins). One suite for the run, one test case per scenario named
 * "S3 webhook fast-ack"; a failure carries the reason as its message and the evidence as its
 * text, a skip carries the reason, a pass keeps its evidence in `<system-out>`.
 *
 * @example
 * ```xml
 * <testcase classname="trt.smoke" name="S0 health" time="0.012">
 *   <system-out>{ "status": 200 }</system-out>
 * </testcase>
 * ```
 */
export function renderJunit(report: SmokeReport): string {
  // Counted from the test cases written, so the document always agrees with itself.
  const tests = report.scenarios.length;
  const failed = report.scenarios.filter((result) => result.status === 'fail').length;
  const skipped = report.scenarios.filter((result) => result.status === 'skip').length;
  const time = seconds(report.durationMs);
  const suite = {
    name: `trt smoke ${report.url}`,
    tests,
    failures: failed,
    errors: 0,
    skipped,
    time,
    ...timestampAttribute(report.startedAt),
  };
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({ name: 'trt smoke', tests, failures: failed, errors: 0, skipped, time })}>`,
    `  <testsuite${attributes(suite)}>`,
    '    <properties>',
    `      <property${attributes({ name: 'url', value: report.url })}/>`,
    ...(report.passiveUrl === null ? [] : [`      <property${attributes({ name: 'passive-url', value: report.passiveUrl })}/>`]),
    '    </properties>',
    ...report.scenarios.map(testCase),
    '  </testsuite>',
    '</testsuites>',
  ];
  return `${out.join('\n')}\n`;
}

function testCase(result: ScenarioResult): string {
  const open = `    <testcase${attributes({ classname: 'trt.smoke', name: `${result.id} ${result.title}`, time: seconds(result.durationMs) })}>`;
  const evidence = text(JSON.stringify(result.evidence, null, 2));
  switch (result.status) {
    case 'fail':
      return `${open}\n      <failure${attributes({ message: result.reason, type: 'fail' })}>${evidence}</failure>\n    </testcase>`;
    case 'skip':
      return `${open}\n      <skipped${attributes({ message: result.reason })}/>\n    </testcase>`;
    case 'pass':
      return `${open}\n      <system-out>${evidence}</system-out>\n    </testcase>`;
  }
}

/** JUnit times are seconds; milliseconds keep their precision as three decimals. */
function seconds(milliseconds: number): string {
  return (milliseconds / 1000).toFixed(3);
}

/**
 * The Ant JUnit schema that Jenkins and others follow types `timestamp` as a date-time without a
 * zone, so the UTC time is written without its `Z` and milliseconds, as jest-junit does. A start
 * time that does not parse is left out rather than written wrong.
 */
function timestampAttribute(startedAt: string): { timestamp?: string } {
  const started = new Date(startedAt);
  return Number.isNaN(started.getTime()) ? {} : { timestamp: started.toISOString().slice(0, 19) };
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${attribute(String(value))}"`)
    .join('');
}

/**
 * Characters XML 1.0 forbids anywhere, even as character references: C0 controls other than tab,
 * newline and carriage return, lone surrogates, U+FFFE and U+FFFF. A document containing one is
 * rejected whole by strict parsers, so they are dropped.
 */
const FORBIDDEN_IN_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escaping `>` too keeps a `]]>` in the evidence from being read as the end of a CDATA section. */
function text(value: string): string {
  return value.replace(FORBIDDEN_IN_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Tabs and line breaks become references: a parser would otherwise normalise them to spaces in an attribute. */
function attribute(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}
