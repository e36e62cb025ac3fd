/** Secret comparison that takes the same time whatever the guess: digests first, so lengths never leak. */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The header Telegram sends the webhook's secret in (setWebhook's secret_token). */
export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

export function secretMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header);
  return match ? match[1]!.trim() : undefined;
}
