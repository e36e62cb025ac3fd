import { pathToFileURL } from 'node:url';
import { ENGINE_RULES, type VerifyResult } from '../finding.js';

export interface SarifOptions {
  toolVersion: string;
}

const HELP_URI = 'https://github.com/trt-dev/trt#rules';

/**
 * `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it: one run, the rules that ran as
 * `tool.driver.rules`, each finding a result whose location is relative to `%SRCROOT%`.
 */
export function renderSarif(result: VerifyResult, options: SarifOptions): string {
  const rules = [...result.rules];
  if (result.findings.some((finding) => finding.rule === ENGINE_RULES.parseError)) {
    rules.push({ id: ENGINE_RULES.parseError, description: 'A source file that does not parse cannot be checked by any rule.', severity: 'error' });
  }
  const ruleIndex = new Map(rules.map((rule, index) => [rule.id, index]));
  const level = (severity: string) => (severity === 'error' ? 'error' : 'warning');
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'trt',
            semanticVersion: options.toolVersion,
            informationUri: 'https://github.com/trt-dev/trt',
            rules: rules.map((rule) => ({
              id: rule.id,
              name: rule.id.replace(/(^|-)(\w)/g, (_, _dash: string, letter: string) => letter.toUpperCase()),
              shortDescription: { text: rule.description },
              helpUri: `${HELP_URI}-${rule.id}`,
              defaultConfiguration: { level: level(rule.severity) },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(`${result.root}/`).href } },
        columnKind: 'utf16CodeUnits',
        results: result.findings.map((finding) => ({
          ruleId: finding.rule,
          ruleIndex: ruleIndex.get(finding.rule) ?? -1,
          level: level(finding.severity),
          message: { text: finding.fix ? `${finding.message} Fix: ${finding.fix}` : finding.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: relativeUri(finding.file), uriBaseId: '%SRCROOT%' },
                region: { startLine: finding.line, startColumn: finding.column },
              },
            },
          ],
        })),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

/**
 * A root-relative path as a relative URI reference: each segment percent-encoded, so that `#`,
 * `?` or `%` in a file name stay part of the path (encodeURI would leave `#` to start a fragment).
 */
function relativeUri(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}
