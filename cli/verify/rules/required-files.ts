import { defineRule } from '../rule.js';

// PLACEHOLDER: replaced by the real rule before this lands.
export default defineRule({
  id: 'required-files',
  description: 'not implemented yet',
  defaultSeverity: 'error',
  optionsSchema: { type: 'object', additionalProperties: false },
  defaultOptions: {},
});
