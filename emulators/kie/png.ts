/**
 * The result image of an emulated generation: a real PNG, built in code so the emulator needs no
 * fixture files. Clients that check the signature, read the header or decode the pixels (Telegram
 * does all three for a photo sent by URL) get a file they accept.
 */
import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const BIT_DEPTH = 8;
const COLOR_TYPE_RGB = 2;

/**
 * A `size`×`size` PNG filled with one colour. Each task gets its own colour, so a test can tell
 * which task's image the bot delivered.
 *
 * @example
 * ```ts
 * const png = solidPng([255, 128, 0]); // 8×8 orange
 * ```
 */
export function solidPng(rgb: readonly [number, number, number], size = 8): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.writeUInt8(BIT_DEPTH, 8);
  header.writeUInt8(COLOR_TYPE_RGB, 9);
  // Bytes 10–12 stay 0: deflate compression, adaptive filtering, no interlace (the only values PNG defines).

  // Every scanline starts with its filter type; 0 means the bytes are the pixels as they are.
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: size }, () => rgb).flat())]);
  const pixels = Buffer.concat(Array.from({ length: size }, () => row));

  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(pixels)), chunk('IEND', Buffer.alloc(0))]);
}

/** length, type, data, and a CRC-32 over type and data, as the PNG specification lays a chunk out. */
function chunk(type: string, data: Buffer): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}
