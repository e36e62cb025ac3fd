import { describe, expect, it } from 'vitest';
import { REDACTED, redactJson, secretRedactor, secretValuesFrom } from '../../cli/core/redact.js';

/** A token shaped like Telegram's: bot id, colon, 35 characters. */
const BOT_TOKEN = `123456789:AA${'hX9_kQ2-zR7mW4pT'.repeat(3).slice(0, 33)}`;

describe('secretRedactor by value', () => {
  const secret = 'p@ss/w"rd\\tail-0042';
  const redact = secretRedactor([secret]);

  it.each([
    ['raw', secret],
    ['URL-encoded', encodeURIComponent(secret)],
    ['JSON-escaped', JSON.stringify(secret).slice(1, -1)],
  ])('cuts the %s form and keeps the text around it', (_form, written) => {
    const redacted = redact(`before ${written} after`);
    expect(redacted).toBe(`before ${REDACTED} after`);
  });

  it('cuts every occurrence', () => {
    expect(redact(`${secret} and ${secret}`)).toBe(`${REDACTED} and ${REDACTED}`);
  });

  it('leaves values shorter than 4 characters alone: they are words, not secrets', () => {
    expect(secretRedactor(['abc', '42'])('abc 42 abcd 420')).toBe('abc 42 abcd 420');
  });

  it('changes nothing when no secret is known and no secret shape appears', () => {
    const text = 'GET /health answered 200 in 12 ms';
    expect(secretRedactor([])(text)).toBe(text);
  });
});

describe('secretRedactor by shape, values unknown', () => {
  const redact = secretRedactor([]);

  it('cuts a Telegram bot token', () => {
    const redacted = redact(`token ${BOT_TOKEN} was rejected`);
    expect(redacted).toBe(`token ${REDACTED} was rejected`);
  });

  it('cuts a Telegram bot token inside an api.telegram.org/bot<token>/ URL', () => {
    const redacted = redact(`GET https://api.telegram.org/bot${BOT_TOKEN}/getWebhookInfo failed`);
    expect(redacted).not.toContain(BOT_TOKEN.split(':')[1]);
    expect(redacted).toContain('https://api.telegram.org/bot');
    expect(redacted).toContain('/getWebhookInfo failed');
  });

  it('cuts a bearer token and keeps the header name', () => {
    expect(redact('sent Authorization: Bearer abc.def-123456 to /admin')).toBe(`sent Authorization: Bearer ${REDACTED} to /admin`);
  });

  it('cuts the password of a postgres:// URL and keeps the rest of it', () => {
    expect(redact('connect postgres://user:p%40ss@host:5432/db failed')).toBe(`connect postgres://user:${REDACTED}@host:5432/db failed`);
  });

  it('cuts the password of an https:// URL and keeps the rest of it', () => {
    expect(redact('fetch https://u:pw@example.com/x: 401')).toBe(`fetch https://u:${REDACTED}@example.com/x: 401`);
  });

  it('leaves a URL without credentials alone', () => {
    const text = 'GET https://bot.example.com:8443/health?x=1 answered 200';
    expect(redact(text)).toBe(text);
  });
});

describe('redactJson', () => {
  it('keeps valid JSON when a secret sits in a string between quotes and backslashes', () => {
    const secret = 'sk-live-0123456789';
    const value = {
      message: `he said "${secret}" then \\${secret}\\ and \\"${secret}\\"`,
      nested: { list: [`"${secret}"`, 3, null], [`key ${secret}`]: true },
    };
    const redacted = redactJson(value, secretRedactor([secret]));
    expect(redacted).toEqual({
      message: `he said "${REDACTED}" then \\${REDACTED}\\ and \\"${REDACTED}\\"`,
      nested: { list: [`"${REDACTED}"`, 3, null], [`key ${REDACTED}`]: true },
    });
  });

  it('cuts a secret that itself holds quotes and backslashes', () => {
    const secret = 'pa"ss\\word-99';
    const redacted = redactJson({ error: `auth "${secret}" refused`, at: ['x', `\\${secret}`] }, secretRedactor([secret]));
    expect(redacted).toEqual({ error: `auth "${REDACTED}" refused`, at: ['x', `\\${REDACTED}`] });
  });

  it('keeps valid JSON when a secret ending in a backslash nearly matches an escaped quote', () => {
    // The raw value `abcd-1234\` matches the JSON text of `abcd-1234"` up to the escaping backslash.
    const secret = 'abcd-1234\\';
    const value = { message: 'abcd-1234" is not the secret' };
    expect(() => redactJson(value, secretRedactor([secret]))).not.toThrow();
    expect(redactJson(value, secretRedactor([secret]))).toEqual(value);
  });

  it('returns a copy and leaves the original untouched', () => {
    const value = { token: 'top-secret-value' };
    const redacted = redactJson(value, secretRedactor(['top-secret-value']));
    expect(redacted).toEqual({ token: REDACTED });
    expect(value).toEqual({ token: 'top-secret-value' });
  });
});

describe('secretValuesFrom', () => {
  it('keeps the values of the named variables that are set and not empty', () => {
    expect(secretValuesFrom(['A', 'B', 'C', 'D'], { A: 'alpha-value', B: '', D: 'delta-value', E: 'not-named' })).toEqual(['alpha-value', 'delta-value']);
  });
});
