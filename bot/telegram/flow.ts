/** What the Telegram handlers share: the flow an update belongs to, and their dependencies. */
import type { Logger } from 'pino';
import type pg from 'pg';
import type { ModelRegistry } from '../generation/models.js';
import type { GenerationService } from '../generation/service.js';

/** The flow a Bot API call belongs to. */
export interface FlowContext {
  cid: string;
  updateId: number | null;
  chatId: number | null;
  /** The PASSIVE instance already answered this update's callback query. */
  passiveAnswered?: boolean;
}

/** What every handler module gets. */
export interface HandlerDeps {
  pool: pg.Pool;
  log: Logger;
  models: ModelRegistry;
  generation: GenerationService;
  flow: () => FlowContext;
}
