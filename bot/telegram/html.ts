/** Text that goes into a parse_mode HTML message: Telegram needs exactly these three escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
