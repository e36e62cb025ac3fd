/** S2: the database is connected, every migration is applied, and /health says the same. Read only. */
import { cut, round } from '../context.js';
import { fail, pass, type Scenario } from '../scenario.js';

interface DbHealth {
  connected?: unknown;
  schema_ready?: unknown;
  latency_ms?: unknown;
  migrations?: { applied?: unknown; pending?: unknown };
}

export const s2Storage: Scenario = {
  id: 'S2',
  title: 'storage',
  needs: ['admin-secret'],
  plan: () => [
    { method: 'GET', target: 'url', path: '/admin/db/health', times: 1, note: 'read only' },
    { method: 'GET', target: 'url', path: '/health', times: 1, note: 'read only' },
  ],
  async run(context) {
    const db = await context.admin<DbHealth>('url', 'GET', '/admin/db/health');
    const pending = Array.isArray(db.migrations?.pending) ? (db.migrations.pending as unknown[]).map(String) : null;
    const applied = Array.isArray(db.migrations?.applied) ? (db.migrations.applied as unknown[]).length : null;
    const evidence = { db_health: db };
    if (typeof db.connected !== 'boolean' || typeof db.schema_ready !== 'boolean' || typeof db.latency_ms !== 'number' || pending === null || applied === null) {
      return fail('GET /admin/db/health does not have the contract shape { connected: bool, schema_ready: bool, latency_ms: number, migrations: { applied: [], pending: [] } }', evidence);
    }
    if (!db.connected) return fail('the service is not connected to its database', evidence);
    if (pending.length > 0) return fail(`${pending.length} pending migration${pending.length > 1 ? 's' : ''}: ${pending.join(', ')}`, evidence);
    if (!db.schema_ready) return fail('schema_ready is false with no pending migration: an applied migration file was changed after it ran', evidence);

    const health = await context.request('url', { method: 'GET', path: '/health' });
    const said = (health.json as { db_schema_ready?: unknown } | undefined)?.db_schema_ready;
    const summary = `connected in ${round(db.latency_ms)} ms, ${applied} migrations applied, none pending`;
    // /health itself is S0's clause: when it is broken, S2 still proves the database and says what it could not compare.
    if (health.status !== 200 || typeof said !== 'boolean') {
      return pass(`${summary}; not compared with /health (it answered ${health.status}${health.status === 200 ? ' without a boolean db_schema_ready' : ''}: see S0)`, { ...evidence, health_status: health.status, health_body: cut(health.text) });
    }
    if (said !== db.schema_ready) return fail(`/health says db_schema_ready ${JSON.stringify(said)} but /admin/db/health says schema_ready ${String(db.schema_ready)}`, { ...evidence, health_db_schema_ready: said });
    return pass(`${summary}; /health agrees`, evidence);
  },
};
