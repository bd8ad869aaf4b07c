// Tiles of pixels laid out in a grid and written as one PNG (sharp encodes
// it). A tile is gray (1 channel) or RGB (3), each value 0..255; an optional
// caption under each tile is drawn from an SVG text overlay by sharp's librsvg.
import sharp from 'sharp';

export interface Tile {
  pixels: Uint8Array;
  height: number;
  width: number;
  channels: 1 | 3;
  caption?: string;
  /** Caption colour (CSS), e.g. red for a wrong prediction. */
  captionColor?: string;
}

export interface GridOptions {
  columns: number;
  /** Each tile is drawn scaled up by this integer factor (nearest neighbour: pixels stay visible). */
  scale?: number;
  /** Gap between tiles, pixels. */
  gap?: number;
  /** Height of the caption band under each tile (0: no captions). */
  captionHeight?: number;
}

const BACKGROUND = 255;

/** Writes the tiles as a grid PNG to `file`; returns the image's size. */
export async function writePngGrid(file: string, tiles: readonly Tile[], options: GridOptions): Promise<{ width: number; height: number }> {
  if (tiles.length === 0) throw new RangeError('writePngGrid: no tiles');
  const scale = options.scale ?? 1;
  const gap = options.gap ?? 2;
  const captionHeight = options.captionHeight ?? 0;
  const tileH = Math.max(...tiles.map((t) => t.height)) * scale;
  const tileW = Math.max(...tiles.map((t) => t.width)) * scale;
  const columns = Math.max(1, Math.min(options.columns, tiles.length));
  const rows = Math.ceil(tiles.length / columns);
  const cellW = tileW + gap;
  const cellH = tileH + captionHeight + gap;
  const width = columns * cellW + gap;
  const height = rows * cellH + gap;
  const canvas = new Uint8Array(width * height * 3).fill(BACKGROUND);
  tiles.forEach((tile, i) => {
    const x0 = gap + (i % columns) * cellW;
    const y0 = gap + Math.floor(i / columns) * cellH;
    for (let y = 0; y < tile.height * scale; y++) {
      for (let x = 0; x < tile.width * scale; x++) {
        const src = (Math.floor(y / scale) * tile.width + Math.floor(x / scale)) * tile.channels;
        const dst = ((y0 + y) * width + x0 + x) * 3;
        for (let k = 0; k < 3; k++) canvas[dst + k] = tile.pixels[src + (tile.channels === 3 ? k : 0)]!;
      }
    }
  });
  let image = sharp(canvas, { raw: { width, height, channels: 3 } });
  if (captionHeight > 0 && tiles.some((t) => t.caption)) {
    const fontSize = Math.max(8, Math.min(14, Math.floor(captionHeight * 0.7), Math.floor((tileW / 12) * 1.6)));
    const texts = tiles
      .map((t, i) => {
        if (!t.caption) return '';
        const x = gap + (i % columns) * cellW + tileW / 2;
        const y = gap + Math.floor(i / columns) * cellH + tileH + captionHeight * 0.75;
        return `<text x="${x}" y="${y}" font-size="${fontSize}" text-anchor="middle" fill="${escapeXml(t.captionColor ?? '#222')}">${escapeXml(t.caption)}</text>`;
      })
      .join('');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">${texts}</svg>`;
    image = sharp(await image.png().toBuffer()).composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
  }
  await image.png().toFile(file);
  return { width, height };
}

/** Values scaled to 0..255 over their own min..max (a constant map becomes mid-gray). */
export function normalizeToBytes(values: Float32Array | number[]): Uint8Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Uint8Array(values.length);
  const range = hi - lo;
  for (let i = 0; i < values.length; i++) out[i] = range > 0 ? Math.round(((values[i]! - lo) / range) * 255) : 128;
  return out;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
