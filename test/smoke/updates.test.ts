import { describe, expect, it } from 'vitest';
import { SYNTHETIC_UPDATE_ID_FLOOR, SyntheticUpdates } from '../../cli/smoke/updates.js';
import { checkUpdate } from '../../bot/telegram/update.js';

const SMOKE_CHAT = 990_000_001;
const NOW = Date.parse('2025-06-01T12:00:00Z');

function idsOf(updates: SyntheticUpdates, count: number): number[] {
  return Array.from({ length: count }, () => updates.text('trt smoke').update_id as number);
}

describe('SyntheticUpdates', () => {
  it('gives update ids of 10^12 and above, strictly increasing across kinds', () => {
    const updates = new SyntheticUpdates(SMOKE_CHAT, NOW);
    const ids = [
      updates.text('/start'),
      updates.editedMessage('edited'),
      updates.callbackQuery('gen:confirm'),
      updates.preCheckoutQuery(10),
      updates.malformed(),
      updates.text('again'),
    ].map((update) => update.update_id as number);
    expect(SYNTHETIC_UPDATE_ID_FLOOR).toBe(10 ** 12);
    for (const id of ids) {
      expect(Number.isSafeInteger(id)).toBe(true);
      expect(id).toBeGreaterThanOrEqual(10 ** 12);
    }
    for (let index = 1; index < ids.length; index++) expect(ids[index]).toBeGreaterThan(ids[index - 1]!);
  });

  it('gives a later run higher ids than every id of an earlier run', () => {
    const earlier = idsOf(new SyntheticUpdates(SMOKE_CHAT, NOW), 500);
    const later = idsOf(new SyntheticUpdates(SMOKE_CHAT, NOW + 1), 500);
    expect(Math.min(...later)).toBeGreaterThan(Math.max(...earlier));
  });

  it("builds updates the bot's own check accepts, from the smoke chat, of the right kind", () => {
    const updates = new SyntheticUpdates(SMOKE_CHAT, NOW);
    const cases = [
      { update: updates.text('/start'), kind: 'message' },
      { update: updates.text('a prompt without a command'), kind: 'message' },
      { update: updates.editedMessage('trt smoke S3 1/20'), kind: 'edited_message' },
      { update: updates.callbackQuery('gen:cancel'), kind: 'callback_query' },
      { update: updates.preCheckoutQuery(25), kind: 'pre_checkout_query' },
    ];
    for (const { update, kind } of cases) {
      expect(checkUpdate(update)).toEqual({ ok: true, updateId: update.update_id, chatId: SMOKE_CHAT, kind });
    }
  });

  it('marks a leading command with a bot_command entity, as Telegram does', () => {
    const updates = new SyntheticUpdates(SMOKE_CHAT, NOW);
    const start = updates.text('/start') as { message: { text: string; entities?: unknown[] } };
    expect(start.message.text).toBe('/start');
    expect(start.message.entities).toEqual([{ type: 'bot_command', offset: 0, length: 6 }]);
    const prompt = updates.text('a cat on a roof') as { message: { entities?: unknown[] } };
    expect(prompt.message.entities).toBeUndefined();
  });

  it('carries the data of a button press and the amount of a pre-checkout query', () => {
    const updates = new SyntheticUpdates(SMOKE_CHAT, NOW);
    const press = updates.callbackQuery('model:test/fast-image') as { callback_query: { data: string } };
    expect(press.callback_query.data).toBe('model:test/fast-image');
    const checkout = updates.preCheckoutQuery(25) as { pre_checkout_query: { currency: string; total_amount: number } };
    expect(checkout.pre_checkout_query).toMatchObject({ currency: 'XTR', total_amount: 25 });
  });

  it('builds a malformed update the bot rejects but can still trace by its update_id', () => {
    const updates = new SyntheticUpdates(SMOKE_CHAT, NOW);
    const malformed = updates.malformed();
    const checked = checkUpdate(malformed);
    expect(checked.ok).toBe(false);
    expect(Number.isSafeInteger(malformed.update_id)).toBe(true);
    expect(malformed.update_id as number).toBeGreaterThanOrEqual(10 ** 12);
    expect(checked.updateId).toBe(malformed.update_id);
  });
});
