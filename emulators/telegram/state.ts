/**
 * What the emulated Telegram remembers between calls: the bot, the messages it sent (so edits
 * can answer "message is not modified" like the real server), and the webhook.
 */
import type { Chat, Message, User, UserFromGetMe, WebhookInfo } from 'grammy/types';

export interface Webhook {
  url: string;
  secretToken: string;
  maxConnections: number;
  allowedUpdates?: string[];
}

export class TelegramState {
  readonly me: UserFromGetMe;
  webhook: Webhook | undefined;
  /** Set by a delivery that failed, shown by getWebhookInfo as Telegram does. */
  lastWebhookError: { date: number; message: string } | undefined;
  private readonly lastMessageId = new Map<number, number>();
  private readonly messages = new Map<string, Message>();
  private readonly deleted = new Set<string>();
  private fileCounter = 0;

  constructor(botId: number, username: string) {
    this.me = {
      id: botId,
      is_bot: true,
      first_name: 'Emulated Bot',
      username,
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      supports_join_request_queries: false,
    };
  }

  /** The bot as `from` of its messages: getMe without the getMe-only fields. */
  get sender(): User {
    const { id, is_bot, first_name, username } = this.me;
    return { id, is_bot, first_name, username };
  }

  /** Every chat id exists; its type follows Telegram's id ranges. */
  chat(id: number): Chat {
    if (id > 0) return { id, type: 'private', first_name: 'Test User' };
    if (id <= -1_000_000_000_000) return { id, type: 'supergroup', title: 'Test supergroup' };
    return { id, type: 'group', title: 'Test group' };
  }

  /** Stores a new message from the bot; message ids grow per chat, as in Telegram. */
  addMessage(chatId: number, content: Partial<Message>): Message {
    const messageId = (this.lastMessageId.get(chatId) ?? 0) + 1;
    this.lastMessageId.set(chatId, messageId);
    const message: Message = {
      message_id: messageId,
      from: this.sender,
      chat: this.chat(chatId),
      date: unixNow(),
      ...content,
    };
    this.messages.set(key(chatId, messageId), message);
    return message;
  }

  /**
   * A message the bot may edit. Messages the emulator never saw (sent before it started, or
   * invented by a test's update) are taken to be text messages of the bot, since the emulator
   * cannot know better; deleted ones are gone.
   */
  findMessage(chatId: number, messageId: number): Message | 'deleted' {
    const known = this.messages.get(key(chatId, messageId));
    if (known) return known;
    if (this.deleted.has(key(chatId, messageId))) return 'deleted';
    return { message_id: messageId, from: this.sender, chat: this.chat(chatId), date: unixNow(), text: '' };
  }

  replaceMessage(message: Message): void {
    this.messages.set(key(message.chat.id, message.message_id), message);
  }

  deleteMessage(chatId: number, messageId: number): boolean {
    const id = key(chatId, messageId);
    if (this.deleted.has(id)) return false;
    this.messages.delete(id);
    this.deleted.add(id);
    return true;
  }

  /** A file id in Telegram's style, unique within this emulator. */
  newFileId(): { file_id: string; file_unique_id: string } {
    this.fileCounter += 1;
    const serial = this.fileCounter.toString(36).padStart(6, '0');
    return { file_id: `AgACAgEmu${serial}`, file_unique_id: `AQADEmu${serial}` };
  }

  webhookInfo(): WebhookInfo {
    const info: WebhookInfo = { url: this.webhook?.url ?? '', has_custom_certificate: false, pending_update_count: 0 };
    if (this.webhook) {
      info.max_connections = this.webhook.maxConnections;
      if (this.webhook.allowedUpdates) info.allowed_updates = this.webhook.allowedUpdates as WebhookInfo['allowed_updates'];
    }
    if (this.lastWebhookError) {
      info.last_error_date = this.lastWebhookError.date;
      info.last_error_message = this.lastWebhookError.message;
    }
    return info;
  }
}

export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

function key(chatId: number, messageId: number): string {
  return `${chatId}:${messageId}`;
}
