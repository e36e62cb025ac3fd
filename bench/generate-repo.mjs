#!/usr/bin/env node
/**
 * Generates a realistic TypeScript repository of a given size for `npm run bench`: the shape of a
 * production Telegram bot service (Fastify app, grammY-style feature modules, PostgreSQL
 * repositories) with nested feature folders, barrels, `@app/*` tsconfig paths, `.js` ESM
 * specifiers, `import type`, re-exports, a handful of dynamic imports, and a known number of
 * planted import cycles. Everything the 13 `trt verify` rules read is there (truth.yaml, health
 * schema, migrations, deploy files, knowledge base, quarantine), so a run exercises every rule.
 *
 * Deterministic: the same size and seed always give byte-identical files, so runs compare.
 *
 * The import graph outside the planted cycles is acyclic by construction: every module imports
 * only items generated before it (earlier modules and barrels of its feature, earlier features'
 * barrels, core modules). Each planted cycle is a chain of 2-4 consecutive service modules of one
 * feature that import nothing else of their own cycle, closed by one back edge; so each cycle is
 * exactly one strongly connected group holding exactly one simple cycle, whatever tool counts it.
 *
 * Usage: node bench/generate-repo.mjs --modules 3000 --out bench/.work/repo-3000 [--seed 42]
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from './lib.mjs';

/** Seeded choices (mulberry32): tiny, fast, and good enough to shape a fake repository. */
function createRandom(seed) {
  const next = mulberry32(seed);
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (probability) => next() < probability,
    sample(list, count) {
      const pool = [...list];
      const picked = [];
      while (picked.length < count && pool.length > 0) picked.push(pool.splice(Math.floor(next() * pool.length), 1)[0]);
      return picked;
    },
  };
}

const FEATURE_WORDS = [
  'billing', 'payments', 'generation', 'gallery', 'referrals', 'subscriptions', 'notifications', 'onboarding',
  'profile', 'moderation', 'analytics', 'credits', 'promo', 'support', 'language', 'settings', 'history',
  'favorites', 'presets', 'styles', 'upscale', 'video', 'voice', 'captions', 'quota', 'invoices', 'refunds',
  'wallet', 'rewards', 'campaigns', 'feedback', 'reports', 'exports', 'imports', 'search', 'tags', 'albums',
  'sharing', 'inline', 'groups', 'channels', 'broadcast', 'scheduler', 'reminders', 'limits', 'abuse',
  'captcha', 'locale', 'pricing', 'catalog', 'models', 'prompts', 'templates', 'webhooks', 'sessions',
  'tokens', 'audit', 'backups', 'health', 'metrics',
];
const FEATURE_QUALIFIERS = ['core', 'admin', 'public', 'batch', 'legacy-bridge', 'v2', 'pro', 'team', 'mobile'];
const NOUNS = [
  'order', 'invoice', 'job', 'prompt', 'image', 'credit', 'wallet', 'user', 'session', 'task', 'quota', 'plan',
  'coupon', 'message', 'template', 'report', 'event', 'payment', 'refund', 'model', 'preset', 'style', 'album',
  'caption', 'chat', 'member', 'channel', 'reminder', 'schedule', 'price', 'discount', 'ticket', 'review',
  'upload', 'render', 'queue', 'batch', 'limit', 'token', 'receipt', 'account', 'balance', 'ledger', 'bonus',
];
const SUBS = ['model', 'util', 'repo', 'services', 'ui', 'handlers'];
const SUB_ROLES = {
  model: [''],
  util: ['format', 'parse', 'math', 'guards', 'keys', 'dates'],
  repo: ['repository', 'store', 'queries'],
  services: ['service', 'workflow', 'policy', 'calculator', 'sync', 'client'],
  ui: ['view', 'keyboard', 'message', 'card'],
  handlers: ['command', 'callback', 'webhook', 'inline', 'text'],
};
const GROUPS = ['internal', 'flows', 'admin', 'jobs', 'common', 'v2'];
const CORE_AREAS = ['log', 'errors', 'clock', 'result', 'ids', 'money', 'retry', 'cache', 'events', 'http', 'i18n', 'validation', 'queue', 'metrics'];
const FIELD_TYPES = ['string', 'number', 'boolean', 'Date', 'string | null', 'readonly string[]', 'Record<string, number>', 'bigint'];
const FIELD_NAMES = [
  'id', 'chatId', 'userId', 'createdAt', 'updatedAt', 'status', 'amount', 'currency', 'title', 'caption', 'prompt',
  'attempts', 'priority', 'locale', 'expiresAt', 'source', 'externalId', 'note', 'tags', 'weights', 'version', 'score',
];
const STATUSES = ['pending', 'active', 'done', 'failed', 'cancelled', 'expired', 'queued', 'running', 'paused'];
const COMMANDS = ['start', 'help', 'buy', 'balance', 'history', 'settings', 'cancel', 'retry', 'share', 'stats'];

/** Declared in the generated truth (env.optional / env.required): the only variables the code reads. */
const DECLARED_ENV = {
  required: ['TELEGRAM_BOT_TOKEN', 'WEBHOOK_SECRET', 'ADMIN_SECRET'],
  optional: {
    DATABASE_URL: '', DATABASE_URL_READONLY: '', PORT: '8080', PUBLIC_URL: '', TELEGRAM_API_ROOT: 'https://api.telegram.org',
    KIE_API_ROOT: 'https://api.kie.ai', KIE_API_KEY: '', LOG_LEVEL: 'info', GENERATION_TIMEOUT_MS: '60000',
    CREDITS_PER_IMAGE: '1', MAX_PROMPT_LENGTH: '1000', CACHE_TTL_S: '300', QUEUE_CONCURRENCY: '4', FEATURE_FLAGS: '',
    SUPPORT_CHAT_ID: '', PAYMENT_PROVIDER_TOKEN: '', SENTRY_DSN: '', DEFAULT_LOCALE: 'en', RATE_LIMIT_PER_MIN: '30',
  },
};
const ENV_READS = [...DECLARED_ENV.required, ...Object.keys(DECLARED_ENV.optional)];

const ROUTES = [
  { method: 'GET', path: '/health', auth: 'none', sla: 200, handler: 'healthHandler', file: 'health' },
  { method: 'POST', path: '/webhook', auth: 'webhook_secret', sla: 500, handler: 'webhookHandler', file: 'webhook' },
  { method: 'POST', path: '/kie-callback', auth: 'none', sla: 500, handler: 'kieCallbackHandler', file: 'kie-callback' },
  { method: 'GET', path: '/metrics', auth: 'none', handler: 'metricsHandler', file: 'metrics' },
  { method: 'GET', path: '/admin/db/health', auth: 'admin', handler: 'adminDbHealthHandler', file: 'admin' },
  { method: 'GET', path: '/admin/events', auth: 'admin', handler: 'adminEventsHandler', file: 'admin' },
  { method: 'GET', path: '/admin/ops/snapshot', auth: 'admin', handler: 'adminSnapshotHandler', file: 'admin' },
];

const pascal = (name) => name.split(/[-_/]/).filter(Boolean).map((part) => part[0].toUpperCase() + part.slice(1)).join('');
const camel = (name) => {
  const value = pascal(name);
  return value[0].toLowerCase() + value.slice(1);
};
const constant = (name) => name.replace(/[-/]/g, '_').toUpperCase();

/**
 * Writes the repository into `out` (emptied first) and returns what the bench checks against.
 * @param {{ modules: number, out: string, seed?: number }} options
 * @returns {{ root: string, modules: number, files: number, bytes: number, cycles: { files: string[] }[], touchFile: string }}
 */
export function generateRepo({ modules, out, seed = 42 }) {
  if (!Number.isInteger(modules) || modules < 60) throw new Error(`--modules must be a whole number of at least 60, not ${modules}`);
  const random = createRandom(seed * 1_000_003 + modules);
  const root = resolve(out);
  rmSync(root, { recursive: true, force: true });
  const written = new Map();
  const write = (path, text) => written.set(path, text);

  // Infrastructure modules, fixed: entrypoint, app, http handlers, db, telegram helpers.
  const infraFiles = [
    'src/main.ts', 'src/app.ts', 'src/config/env.ts', 'src/db/pool.ts', 'src/db/lock.ts', 'src/db/migrate.ts',
    'src/telegram/escape.ts', 'src/telegram/api.ts', 'src/telegram/context.ts', 'src/http/health.ts', 'src/http/webhook.ts',
    'src/http/kie-callback.ts', 'src/http/metrics.ts', 'src/http/admin.ts', 'src/features/index.ts',
  ];
  const coreCount = Math.max(12, Math.round(modules * 0.04));
  const featureBudget = modules - infraFiles.length - coreCount;
  const perFeature = 48;
  const featureCount = Math.max(1, Math.round(featureBudget / perFeature));
  if (featureBudget / featureCount < 20) throw new Error(`--modules ${modules} is too small for the repository shape`);
  const featureNames = [];
  for (let index = 0; index < featureCount; index++) {
    const word = FEATURE_WORDS[index % FEATURE_WORDS.length];
    const round = Math.floor(index / FEATURE_WORDS.length);
    featureNames.push(round === 0 ? word : `${word}-${FEATURE_QUALIFIERS[(round - 1) % FEATURE_QUALIFIERS.length]}${round > FEATURE_QUALIFIERS.length ? round : ''}`);
  }

  /** Every module: path, exports, imports, kind; barrels included. */
  const items = [];
  const byPath = new Map();
  const addItem = (item) => {
    items.push(item);
    byPath.set(item.path, item);
    return item;
  };

  // Core library: src/core/<area>/<name>.ts, each importing only earlier core modules.
  const coreItems = [];
  for (let index = 0; index < coreCount; index++) {
    const area = CORE_AREAS[index % CORE_AREAS.length];
    const name = `${random.pick(NOUNS)}-${area}${index >= CORE_AREAS.length ? `-${Math.floor(index / CORE_AREAS.length)}` : ''}`;
    const base = pascal(`${area}-${name}`);
    const item = addItem({
      path: `src/core/${area}/${name}.ts`, kind: 'core', base,
      value: `${camel(base)}`, type: `${base}Options`, imports: [], reexports: [], cycle: undefined,
    });
    const candidates = coreItems.slice();
    for (const target of random.sample(candidates, Math.min(candidates.length, random.int(1, 4)))) item.imports.push(importOf(item, target, random));
    coreItems.push(item);
  }

  // Cycles: about one per 500 modules, at least 3, lengths 2, 3, 4 in turn, each in its own feature.
  const cycleCount = Math.max(3, Math.round(modules / 500));
  const cycleFeatures = new Map();
  for (let cycle = 0; cycle < cycleCount; cycle++) {
    const feature = Math.min(featureCount - 1, Math.floor(((cycle + 0.5) * featureCount) / cycleCount));
    if (!cycleFeatures.has(feature)) cycleFeatures.set(feature, 2 + (cycle % 3));
  }
  const cycles = [];

  // Feature sizes: equal shares with zero-sum jitter, so the total is exactly `modules`.
  const sizes = Array.from({ length: featureCount }, (_, index) => Math.floor(featureBudget / featureCount) + (index < featureBudget % featureCount ? 1 : 0));
  for (let index = 0; index + 1 < featureCount; index += 2) {
    const jitter = random.int(-6, 6);
    sizes[index] += jitter;
    sizes[index + 1] -= jitter;
  }

  const featureBarrels = [];
  for (let featureIndex = 0; featureIndex < featureCount; featureIndex++) {
    const feature = featureNames[featureIndex];
    const folder = `src/features/${feature}`;
    // Two files per feature are the barrel and register.ts; the rest are spread over the sub folders.
    const subBarrels = SUBS.filter(() => random.chance(0.5));
    const moduleSlots = sizes[featureIndex] - 2 - subBarrels.length;
    const weights = { model: 3, util: 2, repo: 2, services: 4, ui: 2, handlers: 3 };
    const totalWeight = Object.values(weights).reduce((sum, weight) => sum + weight, 0);
    const counts = Object.fromEntries(SUBS.map((sub) => [sub, Math.max(1, Math.floor((moduleSlots * weights[sub]) / totalWeight))]));
    let assigned = Object.values(counts).reduce((sum, count) => sum + count, 0);
    for (let index = 0; assigned < moduleSlots; index++, assigned++) counts[SUBS[index % SUBS.length]] += 1;
    const cycleLength = cycleFeatures.get(featureIndex);
    while (cycleLength && counts.services < cycleLength + 1) {
      const donor = SUBS.filter((sub) => sub !== 'services').sort((a, b) => counts[b] - counts[a])[0];
      counts[donor] -= 1;
      counts.services += 1;
    }

    const featureItems = [];
    const handlers = [];
    const usedNames = new Set();
    for (const sub of SUBS) {
      const subItems = [];
      const grouped = counts[sub] > 8;
      for (let index = 0; index < counts[sub]; index++) {
        let name;
        do {
          const noun = random.pick(NOUNS);
          const role = random.pick(SUB_ROLES[sub]);
          name = role ? `${noun}-${role}` : noun;
          if (usedNames.has(name)) name = `${name}-${index}`;
        } while (usedNames.has(name));
        usedNames.add(name);
        const group = grouped && index >= 4 ? GROUPS[index % GROUPS.length] : '';
        const path = `${folder}/${sub}/${group ? `${group}/` : ''}${name}.ts`;
        const base = pascal(`${feature}-${name}`);
        const item = addItem({ path, kind: sub, base, value: valueName(sub, base), type: `${base}Options`, imports: [], reexports: [], feature });
        subItems.push(item);
      }
      // Plant the cycle in the first services modules after the first one.
      let cycleMembers = [];
      if (sub === 'services' && cycleLength) {
        cycleMembers = subItems.slice(1, 1 + cycleLength);
        cycleMembers.forEach((member, position) => (member.cycle = { id: cycles.length, position }));
        cycles.push({ files: cycleMembers.map((member) => member.path) });
      }
      for (const item of subItems) {
        // Earlier items of this feature (modules and barrels of earlier subs, earlier modules of this sub).
        const candidates = featureItems.filter((candidate) => !(item.cycle && candidate.cycle));
        const localCount = Math.min(candidates.length, random.int(2, 6));
        for (const target of random.sample(candidates, localCount)) item.imports.push(importOf(item, target, random));
        if (item.cycle) {
          const { position } = item.cycle;
          const previous = cycleMembers[position - 1] ?? cycleMembers[cycleMembers.length - 1];
          item.imports.push(importOf(item, previous, random, { valueOnly: true }));
        }
        // Earlier features through their public barrel (the tsconfig path), and the core library.
        if (featureBarrels.length > 0) {
          for (const barrel of random.sample(featureBarrels, random.int(0, 2))) item.imports.push(importOf(item, barrel, random, { viaPath: true }));
        }
        for (const target of random.sample(coreItems, random.int(1, 3))) item.imports.push(importOf(item, target, random, { viaPath: random.chance(0.8) }));
        featureItems.push(item);
        if (sub === 'handlers') handlers.push(item);
      }
      if (subBarrels.includes(sub)) {
        const barrel = addItem({
          path: `${folder}/${sub}/index.ts`, kind: 'barrel', base: pascal(`${feature}-${sub}`), imports: [], reexports: [],
          exportsFrom: subItems.slice(0, Math.min(subItems.length, 6)),
        });
        barrel.value = barrel.exportsFrom.map((target) => target.value);
        barrel.type = barrel.exportsFrom[0].type;
        featureItems.push(barrel);
      }
    }
    const register = addItem({
      path: `${folder}/register.ts`, kind: 'register', base: pascal(feature), value: `register${pascal(feature)}`, type: `${pascal(feature)}Deps`,
      imports: [], reexports: [], feature, handlers,
    });
    for (const handler of handlers) register.imports.push(importOf(register, handler, random, { valueOnly: true }));
    // The public barrel re-exports register.ts and every module nobody in the feature imports,
    // so that every file is reachable from src/main.ts (as it is in a real, tidy service).
    const imported = new Set(featureItems.flatMap((item) => item.imports.map((ref) => ref.target)));
    const publicItems = featureItems.filter((item) => item.kind !== 'barrel' && item.kind !== 'handlers' && !imported.has(item.path));
    const barrel = addItem({
      path: `${folder}/index.ts`, kind: 'feature-barrel', base: pascal(feature), imports: [], reexports: [],
      exportsFrom: [register, ...publicItems, ...featureItems.filter((item) => item.kind === 'model').slice(0, 3)],
    });
    barrel.value = [register.value, ...publicItems.filter((item) => item.kind !== 'barrel').map((item) => item.value)];
    barrel.type = `${pascal(feature)}Deps`;
    featureBarrels.push(barrel);
  }

  // Render every file.
  for (const item of items) write(item.path, renderModule(item, random));
  write('src/features/index.ts', renderFeatureRegistry(featureBarrels));
  writeInfrastructure(write);
  const quarantineFiles = writeRepositoryFiles(write, random, modules);

  let bytes = 0;
  const folders = new Set();
  for (const [path, text] of written) {
    const target = join(root, path);
    const folder = dirname(target);
    if (!folders.has(folder)) {
      mkdirSync(folder, { recursive: true });
      folders.add(folder);
    }
    writeFileSync(target, text);
    bytes += Buffer.byteLength(text);
  }
  const sourceModules = [...written.keys()].filter((path) => path.startsWith('src/') && path.endsWith('.ts')).length;
  const touchFile = items.find((item) => item.kind === 'services' && !item.cycle && item.feature === featureNames[Math.floor(featureCount / 2)])?.path ?? items[0].path;
  return { root, modules: sourceModules, files: written.size, bytes, quarantineFiles, cycles, touchFile };
}

function valueName(sub, base) {
  switch (sub) {
    case 'model': return `parse${base}`;
    case 'util': return `${camel(base)}`;
    case 'repo': return `create${base}`;
    case 'services': return `create${base}`;
    case 'ui': return `render${base}`;
    default: return `handle${base}`;
  }
}

/** One import statement from `from` to `target`, in one of the forms real code uses. */
function importOf(from, target, random, { viaPath = false, valueOnly = false } = {}) {
  const values = Array.isArray(target.value) ? target.value : [target.value];
  let specifier;
  if (viaPath) {
    specifier = `@app/${target.path.slice('src/'.length).replace(/\.ts$/, '.js')}`;
  } else {
    const relativePath = posix.relative(posix.dirname(from.path), target.path).replace(/\.ts$/, '.js');
    specifier = relativePath.startsWith('.') ? relativePath : `./${relativePath}`;
  }
  const roll = random.next();
  if (!valueOnly && roll < 0.18) return { target: target.path, specifier, form: 'type', names: [target.type] };
  if (!valueOnly && roll < 0.3) return { target: target.path, specifier, form: 'mixed', names: [values[0]], types: [target.type] };
  if (!valueOnly && roll < 0.33 && from.kind !== 'core') return { target: target.path, specifier, form: 'dynamic', names: [values[0]] };
  if (!valueOnly && roll < 0.38) return { target: target.path, specifier, form: 'reexport', names: [values[0]] };
  return { target: target.path, specifier, form: 'value', names: random.sample(values, Math.min(values.length, random.int(1, 2))) };
}

/** Import lines with unique local names; returns the lines and the local names to use. */
function importLines(item) {
  const taken = new Set([item.value, item.type, item.base].flat());
  const lines = [];
  const valueLocals = [];
  const typeLocals = [];
  const dynamicImports = [];
  const local = (name) => {
    let alias = name;
    for (let suffix = 2; taken.has(alias); suffix++) alias = `${name}${suffix}`;
    taken.add(alias);
    return alias;
  };
  const clause = (name, alias) => (alias === name ? name : `${name} as ${alias}`);
  for (const ref of item.imports) {
    if (ref.form === 'dynamic') {
      dynamicImports.push(ref);
      continue;
    }
    if (ref.form === 'reexport') {
      lines.push(`export { ${ref.names[0]} as ${local(`${ref.names[0]}Export`)} } from '${ref.specifier}';`);
      continue;
    }
    if (ref.form === 'type') {
      const alias = local(ref.names[0]);
      typeLocals.push(alias);
      lines.push(`import type { ${clause(ref.names[0], alias)} } from '${ref.specifier}';`);
      continue;
    }
    const parts = ref.names.map((name) => {
      const alias = local(name);
      valueLocals.push(alias);
      return clause(name, alias);
    });
    for (const name of ref.types ?? []) {
      const alias = local(name);
      typeLocals.push(alias);
      parts.push(`type ${clause(name, alias)}`);
    }
    lines.push(`import { ${parts.join(', ')} } from '${ref.specifier}';`);
  }
  return { lines, valueLocals, typeLocals, dynamicImports };
}

function externalImports(item, random) {
  const lines = [];
  if (item.kind === 'repo') lines.push(`import type { Pool, PoolClient } from 'pg';`);
  if (item.kind === 'handlers') lines.push(`import type { Context } from 'grammy';`);
  if (item.kind === 'handlers' || item.kind === 'ui') lines.push(`import { escapeHtml } from '@app/telegram/escape.js';`);
  if (item.kind === 'services' && random.chance(0.3)) lines.push(`import { setTimeout as delay } from 'node:timers/promises';`);
  if (item.kind === 'util' && random.chance(0.3)) lines.push(`import { createHash } from 'node:crypto';`);
  return lines;
}

function fields(random, count) {
  return random.sample(FIELD_NAMES, count).map((name) => `  ${name}${random.chance(0.25) ? '?' : ''}: ${random.pick(FIELD_TYPES)};`);
}

/** Filler that real modules have: helpers with branches, loops, template strings and env reads. */
function helperBlock(random, index, item) {
  const name = `${camel(item.base)}Step${index}`;
  // Configuration mostly arrives as arguments; a minority of modules read the environment directly.
  const fromEnv = (fallback) => (random.chance(0.08) ? `process.env.${random.pick(ENV_READS)} ?? ${fallback}` : fallback);
  switch (random.int(0, 5)) {
    case 0:
      return [
        `/** Clamps the ${random.pick(NOUNS)} count so one request cannot starve the queue. */`,
        `function ${name}(value: number, limit = Number(${fromEnv(random.int(5, 500))})): number {`,
        `  if (!Number.isFinite(value) || value < 0) return 0;`,
        `  return Math.min(value, limit);`,
        `}`,
      ];
    case 1:
      return [
        `function ${name}(items: readonly string[]): string {`,
        `  const lines: string[] = [];`,
        `  for (const [position, entry] of items.entries()) {`,
        `    if (!entry.trim()) continue;`,
        `    lines.push(\`\${position + 1}. \${entry.slice(0, ${random.int(20, 80)})}\`);`,
        `  }`,
        `  return lines.length > 0 ? lines.join('\\n') : '${random.pick(['nothing yet', 'empty', 'no entries'])}';`,
        `}`,
      ];
    case 2:
      return [
        `async function ${name}<T>(attempt: () => Promise<T>, tries = ${random.int(2, 5)}): Promise<T> {`,
        `  let lastError: unknown;`,
        `  for (let round = 0; round < tries; round++) {`,
        `    try {`,
        `      return await attempt();`,
        `    } catch (error) {`,
        `      lastError = error;`,
        `      await new Promise((resolve) => setTimeout(resolve, ${random.int(50, 400)} * 2 ** round));`,
        `    }`,
        `  }`,
        `  throw new Error(\`${name} gave up after \${tries} tries: \${String(lastError)}\`);`,
        `}`,
      ];
    case 3:
      return [
        `function ${name}(status: string): '${STATUSES[0]}' | '${STATUSES[1]}' | '${STATUSES[3]}' {`,
        `  switch (status) {`,
        `    case '${random.pick(STATUSES)}':`,
        `    case '${random.pick(STATUSES)}':`,
        `      return '${STATUSES[1]}';`,
        `    case '${STATUSES[3]}':`,
        `      return '${STATUSES[3]}';`,
        `    default:`,
        `      return '${STATUSES[0]}';`,
        `  }`,
        `}`,
      ];
    case 4:
      return [
        `const ${constant(name)} = {`,
        `  timeoutMs: Number(${fromEnv(`'${random.int(1000, 30000)}'`)}),`,
        `  label: '${item.base}',`,
        `  retries: ${random.int(0, 5)},`,
        `} as const;`,
        ``,
        `function ${name}(): string {`,
        `  return \`\${${constant(name)}.label}:\${${constant(name)}.timeoutMs}ms/\${${constant(name)}.retries}\`;`,
        `}`,
      ];
    default:
      return [
        `function ${name}(record: Record<string, unknown>): Map<string, string> {`,
        `  const result = new Map<string, string>();`,
        `  for (const [key, value] of Object.entries(record)) {`,
        `    if (value === undefined || value === null) continue;`,
        `    result.set(key, typeof value === 'object' ? JSON.stringify(value) : String(value));`,
        `  }`,
        `  return result;`,
        `}`,
      ];
  }
}

function renderModule(item, random) {
  if (item.kind === 'barrel' || item.kind === 'feature-barrel') return renderBarrel(item);
  const { lines: imports, valueLocals, typeLocals, dynamicImports } = importLines(item);
  const external = externalImports(item, random);
  const target = 40 + Math.floor(160 * random.next() ** 1.6);
  const out = [`/**`, ` * ${item.base}: ${describe(item)}`, ` */`, ...external, ...imports, ''];
  if (item.kind !== 'register') out.push(`export interface ${item.type} {`, ...fields(random, random.int(3, 9)), `}`, '');
  const usesExpression = valueLocals.length > 0 ? `[${valueLocals.map((name) => `typeof ${name}`).join(', ')}].join(',')` : `'${item.base}'`;
  const typeParam = typeLocals[0] ? `${typeLocals[0]} | undefined` : 'unknown';

  switch (item.kind) {
    case 'model': {
      const statusList = random.sample(STATUSES, random.int(2, 5));
      out.push(
        `export type ${item.base}Status = ${statusList.map((status) => `'${status}'`).join(' | ')};`,
        '',
        `export interface ${item.base} {`, ...fields(random, random.int(4, 10)).filter((line) => !line.startsWith('  status')), `  status: ${item.base}Status;`, `}`, '',
        `export function ${item.value}(raw: unknown, context?: ${typeParam}): ${item.base} {`,
        `  if (typeof raw !== 'object' || raw === null) throw new TypeError('${item.base}: expected an object, got ' + typeof raw);`,
        `  const record = raw as Record<string, unknown>;`,
        `  const status = String(record.status ?? '${statusList[0]}') as ${item.base}Status;`,
        `  void context;`,
        `  void ${usesExpression};`,
        `  return { ...record, status } as unknown as ${item.base};`,
        `}`,
        '',
      );
      break;
    }
    case 'repo': {
      const table = `${item.feature.replace(/-/g, '_')}_${item.base.length % 7}_${item.value.length}`;
      out.push(
        `export class ${item.base} {`,
        `  constructor(private readonly pool: Pool) {}`,
        '',
        `  async findById(id: string): Promise<Record<string, unknown> | undefined> {`,
        `    const { rows } = await this.pool.query('SELECT * FROM ${table} WHERE id = $1', [id]);`,
        `    return rows[0];`,
        `  }`,
        '',
        `  async insert(values: ${typeParam === 'unknown' ? 'Record<string, unknown>' : typeLocals[0]}): Promise<void> {`,
        `    await this.pool.query('INSERT INTO ${table} (id, payload) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [String(Date.now()), JSON.stringify(values)]);`,
        `  }`,
        '',
        `  async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {`,
        `    const client = await this.pool.connect();`,
        `    try {`,
        `      return await work(client);`,
        `    } finally {`,
        `      client.release();`,
        `    }`,
        `  }`,
        `}`,
        '',
        `export function ${item.value}(pool: Pool): ${item.base} {`,
        `  void ${usesExpression};`,
        `  return new ${item.base}(pool);`,
        `}`,
        '',
      );
      break;
    }
    case 'services':
    case 'core': {
      const limit = random.chance(0.15) ? `process.env.${random.pick(ENV_READS)} ?? '${random.int(1, 100)}'` : `this.options.limit ?? ${random.int(1, 100)}`;
      out.push(
        `/** Keeps the ${random.pick(NOUNS)} rules in one place so handlers stay thin. */`,
        `export class ${item.base} {`,
        `  private readonly limit = Number(${limit});`,
        `  private readonly seen = new Map<string, number>();`,
        '',
        `  constructor(private readonly options: Partial<${item.type}> & { limit?: number } = {}) {}`,
        '',
        `  async run(input: ${typeParam}): Promise<string> {`,
        `    const key = JSON.stringify(input ?? null);`,
        `    const count = (this.seen.get(key) ?? 0) + 1;`,
        `    this.seen.set(key, count);`,
        `    if (count > this.limit) throw new Error(\`${item.base}: limit \${this.limit} reached for \${key}\`);`,
        `    await Promise.resolve();`,
        `    return \`\${key}:\${count}:\${Object.keys(this.options).length}\`;`,
        `  }`,
        '',
        `  describe(): string {`,
        `    return ${usesExpression};`,
        `  }`,
        `}`,
        '',
        item.kind === 'core'
          ? `export function ${item.value}(options?: Partial<${item.type}>): ${item.base} {`
          : `export function ${item.value}(options?: Partial<${item.type}>): ${item.base} {`,
        `  return new ${item.base}(options);`,
        `}`,
        '',
      );
      break;
    }
    case 'ui': {
      out.push(
        `export function ${item.value}(title: string, lines: readonly string[], extra?: ${typeParam}): string {`,
        `  const body = lines.map((line) => \`• \${escapeHtml(line)}\`).join('\\n');`,
        `  void extra;`,
        `  return \`<b>\${escapeHtml(title)}</b>\\n\${body}\\n<i>\${escapeHtml(${usesExpression})}</i>\`;`,
        `}`,
        '',
        `export const ${constant(item.base)}_BUTTONS = [`,
        ...random.sample(COMMANDS, random.int(2, 5)).map((command) => `  { text: '${pascal(command)}', callback_data: '${item.feature}:${command}' },`),
        `] as const;`,
        '',
      );
      break;
    }
    case 'handlers': {
      const command = random.pick(COMMANDS);
      out.push(
        `export const ${camel(item.base)}Command = '${command}';`,
        '',
        `export async function ${item.value}(ctx: Context, input?: ${typeParam}): Promise<void> {`,
        `  const name = ctx.from?.first_name ?? 'there';`,
        `  const details = ${usesExpression};`,
        `  if (!ctx.chat) return;`,
        `  await ctx.reply(\`Hello, <b>\${escapeHtml(name)}</b>! \${escapeHtml(details)}\`, { parse_mode: 'HTML' });`,
        `  void input;`,
        `}`,
        '',
      );
      break;
    }
    case 'register': {
      out.push(
        `export interface ${item.type} {`,
        `  readonly prefix: string;`,
        `}`,
        '',
        `/** Wires the ${item.feature} handlers into the bot; called once from src/features/index.ts. */`,
        `export function ${item.value}(bot: { command(name: string, handler: (ctx: never) => Promise<void>): void }): void {`,
        ...valueLocals.map((name) => `  bot.command('${item.feature}-${name.length}', ${name} as (ctx: never) => Promise<void>);`),
        `}`,
        '',
      );
      break;
    }
    default: {
      out.push(
        `export function ${item.value}(value: string, options?: Partial<${item.type}>): string {`,
        `  const trimmed = value.trim();`,
        `  if (trimmed.length === 0) return '';`,
        `  void options;`,
        `  return \`\${trimmed.slice(0, ${random.int(16, 120)})}|\${${usesExpression}}\`;`,
        `}`,
        '',
      );
    }
  }
  if (dynamicImports.length > 0) {
    out.push(`export async function load${item.base}Extras(): Promise<string[]> {`);
    dynamicImports.forEach((ref, index) => out.push(`  const { ${ref.names[0]}: extra${index} } = await import('${ref.specifier}');`));
    out.push(`  return [${dynamicImports.map((_, index) => `typeof extra${index}`).join(', ')}];`, `}`, '');
  }
  for (let index = 0; out.length < target; index++) out.push(...helperBlock(random, index, item), '');
  return `${out.join('\n').trimEnd()}\n`;
}

function describe(item) {
  switch (item.kind) {
    case 'model': return 'the record shape and its parser; everything that reads it from the database or an update goes through here.';
    case 'repo': return 'SQL access for this record; the only place that knows the table layout.';
    case 'services': return 'the business rules; handlers and jobs call it, it never talks to Telegram directly.';
    case 'ui': return 'message text and keyboards; user text is always escaped because messages are sent as HTML.';
    case 'handlers': return 'the Telegram handler; thin, so that the service can be tested without a bot.';
    case 'register': return 'registers the feature on the bot.';
    case 'core': return 'shared library code used across features.';
    default: return 'small pure helpers.';
  }
}

function renderBarrel(item) {
  const lines = [`/** Public API of ${item.path.replace(/\/index\.ts$/, '')}: import from here, not from the files behind it. */`];
  const seen = new Set();
  for (const target of item.exportsFrom) {
    if (seen.has(target.path)) continue;
    seen.add(target.path);
    const specifier = `./${posix.relative(posix.dirname(item.path), target.path).replace(/\.ts$/, '.js')}`;
    const values = Array.isArray(target.value) ? target.value : [target.value];
    lines.push(`export { ${values.join(', ')} } from '${specifier}';`);
    lines.push(`export type { ${target.type} } from '${specifier}';`);
  }
  return `${lines.join('\n')}\n`;
}

function renderFeatureRegistry(barrels) {
  const lines = [`/** Every feature of the bot, registered in a fixed order. */`];
  const names = [];
  for (const barrel of barrels) {
    const name = barrel.value[0];
    names.push(name);
    lines.push(`import { ${name} } from './${posix.relative('src/features', barrel.path).replace(/\.ts$/, '.js')}';`);
  }
  lines.push(
    '',
    `type Bot = Parameters<typeof ${names[0]}>[0];`,
    '',
    `export function registerFeatures(bot: Bot): void {`,
    ...names.map((name) => `  ${name}(bot);`),
    `}`,
  );
  return `${lines.join('\n')}\n`;
}

function writeInfrastructure(write) {
  write('src/main.ts', [
    `/** The only entrypoint: reads the environment once, builds the app, listens, handles signals. */`,
    `import { buildApp } from './app.js';`,
    `import { loadConfig } from './config/env.js';`,
    `import { acquireLeadership } from './db/lock.js';`,
    `import { runMigrations } from './db/migrate.js';`,
    `import { createPool } from './db/pool.js';`,
    '',
    `const config = loadConfig(process.env);`,
    `const pool = createPool(config.databaseUrl);`,
    `await runMigrations(pool);`,
    `const mode = (await acquireLeadership(pool)) ? 'ACTIVE' : 'PASSIVE';`,
    `const app = await buildApp({ config, pool, mode });`,
    `await app.listen({ port: config.port, host: '0.0.0.0' });`,
    '',
    `for (const signal of ['SIGINT', 'SIGTERM'] as const) {`,
    `  process.once(signal, () => {`,
    `    void app.close().then(() => pool.end());`,
    `  });`,
    `}`,
    '',
  ].join('\n'));
  write('src/config/env.ts', [
    `/** The environment, read once at start: every variable here is declared in product/truth.yaml. */`,
    `export interface Config {`,
    `  botToken: string;`,
    `  webhookSecret: string;`,
    `  adminSecret: string;`,
    `  databaseUrl: string | undefined;`,
    `  port: number;`,
    `  publicUrl: string | undefined;`,
    `  telegramApiRoot: string;`,
    `  logLevel: string;`,
    `}`,
    '',
    `function required(env: NodeJS.ProcessEnv, name: string): string {`,
    `  const value = env[name];`,
    `  if (!value) throw new Error(\`\${name} is not set; see env.required in product/truth.yaml\`);`,
    `  return value;`,
    `}`,
    '',
    `export function loadConfig(env: NodeJS.ProcessEnv): Config {`,
    `  return {`,
    `    botToken: required(env, 'TELEGRAM_BOT_TOKEN'),`,
    `    webhookSecret: required(env, 'WEBHOOK_SECRET'),`,
    `    adminSecret: required(env, 'ADMIN_SECRET'),`,
    `    databaseUrl: process.env.DATABASE_URL || undefined,`,
    `    port: Number(process.env.PORT ?? '8080'),`,
    `    publicUrl: process.env.PUBLIC_URL,`,
    `    telegramApiRoot: process.env.TELEGRAM_API_ROOT ?? 'https://api.telegram.org',`,
    `    logLevel: process.env.LOG_LEVEL ?? 'info',`,
    `  };`,
    `}`,
    '',
  ].join('\n'));
  write('src/db/pool.ts', [
    `import pg from 'pg';`,
    '',
    `export function createPool(databaseUrl: string | undefined): pg.Pool {`,
    `  return new pg.Pool({ connectionString: databaseUrl ?? 'postgres://localhost:5432/bot', max: 10 });`,
    `}`,
    '',
  ].join('\n'));
  write('src/db/lock.ts', [
    `/** Leadership through a PostgreSQL advisory lock: only the ACTIVE instance processes updates. */`,
    `import type { Pool } from 'pg';`,
    '',
    `/** database.lock_key in product/truth.yaml: a signed 32-bit integer. */`,
    `export const LOCK_KEY = 74110001;`,
    '',
    `export async function acquireLeadership(pool: Pool): Promise<boolean> {`,
    `  const { rows } = await pool.query('SELECT pg_try_advisory_lock($1) AS locked', [LOCK_KEY]);`,
    `  return rows[0]?.locked === true;`,
    `}`,
    '',
    `export async function releaseLeadership(pool: Pool): Promise<void> {`,
    `  await pool.query('SELECT pg_advisory_unlock(74110001)');`,
    `}`,
    '',
  ].join('\n'));
  write('src/db/migrate.ts', [
    `import { readdir, readFile } from 'node:fs/promises';`,
    `import type { Pool } from 'pg';`,
    '',
    `const folder = new URL('./migrations/', import.meta.url);`,
    '',
    `export async function runMigrations(pool: Pool): Promise<number> {`,
    `  const files = (await readdir(folder)).filter((name) => name.endsWith('.sql')).sort();`,
    `  for (const name of files) {`,
    `    const sql = await readFile(new URL(name, folder), 'utf8');`,
    `    await pool.query(sql);`,
    `  }`,
    `  return files.length;`,
    `}`,
    '',
  ].join('\n'));
  write('src/telegram/escape.ts', [
    `/** The project's escape helper: every value interpolated into an HTML message goes through it. */`,
    `const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };`,
    '',
    `export function escapeHtml(text: string): string {`,
    `  return text.replace(/[&<>"]/g, (character) => ENTITIES[character] ?? character);`,
    `}`,
    '',
  ].join('\n'));
  write('src/telegram/context.ts', [
    `export interface ReplyContext {`,
    `  chatId: number;`,
    `  reply(text: string, options?: { parse_mode?: 'HTML' }): Promise<void>;`,
    `}`,
    '',
  ].join('\n'));
  write('src/telegram/api.ts', [
    `import { escapeHtml } from './escape.js';`,
    `import type { ReplyContext } from './context.js';`,
    '',
    `const apiRoot = process.env.TELEGRAM_API_ROOT ?? 'https://api.telegram.org';`,
    '',
    `export async function sendMessage(token: string, chatId: number, text: string): Promise<void> {`,
    `  const response = await fetch(\`\${apiRoot}/bot\${token}/sendMessage\`, {`,
    `    method: 'POST',`,
    `    headers: { 'content-type': 'application/json' },`,
    `    body: JSON.stringify({ chat_id: chatId, text, parse_mode: 'HTML' }),`,
    `  });`,
    `  if (!response.ok) throw new Error(\`sendMessage failed with \${response.status}\`);`,
    `}`,
    '',
    `export async function notifyFailure(ctx: ReplyContext, reason: string): Promise<void> {`,
    `  await ctx.reply(\`<b>Something went wrong</b>: \${escapeHtml(reason)}\`, { parse_mode: 'HTML' });`,
    `}`,
    '',
  ].join('\n'));
  write('src/app.ts', [
    `/** Builds the Fastify app from explicit dependencies; never listens (src/main.ts does). */`,
    `import Fastify, { type FastifyInstance } from 'fastify';`,
    `import type { Pool } from 'pg';`,
    `import type { Config } from './config/env.js';`,
    `import { registerFeatures } from './features/index.js';`,
    `import { adminDbHealthHandler, adminEventsHandler, adminSnapshotHandler } from './http/admin.js';`,
    `import { healthHandler } from './http/health.js';`,
    `import { kieCallbackHandler } from './http/kie-callback.js';`,
    `import { metricsHandler } from './http/metrics.js';`,
    `import { webhookHandler } from './http/webhook.js';`,
    '',
    `export interface AppDeps {`,
    `  config: Config;`,
    `  pool: Pool;`,
    `  mode: 'ACTIVE' | 'PASSIVE';`,
    `}`,
    '',
    `export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {`,
    `  const app = Fastify({ bodyLimit: 1048576, logger: { level: deps.config.logLevel } });`,
    `  app.decorate('deps', deps);`,
    ...ROUTES.map((route) => `  app.${route.method.toLowerCase()}('${route.path}', ${route.handler});`),
    `  registerFeatures({ command: () => undefined });`,
    `  return app;`,
    `}`,
    '',
  ].join('\n'));
  write('src/http/health.ts', [
    `import type { FastifyReply, FastifyRequest } from 'fastify';`,
    '',
    `const startedAt = Date.now();`,
    '',
    `/** GET /health: the fields schemas/health.schema.json declares, numbers as JSON numbers. */`,
    `export async function healthHandler(_request: FastifyRequest, reply: FastifyReply): Promise<void> {`,
    `  await reply.send({`,
    `    status: 'ok',`,
    `    mode: 'ACTIVE',`,
    `    version: '1.4.2',`,
    `    uptime_s: Math.round((Date.now() - startedAt) / 1000),`,
    `    queue_depth: 0,`,
    `    db: { ok: true, latency_ms: 3 },`,
    `  });`,
    `}`,
    '',
  ].join('\n'));
  write('src/http/webhook.ts', [
    `import { timingSafeEqual } from 'node:crypto';`,
    `import type { FastifyReply, FastifyRequest } from 'fastify';`,
    '',
    `const secret = Buffer.from(process.env.WEBHOOK_SECRET ?? '');`,
    '',
    `export async function webhookHandler(request: FastifyRequest, reply: FastifyReply): Promise<void> {`,
    `  const given = Buffer.from(String(request.headers['x-telegram-bot-api-secret-token'] ?? ''));`,
    `  if (given.length !== secret.length || !timingSafeEqual(given, secret)) {`,
    `    await reply.code(401).send({ error: 'bad secret' });`,
    `    return;`,
    `  }`,
    `  await reply.code(200).send({ ok: true });`,
    `}`,
    '',
  ].join('\n'));
  write('src/http/kie-callback.ts', [
    `import type { FastifyReply, FastifyRequest } from 'fastify';`,
    '',
    `export async function kieCallbackHandler(request: FastifyRequest, reply: FastifyReply): Promise<void> {`,
    `  const body = request.body as { taskId?: string } | undefined;`,
    `  await reply.send({ ok: Boolean(body?.taskId) });`,
    `}`,
    '',
  ].join('\n'));
  write('src/http/metrics.ts', [
    `import type { FastifyReply, FastifyRequest } from 'fastify';`,
    '',
    `export async function metricsHandler(_request: FastifyRequest, reply: FastifyReply): Promise<void> {`,
    `  await reply.type('text/plain').send('updates_total 0\\n');`,
    `}`,
    '',
  ].join('\n'));
  write('src/http/admin.ts', [
    `import type { FastifyReply, FastifyRequest } from 'fastify';`,
    '',
    `function authorized(request: FastifyRequest): boolean {`,
    `  return request.headers.authorization === \`Bearer \${process.env.ADMIN_SECRET ?? ''}\`;`,
    `}`,
    '',
    ...['adminDbHealthHandler', 'adminEventsHandler', 'adminSnapshotHandler'].flatMap((name) => [
      `export async function ${name}(request: FastifyRequest, reply: FastifyReply): Promise<void> {`,
      `  if (!authorized(request)) {`,
      `    await reply.code(401).send({ error: 'unauthorized' });`,
      `    return;`,
      `  }`,
      `  await reply.send({ ok: true, at: new Date().toISOString() });`,
      `}`,
      '',
    ]),
  ].join('\n'));
}

/** Non-source files: truth, schema, deploy files, knowledge base, migrations, quarantine, tool configs. */
function writeRepositoryFiles(write, random, modules) {
  const routes = ROUTES.map(
    (route) => `  - { method: ${route.method}, path: ${route.path}, auth: ${route.auth}${route.sla ? `, sla_ms: ${route.sla}` : ''} }`,
  );
  write('product/truth.yaml', [
    `# Generated by bench/generate-repo.mjs: the contract of a synthetic bot service of ${modules} modules.`,
    `version: 1`,
    '',
    `product:`,
    `  name: bench-bot`,
    `  version: 1.4.2`,
    `  environment: production`,
    '',
    `entrypoint:`,
    `  blessed: src/main.ts`,
    `  command: npm start`,
    `  forbidden:`,
    `    - src/run.ts`,
    `    - src/server.ts`,
    '',
    `modes:`,
    `  ACTIVE:`,
    `    may: [process_updates, generate, charge, set_webhook, migrate]`,
    `  PASSIVE:`,
    `    may: [persist_updates, answer_callbacks, serve_health]`,
    '',
    `routes:`,
    ...routes,
    '',
    `env:`,
    `  required: [${DECLARED_ENV.required.join(', ')}]`,
    `  optional:`,
    ...Object.entries(DECLARED_ENV.optional).map(([name, value]) => `    ${name}: ${JSON.stringify(value)}`),
    `  forbidden: [USE_POLLING, POLLING_MODE, LOCAL_LOCK_FILE]`,
    `  secret: [TELEGRAM_BOT_TOKEN, WEBHOOK_SECRET, ADMIN_SECRET, KIE_API_KEY, DATABASE_URL, DATABASE_URL_READONLY, PAYMENT_PROVIDER_TOKEN]`,
    '',
    `database:`,
    `  migrations: src/db/migrations`,
    `  lock_key: 74110001`,
    `  heartbeat_interval_s: 15`,
    `  stale_heartbeat_s: 60`,
    `  stale_idle_s: 120`,
    '',
    `queue:`,
    `  capacity: 10000`,
    `  workers: 4`,
    '',
    `security:`,
    `  webhook_secret_env: WEBHOOK_SECRET`,
    `  admin_secret_env: ADMIN_SECRET`,
    `  body_limit_bytes: 1048576`,
    '',
    `legacy:`,
    `  quarantine: quarantine`,
    '',
    `required_files:`,
    `  - README.md`,
    ...KB_PAGES.map((page) => `  - kb/${page}.md`),
    `  - quarantine/README.md`,
    '',
    `verify:`,
    `  rules:`,
    ...[
      'no-wildcard-imports', 'single-entrypoint', 'forbidden-env', 'undeclared-env', 'required-files', 'no-circular-imports',
      'quarantine-boundary', 'telegram-html-safety', 'sql-migrations', 'advisory-lock-int32', 'no-blocking-in-async',
      'truth-routes', 'health-contract',
    ].map((id) => `    ${id}: ${id === 'undeclared-env' || id === 'no-blocking-in-async' ? 'warn' : 'error'}`),
    '',
  ].join('\n'));

  write('schemas/health.schema.json', `${JSON.stringify({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'GET /health',
    type: 'object',
    required: ['status', 'mode', 'version', 'uptime_s', 'queue_depth', 'db'],
    additionalProperties: false,
    properties: {
      status: { enum: ['ok', 'degraded'] },
      mode: { enum: ['ACTIVE', 'PASSIVE'] },
      version: { type: 'string' },
      uptime_s: { type: 'number' },
      queue_depth: { type: 'number' },
      db: { type: 'object', properties: { ok: { type: 'boolean' }, latency_ms: { type: 'number' } } },
    },
  }, null, 2)}\n`);

  const migrationCount = Math.max(4, Math.round(modules / 150));
  for (let number = 1; number <= migrationCount; number++) {
    const table = `${random.pick(FEATURE_WORDS)}_${random.pick(NOUNS)}s_${number}`;
    write(`src/db/migrations/${String(number).padStart(4, '0')}_${table}.sql`, [
      `-- ${table}: created by migration ${number}.`,
      `CREATE TABLE IF NOT EXISTS ${table} (`,
      `  id TEXT PRIMARY KEY,`,
      `  payload JSONB NOT NULL DEFAULT '{}'::jsonb,`,
      `  created_at TIMESTAMPTZ NOT NULL DEFAULT now()`,
      `);`,
      `CREATE INDEX IF NOT EXISTS ${table}_created_at_idx ON ${table} (created_at);`,
      number % 5 === 0
        ? `CREATE OR REPLACE FUNCTION touch_${table}() RETURNS trigger AS $$ BEGIN NEW.created_at = now(); RETURN NEW; END $$ LANGUAGE plpgsql;`
        : `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS note TEXT;`,
      '',
    ].join('\n'));
  }

  write('README.md', `# bench-bot\n\nA synthetic Telegram bot service generated by trt's benchmark (${modules} modules).\n\nStart: \`npm start\`.\n`);
  for (const page of KB_PAGES) write(`kb/${page}.md`, `# ${pascal(page)}\n\nGenerated page of the synthetic repository's knowledge base.\n`);
  write('quarantine/README.md', '# Quarantine\n\nLegacy code kept for reference. Nothing outside this folder may import it.\n');
  const quarantineFiles = Math.max(5, Math.round(modules / 100));
  for (let index = 0; index < quarantineFiles; index++) {
    const name = index === 0 ? 'run' : `old-${random.pick(NOUNS)}-${index}`;
    write(`quarantine/bot/${name}.ts`, [
      `// Legacy polling bot, replaced by src/main.ts. Kept for reference only.`,
      index > 0 ? `import { start } from './run.js';` : `export function start(): void {}`,
      `export const legacy${index} = ${index};`,
      index > 0 ? `void start;` : '',
      '',
    ].join('\n'));
  }

  write('package.json', `${JSON.stringify({
    name: 'bench-bot',
    version: '1.4.2',
    private: true,
    type: 'module',
    scripts: { start: 'tsx src/main.ts', build: 'tsc -p tsconfig.json' },
    dependencies: { fastify: '^5.0.0', grammy: '^1.30.0', pg: '^8.13.0' },
    devDependencies: { '@types/pg': '^8.11.0', tsx: '^4.19.0', typescript: '^5.9.0' },
    knip: { entry: ['src/main.ts'], project: ['src/**/*.ts'] },
  }, null, 2)}\n`);
  write('tsconfig.json', `${JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, noEmit: true,
      baseUrl: '.', paths: { '@app/*': ['src/*'] },
    },
    include: ['src'],
    exclude: ['node_modules', 'quarantine'],
  }, null, 2)}\n`);
  // dependency-cruiser, circular check only: the bench compares cycle detection, nothing else.
  write('.dependency-cruiser.cjs', [
    `/** Circular check only: what the bench compares with trt's no-circular-imports. */`,
    `module.exports = {`,
    `  forbidden: [{ name: 'no-circular', severity: 'error', from: {}, to: { circular: true } }],`,
    `  options: {`,
    `    doNotFollow: { path: 'node_modules' },`,
    `    exclude: { path: '^quarantine' },`,
    `    tsConfig: { fileName: 'tsconfig.json' },`,
    `    tsPreCompilationDeps: true,`,
    `  },`,
    `};`,
    '',
  ].join('\n'));
  write('.env.example', `${[...DECLARED_ENV.required, ...Object.keys(DECLARED_ENV.optional)].map((name) => `${name}=`).join('\n')}\n`);
  write('Dockerfile', ['FROM node:20-slim', 'WORKDIR /app', 'COPY . .', 'RUN npm ci', 'ENV PORT=8080', 'CMD ["npm", "start"]', ''].join('\n'));
  write('Procfile', 'web: npm start\n');
  write('render.yaml', [
    'services:', '  - type: web', '    name: bench-bot', '    env: node', '    buildCommand: npm ci', '    startCommand: npm start',
    '    envVars:', ...DECLARED_ENV.required.map((name) => `      - key: ${name}\n        sync: false`), '',
  ].join('\n'));
  write('.gitignore', 'node_modules/\ndist/\n');
  return quarantineFiles;
}

const KB_PAGES = ['project', 'architecture', 'patterns', 'database', 'monitoring', 'features', 'deployment', 'git-workflow'];

function parseArguments(argv) {
  const options = { modules: 3000, out: undefined, seed: 42 };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    const value = argv[index + 1];
    if (flag === '--modules') options.modules = Number(value);
    else if (flag === '--out') options.out = value;
    else if (flag === '--seed') options.seed = Number(value);
    else throw new Error(`unknown flag ${flag} (use --modules N --out DIR [--seed N])`);
    index++;
  }
  options.out ??= `bench/.work/repo-${options.modules}`;
  return options;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const options = parseArguments(process.argv.slice(2));
    const started = performance.now();
    const result = generateRepo(options);
    process.stdout.write(
      `generated ${result.modules} modules (${result.files} files, ${(result.bytes / 1048576).toFixed(1)} MiB) with ${result.cycles.length} planted cycles into ${result.root} in ${Math.round(performance.now() - started)} ms\n`,
    );
  } catch (error) {
    process.stderr.write(`generate-repo: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}
