import Fastify, { type FastifyInstance } from 'fastify';
import { Api, Bot, GrammyError, webhookCallback } from 'grammy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseTelegramHtml } from '../../emulators/telegram/html.js';
import { DeliveryError, TelegramEmulator } from '../../emulators/telegram/server.js';

const TOKEN = '123456:TEST-token_x';
const USER = 1001;
const GROUP = -2002;
const SUPERGROUP = -1001234567890;

let telegram: TelegramEmulator;
let api: Api;

beforeEach(async () => {
  telegram = await TelegramEmulator.start({ token: TOKEN, botUsername: 'trt_demo_bot' });
  api = new Api(TOKEN, { apiRoot: telegram.apiRoot });
});

afterEach(async () => {
  await telegram.stop();
});

interface Answer {
  status: number;
  body: { ok: boolean; result?: any; error_code?: number; description?: string; parameters?: { retry_after?: number } };
}

/** A raw Bot API call over HTTP with a JSON body (or another body when `raw` is given). */
async function post(method: string, params: unknown, options: { token?: string; raw?: string; contentType?: string } = {}): Promise<Answer> {
  const response = await fetch(`${telegram.apiRoot}/bot${options.token ?? TOKEN}/${method}`, {
    method: 'POST',
    headers: { 'content-type': options.contentType ?? 'application/json' },
    body: options.raw ?? JSON.stringify(params),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

async function control(path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${telegram.apiRoot}/__emulator/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

/** The GrammyError a grammY call rejects with. */
async function refusal(call: Promise<unknown>): Promise<GrammyError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof GrammyError)) throw new Error(`expected a GrammyError, got ${String(error)}`);
  return error;
}

/** A webhook receiver in the test that accepts only the expected secret. */
async function startReceiver(secret: string): Promise<{ url: string; received: unknown[]; app: FastifyInstance }> {
  const received: unknown[] = [];
  const app = Fastify();
  app.post('/webhook', async (request, reply) => {
    if (request.headers['x-telegram-bot-api-secret-token'] !== secret) return reply.code(401).send({ error: 'bad secret' });
    received.push(request.body);
    return { accepted: true };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}/webhook`, received, app };
}

describe('start', () => {
  it('refuses a token that is not shaped like a Bot API token', async () => {
    await expect(TelegramEmulator.start({ token: 'not-a-token' })).rejects.toThrow(/<bot id>:<secret>/);
  });

  it('gives grammY an apiRoot on a free port', () => {
    expect(telegram.apiRoot).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe('getMe', () => {
  it('returns the bot user with the id from the token', async () => {
    const me = await api.getMe();
    expect(me).toMatchObject({ id: 123456, is_bot: true, username: 'trt_demo_bot', can_join_groups: true });
  });
});

describe('sendMessage', () => {
  it('returns a Message with per-chat message ids, the chat, the bot as sender and a date', async () => {
    const first = await api.sendMessage(USER, 'hello');
    const second = await api.sendMessage(USER, 'again');
    const inGroup = await api.sendMessage(GROUP, 'group hello');
    const inSupergroup = await api.sendMessage(SUPERGROUP, 'supergroup hello');

    expect(first).toMatchObject({ message_id: 1, text: 'hello', chat: { id: USER, type: 'private' }, from: { id: 123456, is_bot: true } });
    expect(second.message_id).toBe(2);
    expect(inGroup).toMatchObject({ message_id: 1, chat: { id: GROUP, type: 'group' } });
    expect(inSupergroup.chat.type).toBe('supergroup');
    expect(Number.isInteger(first.date) && first.date > 1_600_000_000).toBe(true);
    expect(first.entities).toBeUndefined();
  });

  it('strips HTML tags into entities and echoes an inline keyboard', async () => {
    const keyboard = { inline_keyboard: [[{ text: 'Buy', callback_data: 'buy:1' }]] };
    const message = await api.sendMessage(USER, '<b>Balance</b>: 5 &lt; 6 <a href="https://t.me/x">link</a>', {
      parse_mode: 'HTML',
      reply_markup: keyboard,
    });
    expect(message.text).toBe('Balance: 5 < 6 link');
    expect(message.entities).toEqual([
      { type: 'bold', offset: 0, length: 7 },
      { type: 'text_link', offset: 15, length: 4, url: 'https://t.me/x' },
    ]);
    expect(message.reply_markup).toEqual(keyboard);
  });

  it.each([
    [{ text: 'hi' }, 'Bad Request: chat_id is empty'],
    [{ chat_id: '@somechannel', text: 'hi' }, 'Bad Request: chat not found'],
    [{ chat_id: USER }, 'Bad Request: message text is empty'],
    [{ chat_id: USER, text: '  \n ' }, 'Bad Request: message text is empty'],
    [{ chat_id: USER, text: 'x'.repeat(4097) }, 'Bad Request: message is too long'],
    [{ chat_id: USER, text: 'hi', parse_mode: 'Textile' }, 'Bad Request: unsupported parse_mode'],
    [{ chat_id: USER, text: 'hi', reply_markup: '{broken' }, "Bad Request: can't parse reply keyboard markup JSON object"],
    [
      { chat_id: USER, text: 'hi', reply_markup: { inline_keyboard: [[{ text: 'no action' }]] } },
      "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
    ],
    [
      { chat_id: USER, text: 'hi', reply_markup: { inline_keyboard: [[{ text: 'x', callback_data: 'd'.repeat(65) }]] } },
      'Bad Request: BUTTON_DATA_INVALID',
    ],
  ])('refuses %j with 400 "%s"', async (params, description) => {
    const answer = await post('sendMessage', params);
    expect(answer).toEqual({ status: 400, body: { ok: false, error_code: 400, description } });
  });
});

describe('parse_mode HTML', () => {
  const send = (text: string) => post('sendMessage', { chat_id: USER, text, parse_mode: 'HTML' });

  it.each([
    ['<b>unclosed', `Can't find end tag corresponding to start tag "b"`],
    ['<script>alert(1)</script>', 'Unsupported start tag "script" at byte offset 0'],
    ['a < b', 'Unsupported start tag "" at byte offset 2'],
    ['Привет <foo>', 'Unsupported start tag "foo" at byte offset 13'],
    ['<b><i>x</b></i>', 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'],
    ['x</b>', 'Unexpected end tag at byte offset 1'],
    ['<span>x</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'],
    ['<a href=https://x.y>x</a>', 'Unexpected end of name token at byte offset 8'],
    ['tail <', 'Unclosed start tag at byte offset 5'],
  ])('refuses %j: %s', async (text, reason) => {
    const answer = await send(text);
    expect(answer.status).toBe(400);
    expect(answer.body.description).toBe(`Bad Request: can't parse entities: ${reason}`);
  });

  it('accepts escaped user text and decodes the entities Telegram knows', async () => {
    const answer = await send('a &lt; b &amp;&amp; c &gt; d &quot;q&quot; &#128512; &#x41; &copy;');
    expect(answer.status).toBe(200);
    expect(answer.body.result.text).toBe('a < b && c > d "q" 😀 A &copy;');
  });

  it('accepts every supported tag', async () => {
    const markup =
      '<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike><del>d</del>' +
      '<span class="tg-spoiler">p</span><tg-spoiler>t</tg-spoiler><a href="https://e.x">a</a><code>c</code>' +
      '<pre>p</pre><blockquote>q</blockquote><blockquote expandable>x</blockquote>' +
      '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>';
    const answer = await send(markup);
    expect(answer.status).toBe(200);
    expect(answer.body.result.entities.map((entity: { type: string }) => entity.type)).toEqual([
      'bold', 'bold', 'italic', 'italic', 'underline', 'underline', 'strikethrough', 'strikethrough', 'strikethrough',
      'spoiler', 'spoiler', 'text_link', 'code', 'pre', 'blockquote', 'expandable_blockquote', 'custom_emoji',
    ]);
  });

  it('measures entities in UTF-16 code units and merges pre with a language', () => {
    expect(parseTelegramHtml('😀 <b>x</b>')).toEqual({ ok: true, text: '😀 x', entities: [{ type: 'bold', offset: 3, length: 1 }] });
    expect(parseTelegramHtml('<pre><code class="language-python">print(1)</code></pre>')).toEqual({
      ok: true,
      text: 'print(1)',
      entities: [{ type: 'pre', offset: 0, length: 8, language: 'python' }],
    });
    expect(parseTelegramHtml('<a href="tg://user?id=42">Ann</a>')).toMatchObject({
      ok: true,
      entities: [{ type: 'text_mention', offset: 0, length: 3, user: { id: 42 } }],
    });
  });

  it('reads tags the lenient way TDLib does', () => {
    expect(parseTelegramHtml("<B>x</B> <a href='https://e.x/?a=1&amp;b=2'>y</a> <i>z</>")).toEqual({
      ok: true,
      text: 'x y z',
      entities: [
        { type: 'bold', offset: 0, length: 1 },
        { type: 'text_link', offset: 2, length: 1, url: 'https://e.x/?a=1&b=2' },
        { type: 'italic', offset: 4, length: 1 },
      ],
    });
    expect(parseTelegramHtml('  <b> padded </b>  ')).toEqual({ ok: true, text: 'padded', entities: [{ type: 'bold', offset: 0, length: 6 }] });
    expect(parseTelegramHtml('<b></b>x')).toEqual({ ok: true, text: 'x', entities: [] });
  });

  it('applies to photo captions too', async () => {
    const answer = await post('sendPhoto', { chat_id: USER, photo: 'https://e.x/p.png', caption: '<i>unclosed', parse_mode: 'HTML' });
    expect(answer.body.description).toBe(`Bad Request: can't parse entities: Can't find end tag corresponding to start tag "i"`);
  });
});

describe('editMessageText', () => {
  it('edits a sent message and refuses an edit that changes nothing', async () => {
    const sent = await api.sendMessage(USER, 'old');
    const edited = await api.editMessageText(USER, sent.message_id, '<b>new</b>', { parse_mode: 'HTML' });
    expect(edited).toMatchObject({ message_id: sent.message_id, text: 'new', entities: [{ type: 'bold', offset: 0, length: 3 }] });
    expect(typeof (edited as { edit_date?: number }).edit_date).toBe('number');

    const again = await refusal(api.editMessageText(USER, sent.message_id, '<b>new</b>', { parse_mode: 'HTML' }));
    expect(again.description).toMatch(/^Bad Request: message is not modified: /);
  });

  it('answers true for inline messages and names a missing identifier', async () => {
    expect((await post('editMessageText', { inline_message_id: 'AAE', text: 'x' })).body).toEqual({ ok: true, result: true });
    expect((await post('editMessageText', { text: 'x' })).body.description).toBe('Bad Request: message identifier is not specified');
    expect((await post('editMessageText', { chat_id: USER, text: 'x' })).body.description).toBe(
      'Bad Request: message identifier is not specified',
    );
    expect((await post('editMessageText', { chat_id: USER, message_id: 1 })).body.description).toBe(
      'Bad Request: message text is empty',
    );
  });

  it('refuses to edit a deleted message or a photo', async () => {
    const sent = await api.sendMessage(USER, 'bye');
    await api.deleteMessage(USER, sent.message_id);
    expect((await refusal(api.editMessageText(USER, sent.message_id, 'x'))).description).toBe('Bad Request: message to edit not found');
    const photo = await api.sendPhoto(USER, 'https://e.x/p.png');
    expect((await refusal(api.editMessageText(USER, photo.message_id, 'x'))).description).toBe(
      'Bad Request: there is no text in the message to edit',
    );
  });
});

describe('answerCallbackQuery', () => {
  it('returns true and refuses a missing query id', async () => {
    expect(await api.answerCallbackQuery('4242', { text: 'Queued' })).toBe(true);
    expect((await post('answerCallbackQuery', {})).body.description).toBe(
      'Bad Request: query is too old and response timeout expired or query ID is invalid',
    );
  });
});

describe('sendPhoto', () => {
  it('accepts a URL or a file_id and returns a photo array', async () => {
    const byUrl = await api.sendPhoto(USER, 'https://cdn.example/img.png', { caption: '<b>Done</b>', parse_mode: 'HTML' });
    expect(byUrl.photo).toHaveLength(3);
    expect(byUrl.photo![2]).toMatchObject({ width: 800, height: 800 });
    expect(byUrl).toMatchObject({ caption: 'Done', caption_entities: [{ type: 'bold', offset: 0, length: 4 }] });

    const byId = await api.sendPhoto(USER, byUrl.photo![2]!.file_id);
    expect(byId.photo!.at(-1)!.file_id).toBe(byUrl.photo![2]!.file_id);
  });

  it.each([
    [{ chat_id: USER }, 'Bad Request: there is no photo in the request'],
    [{ chat_id: USER, photo: '/tmp/local.png' }, 'Bad Request: wrong file identifier/HTTP URL specified'],
    [{ chat_id: USER, photo: 'https://e.x/p.png', caption: 'c'.repeat(1025) }, 'Bad Request: message caption is too long'],
    [{ photo: 'https://e.x/p.png' }, 'Bad Request: chat_id is empty'],
  ])('refuses %j', async (params, description) => {
    expect((await post('sendPhoto', params)).body.description).toBe(description);
  });
});

describe('payments', () => {
  const stars = { chat_id: USER, title: '100 credits', description: 'Top up', payload: 'topup:100', currency: 'XTR', prices: [{ label: '100 credits', amount: 50 }] };

  it('sends a Telegram Stars invoice with an empty provider token', async () => {
    const message = await api.sendInvoice(USER, stars.title, stars.description, stars.payload, 'XTR', stars.prices, { provider_token: '' });
    expect(message.invoice).toEqual({ title: '100 credits', description: 'Top up', start_parameter: '', currency: 'XTR', total_amount: 50 });
  });

  it.each([
    [{ ...stars, title: undefined }, 'Bad Request: parameter "title" is required'],
    [{ ...stars, payload: '' }, 'Bad Request: parameter "payload" is required'],
    [{ ...stars, prices: undefined }, 'Bad Request: parameter "prices" is required'],
    [{ ...stars, prices: 'not json' }, "Bad Request: can't parse prices JSON object"],
    [{ ...stars, provider_token: 'tok' }, 'Bad Request: provider_token must be empty for payments in Telegram Stars'],
    [{ ...stars, prices: [{ label: 'a', amount: 1 }, { label: 'b', amount: 1 }] }, 'Bad Request: STARS_INVOICE_INVALID'],
    [{ ...stars, currency: 'USD' }, 'Bad Request: PAYMENT_PROVIDER_INVALID'],
    [{ ...stars, chat_id: undefined }, 'Bad Request: chat_id is empty'],
  ])('refuses an invoice %#', async (params, description) => {
    expect((await post('sendInvoice', params)).body.description).toBe(description);
  });

  it('answers a pre-checkout query, and wants an error message when refusing', async () => {
    expect(await api.answerPreCheckoutQuery('pcq-1', true)).toBe(true);
    expect((await post('answerPreCheckoutQuery', { pre_checkout_query_id: 'pcq-1', ok: false })).body.description).toBe(
      'Bad Request: parameter "error_message" is required',
    );
    expect((await post('answerPreCheckoutQuery', { ok: true })).body.description).toMatch(/query ID is invalid$/);
  });
});

describe('webhook methods', () => {
  it('sets, reports and deletes the webhook as Telegram does', async () => {
    expect(await api.getWebhookInfo()).toEqual({ url: '', has_custom_certificate: false, pending_update_count: 0 });
    expect((await post('setWebhook', { url: 'https://bot.example/webhook', secret_token: 'S3cret_-' })).body).toEqual({
      ok: true,
      result: true,
      description: 'Webhook was set',
    });
    expect(await api.getWebhookInfo()).toMatchObject({ url: 'https://bot.example/webhook', pending_update_count: 0, max_connections: 40 });
    expect((await post('deleteWebhook', {})).body.description).toBe('Webhook was deleted');
    expect((await post('deleteWebhook', {})).body.description).toBe('Webhook is already deleted');
    expect((await api.getWebhookInfo()).url).toBe('');
  });

  it.each([
    [{ url: 'ftp://bot.example/hook' }, 'Bad Request: invalid webhook URL specified'],
    [{ url: 'https://bot.example/hook', secret_token: 'has space' }, 'Bad Request: secret token contains unallowed characters'],
    [{ url: 'https://bot.example/hook', secret_token: 's'.repeat(257) }, 'Bad Request: secret token is too long'],
  ])('refuses %j', async (params, description) => {
    expect((await post('setWebhook', params)).body.description).toBe(description);
  });
});

describe('the Bot API envelope', () => {
  it('answers a wrong token with 401 and an unknown method with 404, and records both', async () => {
    expect(await post('getMe', {}, { token: '123456:WRONG' })).toEqual({
      status: 401,
      body: { ok: false, error_code: 401, description: 'Unauthorized' },
    });
    expect(await post('sendTelepathy', {})).toEqual({
      status: 404,
      body: { ok: false, error_code: 404, description: 'Not Found: method not found' },
    });
    expect(telegram.calls().map((call) => [call.method, call.ok])).toEqual([
      ['getMe', false],
      ['sendTelepathy', false],
    ]);
  });

  it('treats method names case-insensitively and records the canonical name', async () => {
    expect((await post('SENDMESSAGE', { chat_id: USER, text: 'hi' })).status).toBe(200);
    expect(telegram.calls()[0]!.method).toBe('sendMessage');
  });

  it('reads form-urlencoded bodies, decoding JSON-encoded structured values', async () => {
    const form = new URLSearchParams({
      chat_id: String(USER),
      text: '[not json]',
      reply_markup: JSON.stringify({ inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] }),
    });
    const answer = await post('sendMessage', undefined, { raw: form.toString(), contentType: 'application/x-www-form-urlencoded' });
    expect(answer.status).toBe(200);
    expect(answer.body.result).toMatchObject({ text: '[not json]', reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] } });
    expect(telegram.calls()[0]!.params).toEqual({
      chat_id: String(USER),
      text: '[not json]',
      reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] },
    });
  });

  it('reads parameters from the query string of a GET', async () => {
    const response = await fetch(`${telegram.apiRoot}/bot${TOKEN}/sendMessage?chat_id=${GROUP}&text=${encodeURIComponent('via GET')}`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as Answer['body']).result).toMatchObject({ text: 'via GET', chat: { id: GROUP } });
  });

  it('refuses multipart uploads and unreadable JSON with a clear 400', async () => {
    const form = new FormData();
    form.set('chat_id', String(USER));
    form.set('photo', new Blob([new Uint8Array([1, 2, 3])]), 'p.png');
    const response = await fetch(`${telegram.apiRoot}/bot${TOKEN}/sendPhoto`, { method: 'POST', body: form });
    const body = (await response.json()) as Answer['body'];
    expect(response.status).toBe(400);
    expect(body.description).toMatch(/^Bad Request: file uploads \(multipart\/form-data\) are not emulated/);

    const broken = await post('sendMessage', undefined, { raw: '{"chat_id": 1,' });
    expect(broken.status).toBe(400);
    expect(broken.body.description).toMatch(/^Bad Request: can't parse JSON encoded request/);
    expect(telegram.calls().map((call) => [call.method, call.ok, call.params])).toEqual([
      ['sendPhoto', false, {}],
      ['sendMessage', false, {}],
    ]);
  });

  it('answers a body over the limit with 413, recorded', async () => {
    const answer = await post('sendMessage', { chat_id: USER, text: 'x'.repeat(2 * 1024 * 1024) });
    expect(answer).toEqual({ status: 413, body: { ok: false, error_code: 413, description: 'Request Entity Too Large' } });
    expect(telegram.calls({ method: 'sendMessage' })).toHaveLength(1);
  });
});

describe('faults', () => {
  it('fails the next `times` calls with the injected error, retry_after included, then serves normally', async () => {
    telegram.injectFault({ method: 'sendMessage', errorCode: 429, description: 'Too Many Requests: retry after 3', times: 2, retryAfter: 3 });

    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await refusal(api.sendMessage(USER, 'hi'));
      expect(error.error_code).toBe(429);
      expect(error.parameters.retry_after).toBe(3);
    }
    const raw = await post('sendMessage', { chat_id: USER, text: 'third' });
    expect(raw.status).toBe(200);
    expect(telegram.calls({ method: 'sendMessage' }).map((call) => call.ok)).toEqual([false, false, true]);
  });

  it('answers with the fault status even when the call itself is invalid, and reset() forgets faults', async () => {
    telegram.injectFault({ method: 'sendPhoto', errorCode: 403, description: 'Forbidden: bot was blocked by the user' });
    expect(await post('sendPhoto', {})).toEqual({
      status: 403,
      body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' },
    });

    telegram.injectFault({ method: 'getMe', errorCode: 500, description: 'Internal Server Error' });
    telegram.reset();
    expect((await post('getMe', {})).status).toBe(200);
    expect(telegram.calls()).toHaveLength(1);
  });

  it('gives a 429 a retry_after even when none was given', async () => {
    telegram.injectFault({ method: 'answerCallbackQuery', errorCode: 429, description: 'Too Many Requests: retry after 1' });
    expect((await post('answerCallbackQuery', { callback_query_id: '1' })).body.parameters).toEqual({ retry_after: 1 });
  });

  it('names every problem of an invalid fault', () => {
    expect(() => telegram.injectFault({ method: 'sendFax', errorCode: 200, description: '', times: 0 })).toThrow(
      /method must be one of getMe, sendMessage.*; errorCode must be an integer from 400 to 599, got 200; description must be a non-empty string.*; times must be a positive integer, got 0/,
    );
  });
});

describe('waitForCall', () => {
  it('finds a call already recorded and one still to come', async () => {
    await api.sendMessage(USER, 'first');
    expect((await telegram.waitForCall((call) => call.params.text === 'first')).method).toBe('sendMessage');

    const waiting = telegram.waitForCall((call) => call.method === 'answerCallbackQuery');
    await api.answerCallbackQuery('7');
    expect((await waiting).params).toEqual({ callback_query_id: '7' });
  });

  it('rejects on timeout listing what was recorded', async () => {
    await api.sendMessage(USER, 'a');
    await api.sendMessage(USER, 'b');
    await api.getMe();
    await expect(telegram.waitForCall((call) => call.method === 'sendInvoice', 50)).rejects.toThrow(
      'no matching Telegram call within 50 ms; recorded so far: sendMessage ×2, getMe ×1',
    );
  });

  it('filters calls by chat id', async () => {
    await api.sendMessage(USER, 'to user');
    await api.sendMessage(GROUP, 'to group');
    await post('sendMessage', { chat_id: String(GROUP), text: 'as text id' });
    expect(telegram.calls({ chatId: GROUP }).map((call) => call.params.text)).toEqual(['to group', 'as text id']);
  });
});

describe('deliver', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;

  afterEach(async () => {
    await receiver?.app.close();
    receiver = undefined;
  });

  it('rejects clearly when no webhook is set', async () => {
    const delivery = telegram.deliver({ update_id: 1 });
    await expect(delivery).rejects.toBeInstanceOf(DeliveryError);
    await expect(delivery).rejects.toThrow(/no webhook is set .* must call setWebhook/);
  });

  it('POSTs the update to the webhook with its secret header and returns the answer', async () => {
    receiver = await startReceiver('hook-secret');
    await api.setWebhook(receiver.url, { secret_token: 'hook-secret' });
    const update = { update_id: 10, message: { message_id: 1, date: 1, chat: { id: USER, type: 'private' }, text: '/start' } };

    expect(await telegram.deliver(update)).toEqual({ status: 200, body: '{"accepted":true}' });
    expect(receiver.received).toEqual([update]);
  });

  it('reports a refusing webhook in getWebhookInfo, like Telegram', async () => {
    receiver = await startReceiver('expected-secret');
    await api.setWebhook(receiver.url, { secret_token: 'another-secret' });
    expect((await telegram.deliver({ update_id: 11 })).status).toBe(401);
    expect(await api.getWebhookInfo()).toMatchObject({ last_error_message: 'Wrong response from the webhook: 401 Unauthorized' });
  });

  it('drives a real grammY bot: webhook in, reply out', async () => {
    const bot = new Bot(TOKEN, { client: { apiRoot: telegram.apiRoot } });
    bot.command('start', (ctx) => ctx.reply('<b>Welcome</b>', { parse_mode: 'HTML' }));
    await bot.init();
    const app = Fastify();
    app.post('/webhook', webhookCallback(bot, 'fastify', { secretToken: 'grammy-secret' }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = app.server.address() as { port: number };
      await bot.api.setWebhook(`http://127.0.0.1:${port}/webhook`, { secret_token: 'grammy-secret' });
      const user = { id: USER, is_bot: false, first_name: 'Ann' };
      const answer = await telegram.deliver({
        update_id: 20,
        message: { message_id: 1, date: 1, from: user, chat: { ...user, type: 'private' }, text: '/start', entities: [{ type: 'bot_command', offset: 0, length: 6 }] },
      });
      expect(answer.status).toBe(200);
      const reply = await telegram.waitForCall((call) => call.method === 'sendMessage');
      expect(reply.response).toMatchObject({ ok: true, result: { text: 'Welcome', chat: { id: USER } } });
      expect(telegram.calls().map((call) => call.method)).toEqual(['getMe', 'setWebhook', 'sendMessage']);
    } finally {
      await app.close();
    }
  });

  it('rejects with the reason when the webhook cannot be reached', async () => {
    receiver = await startReceiver('s');
    const url = receiver.url;
    await receiver.app.close();
    receiver = undefined;
    await api.setWebhook(url);
    await expect(telegram.deliver({ update_id: 12 })).rejects.toThrow(`could not deliver the update to the webhook ${url}: Connection refused`);
  });
});

describe('control endpoints', () => {
  it('lists calls, filtered by method and chat id', async () => {
    await api.sendMessage(USER, 'one');
    await api.sendMessage(GROUP, 'two');
    await api.getMe();

    const all = await control('calls');
    expect(all.status).toBe(200);
    expect(all.body.calls.map((call: { method: string }) => call.method)).toEqual(['sendMessage', 'sendMessage', 'getMe']);
    expect(all.body.calls[0]).toMatchObject({ method: 'sendMessage', ok: true, params: { chat_id: USER, text: 'one' }, response: { ok: true } });
    expect(Number.isNaN(Date.parse(all.body.calls[0].at))).toBe(false);

    const filtered = await control(`calls?method=sendMessage&chat_id=${GROUP}`);
    expect(filtered.body.calls.map((call: { params: { text: string } }) => call.params.text)).toEqual(['two']);

    expect(await control('calls?chat_id=abc')).toEqual({ status: 400, body: { error: 'chat_id must be an integer, got "abc"' } });
  });

  it('injects faults and refuses bad ones', async () => {
    expect(await control('faults', { method: 'sendMessage', errorCode: 403, description: 'Forbidden: bot was blocked by the user' })).toEqual({
      status: 200,
      body: { ok: true },
    });
    expect((await post('sendMessage', { chat_id: USER, text: 'x' })).status).toBe(403);

    const bad = await control('faults', { method: 'sendMessage', errorCode: 'soon' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^invalid fault: errorCode must be an integer from 400 to 599, got "soon"; description must be/);
    expect((await control('faults', '{oops')).status).toBe(400);
  });

  it('delivers updates, answering 409 without a webhook and 400 for a body that is not an update', async () => {
    expect((await control('deliver', { update_id: 1 })).status).toBe(409);
    expect(await control('deliver', [1, 2])).toMatchObject({ status: 400, body: { error: expect.stringMatching(/Telegram Update as a JSON object/) } });

    const receiver = await startReceiver('x-secret');
    try {
      await api.setWebhook(receiver.url, { secret_token: 'x-secret' });
      expect(await control('deliver', { update_id: 5 })).toEqual({ status: 200, body: { status: 200, body: '{"accepted":true}' } });
      expect(receiver.received).toEqual([{ update_id: 5 }]);
    } finally {
      await receiver.app.close();
    }
  });

  it('resets calls but keeps the webhook', async () => {
    await api.setWebhook('https://bot.example/hook');
    expect(await control('reset', {})).toEqual({ status: 200, body: { ok: true } });
    expect(telegram.calls()).toEqual([]);
    expect((await api.getWebhookInfo()).url).toBe('https://bot.example/hook');
  });

  it('answers an unknown control endpoint with the list of real ones', async () => {
    const answer = await control('nope');
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatch(/^unknown control endpoint GET \/__emulator\/nope; available: GET \/__emulator\/calls/);
  });
});
