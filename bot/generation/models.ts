/**
 * The model registry, product/models.yaml: which models /models offers, what each costs and how
 * it is called on KIE. Validated against schemas/models.schema.json when the bot starts, so a
 * mistyped price or model name stops the start with the YAML line instead of failing a paid job.
 *
 * @example
 * const registry = loadModelRegistry(packageFile('product/models.yaml'));
 * const model = registry.get('test/fast-image');
 * if (model?.enabled) createTask({ model: model.kieModel, input: { ...model.input, prompt } });
 */
import { readFileSync } from 'node:fs';
import { TrtError } from '../../cli/core/errors.js';
import { displayPath, parseYamlWithSchema, plural, type YamlSchemaCheck } from '../../cli/core/yaml-schema.js';

export type ModelKind = 'text-to-image';

/** One createTask input default; the schema allows scalars only. */
export type InputDefault = string | number | boolean;

export interface Model {
  /** Stable id (`family/name`), stored with every job. */
  id: string;
  title: string;
  kind: ModelKind;
  priceCredits: number;
  /** The `model` sent to KIE's createTask. */
  kieModel: string;
  /** Defaults merged into createTask's `input`; never holds `prompt`. */
  input: Readonly<Record<string, InputDefault>>;
  enabled: boolean;
  description?: string;
}

export interface ModelRegistry {
  /** The file the registry was read from, for messages. */
  path: string;
  /** The models users may choose, in file order. */
  enabled(): Model[];
  /**
   * Any model by id, disabled ones included: a job created before its model was switched off
   * still has to be resolved when its callback arrives. Check `enabled` before creating a job.
   */
  get(id: string): Model | undefined;
}

/** The file's shape as the schema guarantees it. */
interface ModelsFile {
  version: 1;
  models: {
    id: string;
    title: string;
    kind: ModelKind;
    price_credits: number;
    kie_model: string;
    input: Record<string, InputDefault>;
    enabled?: boolean;
    description?: string;
  }[];
}

const MODELS_CHECK: YamlSchemaCheck = {
  schema: 'schemas/models.schema.json',
  codes: { yaml: 'MODELS_INVALID_YAML', schema: 'MODELS_SCHEMA' },
  minimum: '`version: 1` and a `models:` list',
  describe: (error) =>
    error.keyword === 'propertyNames' && (error.params as { propertyName?: string }).propertyName === 'prompt'
      ? 'is not allowed in input defaults: the prompt is what the user types'
      : undefined,
};

/** Reads and validates a registry file; throws a {@link TrtError} naming every problem and its line. */
export function loadModelRegistry(path: string): ModelRegistry {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new TrtError('MODELS_NOT_FOUND', `cannot read the model registry ${path}`, 'restore product/models.yaml (it ships with the bot); it lists the models /models offers');
  }
  return parseModelRegistry(text, path);
}

/** Validates registry text already in memory (the pure core of {@link loadModelRegistry}). */
export function parseModelRegistry(text: string, path: string): ModelRegistry {
  const { data, lineOf } = parseYamlWithSchema(text, path, MODELS_CHECK);
  const file = data as ModelsFile;

  const firstIndexOf = new Map<string, number>();
  const duplicates: string[] = [];
  file.models.forEach((entry, index) => {
    const first = firstIndexOf.get(entry.id);
    if (first === undefined) {
      firstIndexOf.set(entry.id, index);
      return;
    }
    const idPath = ['models', index, 'id'];
    duplicates.push(`${path}:${lineOf(idPath)}: ${displayPath(idPath)} ${JSON.stringify(entry.id)} is already the id of models[${first}] at line ${lineOf(['models', first, 'id'])}`);
  });
  if (duplicates.length > 0) {
    throw new TrtError(
      'MODELS_SCHEMA',
      `${path} gives two models the same id (${plural(duplicates.length, 'problem')})`,
      'give each model its own id; ids are stored with jobs, so rename the newer entry, not the one already in use',
      duplicates,
    );
  }

  const models = file.models.map(
    (entry): Model =>
      Object.freeze({
        id: entry.id,
        title: entry.title,
        kind: entry.kind,
        priceCredits: entry.price_credits,
        kieModel: entry.kie_model,
        input: Object.freeze({ ...entry.input }),
        enabled: entry.enabled ?? true,
        ...(entry.description === undefined ? {} : { description: entry.description }),
      }),
  );
  const byId = new Map(models.map((model) => [model.id, model]));
  return {
    path,
    enabled: () => models.filter((model) => model.enabled),
    get: (id) => byId.get(id),
  };
}
