/**
 * Processing lanes: updates of one chat run in order, chats run concurrently. graphile-worker
 * serialises jobs that share a queue name, and advises against one queue per chat (queue rows
 * would grow without bound), so chats are sharded over a fixed set of lanes.
 */
export const LANE_COUNT = 32;

export function laneFor(chatId: number | null): string {
  if (chatId === null) return 'lane-none';
  const lane = ((chatId % LANE_COUNT) + LANE_COUNT) % LANE_COUNT;
  return `lane-${lane}`;
}
