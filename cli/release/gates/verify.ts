/** The verify gate: `trt verify` over the release root; no error-severity finding may remain. */
import { relative } from 'node:path';
import { verify } from '../../verify/engine.js';
import { metric, type GateVerdict } from '../model.js';
import type { Gate } from './gate.js';

/** Findings listed in the evidence; the count is always whole. */
const FINDINGS_SHOWN = 20;

export const verifyGate: Gate = {
  name: 'verify',
  title: 'static gates (trt verify)',
  async plan({ settings }) {
    return { does: `trt verify --root ${settings.root} --truth ${relative(settings.root, settings.truthPath) || settings.truthPath}`, targets: ['error findings = 0'], problems: [] };
  },
  async run({ settings, note }): Promise<GateVerdict> {
    const result = await verify({ root: settings.root, truth: settings.truthPath });
    const { errors, warnings, files } = result.summary;
    const scanned = `${files} file${files === 1 ? '' : 's'}`;
    note(`${errors} errors, ${warnings} warnings in ${scanned}`);
    const errorFindings = result.findings.filter((finding) => finding.severity === 'error');
    return {
      status: errors === 0 ? 'pass' : 'fail',
      reason: errors === 0 ? `0 errors, ${warnings} warnings in ${scanned}` : `${errors} error finding${errors === 1 ? '' : 's'}: ${errorFindings.slice(0, 3).map((finding) => finding.rule).join(', ')}${errors > 3 ? ', …' : ''}`,
      metrics: [metric('verify errors', errors, '= 0', errors > 0)],
      evidence: {
        files,
        errors,
        warnings,
        baselined: result.baselined,
        rules: result.rules.map((rule) => rule.id),
        findings: errorFindings.slice(0, FINDINGS_SHOWN).map((finding) => `${finding.file}:${finding.line}:${finding.column} ${finding.rule}: ${finding.message}`),
      },
    };
  },
};
