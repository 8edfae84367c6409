import { crc32, deflateSync } from 'node:zlib';
import { Hono } from 'hono';
import type { AppEnv } from '../request-scope.js';

const SIZE = 32;

/** The node's icon as 32×32 RGBA pixels: a white "T" on a rounded teal square. */
function drawIcon(): Buffer {
  const pixels = Buffer.alloc(SIZE * SIZE * 4);
  const radius = 6;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      // Distance outside the rounded square's inner rectangle decides the corner cut.
      const dx = Math.max(radius - x, x - (SIZE - 1 - radius), 0);
      const dy = Math.max(radius - y, y - (SIZE - 1 - radius), 0);
      if (dx * dx + dy * dy > radius * radius) continue;
      const bar = y >= 7 && y <= 11 && x >= 7 && x <= 24;
      const stem = x >= 14 && x <= 17 && y >= 7 && y <= 25;
      const offset = (y * SIZE + x) * 4;
      pixels.set(bar || stem ? [255, 255, 255, 255] : [15, 118, 110, 255], offset);
    }
  }
  return pixels;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

function encodePng(rgba: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, deflate, no filter method variants, no interlace
  const rows: Buffer[] = [];
  for (let y = 0; y < SIZE; y++) rows.push(Buffer.from([0]), rgba.subarray(y * SIZE * 4, (y + 1) * SIZE * 4));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * The node's icon as an ICO file holding one 32×32 PNG image (the ICO layout every browser
 * reads since Windows Vista made PNG entries standard).
 */
export function createFaviconIco(): Buffer {
  const png = encodePng(drawIcon());
  const header = Buffer.alloc(6 + 16);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(1, 4); // one image
  header.set([SIZE, SIZE, 0, 0], 6); // width, height, palette size, reserved
  header.writeUInt16LE(1, 10); // colour planes
  header.writeUInt16LE(32, 12); // bits per pixel
  header.writeUInt32LE(png.length, 14);
  header.writeUInt32LE(header.length, 18); // the image follows the directory
  return Buffer.concat([header, png]);
}

/** `GET /favicon.ico`: the node's icon, so browsers opening the docs or the console get one instead of a JSON 404. */
export function faviconRoute(): Hono<AppEnv> {
  const icon = new Uint8Array(createFaviconIco());
  return new Hono<AppEnv>().get('/favicon.ico', (c) =>
    c.body(icon, 200, { 'content-type': 'image/x-icon', 'cache-control': 'public, max-age=86400' }),
  );
}
