import { describe, expect, it } from 'vitest';
import { TrtError } from '../../../cli/core/errors.js';
import { packageFile } from '../../../cli/core/package-root.js';
import { loadTruth } from '../../../cli/core/truth.js';
import { loadModelRegistry, parseModelRegistry } from '../../../bot/generation/models.js';

/** The TrtError parseModelRegistry throws for `text`. */
function problemsOf(text: string): TrtError {
  try {
    parseModelRegistry(text, 'm.yaml');
  } catch (error) {
    if (error instanceof TrtError) return error;
    throw error;
  }
  throw new Error('parseModelRegistry accepted the text');
}

/** A registry of one model whose lines 3–8 are the entry; `extra` lines follow from line 9. */
function oneModel(fields: Partial<Record<'id' | 'title' | 'kind' | 'price_credits' | 'kie_model' | 'input', string>> = {}, extra = ''): string {
  const value = { id: 'test/fast-image', title: 'Fast', kind: 'text-to-image', price_credits: '1', kie_model: 'google/imagen4-fast', input: '{ aspect_ratio: "1:1" }', ...fields };
  return [
    'version: 1',
    'models:',
    `  - id: ${value.id}`,
    `    title: ${value.title}`,
    `    kind: ${value.kind}`,
    `    price_credits: ${value.price_credits}`,
    `    kie_model: ${value.kie_model}`,
    `    input: ${value.input}`,
    extra,
  ].join('\n');
}

describe('product/models.yaml', () => {
  const registry = loadModelRegistry(packageFile('product/models.yaml'));

  it('offers test/fast-image, enabled, for one credit', () => {
    const model = registry.get('test/fast-image');
    expect(model).toMatchObject({ id: 'test/fast-image', kind: 'text-to-image', priceCredits: 1, enabled: true });
    expect(model?.kieModel).not.toBe('');
    expect(registry.enabled().map((enabled) => enabled.id)).toContain('test/fast-image');
  });

  it('has the model smoke S5 of product/truth.yaml names, enabled', () => {
    const s5Model = loadTruth(packageFile('product/truth.yaml')).truth.smoke?.scenarios?.S5?.model;
    expect(typeof s5Model).toBe('string');
    expect(registry.get(s5Model as string)?.enabled).toBe(true);
  });

  it('hides its disabled entries from enabled() but still resolves them by id', () => {
    const all = ['test/fast-image', 'google/nano-banana', 'openai/gpt-image-1.5', 'flux/flux-2-flex'];
    const disabled = all.filter((id) => registry.get(id)?.enabled === false);
    expect(disabled.length).toBeGreaterThan(0);
    const enabledIds = registry.enabled().map((model) => model.id);
    for (const id of disabled) expect(enabledIds).not.toContain(id);
    expect(enabledIds.every((id) => registry.get(id)?.enabled === true)).toBe(true);
  });

  it('never puts the prompt among the input defaults', () => {
    for (const model of registry.enabled()) expect(Object.keys(model.input)).not.toContain('prompt');
  });
});

describe('parseModelRegistry', () => {
  it('maps the file to Model objects; enabled defaults to true; description is optional', () => {
    const registry = parseModelRegistry(
      `${oneModel({}, '    description: Quick square image')}\n  - { id: a/b, title: B, kind: text-to-image, price_credits: 3, kie_model: x, input: {}, enabled: false }\n`,
      'm.yaml',
    );
    expect(registry.get('test/fast-image')).toEqual({
      id: 'test/fast-image',
      title: 'Fast',
      kind: 'text-to-image',
      priceCredits: 1,
      kieModel: 'google/imagen4-fast',
      input: { aspect_ratio: '1:1' },
      enabled: true,
      description: 'Quick square image',
    });
    expect(registry.get('a/b')).toEqual({ id: 'a/b', title: 'B', kind: 'text-to-image', priceCredits: 3, kieModel: 'x', input: {}, enabled: false });
    expect(registry.enabled().map((model) => model.id)).toEqual(['test/fast-image']);
    expect(registry.get('no/such')).toBeUndefined();
  });

  it('hands out models that cannot be changed by accident', () => {
    const model = parseModelRegistry(oneModel(), 'm.yaml').get('test/fast-image')!;
    expect(Object.isFrozen(model)).toBe(true);
    expect(Object.isFrozen(model.input)).toBe(true);
  });
});

describe('an invalid registry is refused with its YAML line', () => {
  it.each([
    ['a price that is not a number', oneModel({ price_credits: 'cheap' }), ['m.yaml:6: models[0].price_credits must be integer']],
    ['a price of zero', oneModel({ price_credits: '0' }), ['m.yaml:6: models[0].price_credits must be >= 1']],
    ['an unknown key', oneModel({}, '    colour: blue'), ['m.yaml:9: models[0].colour is not a known key']],
    ['an id without a family', oneModel({ id: 'fast-image' }), ['m.yaml:3: models[0].id must match pattern']],
    ['an id with capitals', oneModel({ id: 'Google/Nano' }), ['m.yaml:3: models[0].id must match pattern']],
    ['a kind the bot cannot run', oneModel({ kind: 'image-to-video' }), ['m.yaml:5: models[0].kind must be one of "text-to-image"']],
    ['the prompt among the input defaults', oneModel({ input: '{ aspect_ratio: "1:1", prompt: a cat }' }), ['m.yaml:8: models[0].input.prompt is not allowed in input defaults: the prompt is what the user types']],
    ['an input default that is a list', oneModel({ input: '{ image_urls: [] }' }), ['m.yaml:8: models[0].input.image_urls must be string,number,boolean']],
    ['an enabled flag that is a string', oneModel({}, '    enabled: "no"'), ['m.yaml:9: models[0].enabled must be boolean']],
    ['a missing input (on the line of the entry)', oneModel().replace(/^ {4}input:.*$/m, ''), ['m.yaml:3: models[0] is missing the required key "input"']],
    ['no models at all', 'version: 1\nmodels: []\n', ['m.yaml:2: models must NOT have fewer than 1 items']],
    ['the wrong version', 'version: 2\nmodels: []\n', ['m.yaml:1: version must be 1', 'm.yaml:2: models must NOT have fewer than 1 items']],
    ['an empty file', '', ['m.yaml:1: (top level) is empty: the file needs at least `version: 1` and a `models:` list']],
  ])('%s', (_situation, text, expected) => {
    const error = problemsOf(text);
    expect(error.code).toBe('MODELS_SCHEMA');
    expect(error.message).toBe(`m.yaml does not match schemas/models.schema.json (${expected.length} problem${expected.length === 1 ? '' : 's'})`);
    expect(error.details).toHaveLength(expected.length);
    error.details.forEach((detail, index) => expect(detail.startsWith(expected[index]!), `${detail} starts with ${expected[index]}`).toBe(true));
  });

  it('two models with the same id: the error names both lines', () => {
    const text = `${oneModel()}\n  - { id: other/model, title: O, kind: text-to-image, price_credits: 2, kie_model: x, input: {} }\n  - { id: test/fast-image, title: Again, kind: text-to-image, price_credits: 2, kie_model: x, input: {} }\n`;
    const error = problemsOf(text);
    expect(error.code).toBe('MODELS_SCHEMA');
    expect(error.message).toBe('m.yaml gives two models the same id (1 problem)');
    expect(error.details).toEqual(['m.yaml:11: models[2].id "test/fast-image" is already the id of models[0] at line 3']);
  });

  it.each([
    ['a tab as indentation', 'version: 1\nmodels:\n\t- id: a/b\n', 'm.yaml:3: '],
    ['a duplicate key', `${oneModel()}    title: Twice\n`, 'm.yaml:9: Map keys must be unique'],
    ['an unclosed flow mapping', 'version: 1\nmodels:\n  - { id: a/b, title: B\n', 'm.yaml:'],
  ])('YAML that does not parse (%s) is a MODELS_INVALID_YAML error naming the line', (_situation, text, expected) => {
    const error = problemsOf(text);
    expect(error.code).toBe('MODELS_INVALID_YAML');
    expect(error.message).toMatch(/^m\.yaml is not valid YAML \(\d+ problems?\)$/);
    expect(error.details.length).toBeGreaterThan(0);
    expect(error.details[0]!.startsWith(expected), error.details[0]).toBe(true);
  });

  it('a missing file is MODELS_NOT_FOUND, naming the path', () => {
    let error: unknown;
    try {
      loadModelRegistry('/no/such/models.yaml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TrtError);
    expect((error as TrtError).code).toBe('MODELS_NOT_FOUND');
    expect((error as TrtError).message).toContain('/no/such/models.yaml');
  });
});
