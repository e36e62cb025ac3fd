/**
 * Synthetic Telegram updates: the only thing `trt smoke` ever posts to a webhook. They come from
 * `smoke.chat_id` and carry update ids of 10^12 and above, outside Telegram's range, so they
 * never collide with a real update and can be told apart in every log and table. Ids grow with
 * the clock (a thousand per millisecond), so a later run never reuses an earlier run's ids and
 * the bot's dedupe cannot mistake them for repeats.
 */

export const SYNTHETIC_UPDATE_ID_FLOOR = 1_000_000_000_000;

type Update = Record<string, unknown>;

export class SyntheticUpdates {
  #next: number;

  constructor(
    readonly chatId: number,
    now: number = Date.now(),
  ) {
    this.#next = SYNTHETIC_UPDATE_ID_FLOOR + now * 1000;
  }

  nextId(): number {
    return this.#next++;
  }

  /** A text message, e.g. `/start`; a leading command gets its bot_command entity as Telegram sends it. */
  text(text: string): Update {
    const command = /^\/[a-z0-9_]+/i.exec(text);
    return this.#message('message', { text, ...(command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}) });
  }

  /** An edited message: stored and dispatched like any update, but a bot sends nothing for it. */
  editedMessage(text: string): Update {
    return this.#message('edited_message', { text, edit_date: unixNow() });
  }

  /** A press on an inline button carrying `data`. */
  callbackQuery(data: string): Update {
    const updateId = this.nextId();
    return {
      update_id: updateId,
      callback_query: {
        id: `smoke-${updateId}`,
        from: this.#user(),
        chat_instance: `smoke-${this.chatId}`,
        data,
        message: { message_id: 1, date: unixNow(), chat: this.#chat(), text: 'trt smoke' },
      },
    };
  }

  /** Telegram's last question before a Stars payment. */
  preCheckoutQuery(credits: number): Update {
    const updateId = this.nextId();
    return {
      update_id: updateId,
      pre_checkout_query: { id: `smoke-${updateId}`, from: this.#user(), currency: 'XTR', total_amount: credits, invoice_payload: `credits:${credits}` },
    };
  }

  /** A message whose fields have the wrong types: what a broken proxy or an attacker might send. */
  malformed(): Update {
    return { update_id: this.nextId(), message: { message_id: 'not-a-number', date: 'yesterday', chat: { id: 'not-a-number' }, text: 42 } };
  }

  #message(kind: string, content: Update): Update {
    return { update_id: this.nextId(), [kind]: { message_id: 1, date: unixNow(), chat: this.#chat(), from: this.#user(), ...content } };
  }

  #chat(): Update {
    return { id: this.chatId, type: 'private', first_name: 'trt smoke' };
  }

  #user(): Update {
    return { id: this.chatId, is_bot: false, first_name: 'trt smoke' };
  }
}

function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}
