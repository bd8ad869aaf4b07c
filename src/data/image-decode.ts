// Decodes JPEG/PNG files with sharp (libvips) into one raw N×H×W×C byte
// array, resized to the model's input. The resize stretches to the target
// (fit 'fill', no crop), like Keras' load_img(target_size=...), with sharp's
// default Lanczos-3 kernel; EXIF orientation is applied so phone photos stand
// upright. Files that cannot be read or decoded are skipped with the reason;
// blank images (every pixel the same colour) are dropped and counted.
//
// sharp runs each decode on libuv's thread pool, so a few decodes in flight at
// once keep every core busy; more only queue up and hold file buffers.
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

import sharp from 'sharp';

import type { ScannedImage, SkippedFile } from './image-scan.js';

export interface ImageTarget {
  width: number;
  height: number;
  channels: 1 | 3;
}

export interface DecodedImages {
  /** count × height × width × channels bytes, in the order of the usable inputs. */
  images: Uint8Array;
  labels: Uint8Array;
  files: string[];
  count: number;
  skipped: SkippedFile[];
  blankDropped: number;
}

export type DecodeProgress = (done: number, total: number) => void;

const IN_FLIGHT = Math.max(2, Math.min(8, availableParallelism()));

/** sharp's message, or the error code of a failed read, on one line. */
function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim();
}

/** Decodes one image file's bytes to exactly width × height × channels bytes (throws if it cannot). */
export async function decodeImage(bytes: Uint8Array, target: ImageTarget): Promise<Uint8Array> {
  // failOn 'warning' (sharp's default, spelled out): a truncated or damaged
  // file is an error, never an image silently padded with grey.
  let pipeline = sharp(bytes, { failOn: 'warning', autoOrient: true, sequentialRead: true }).resize(
    target.width,
    target.height,
    { fit: 'fill' },
  );
  pipeline = target.channels === 1 ? pipeline.grayscale().removeAlpha() : pipeline.removeAlpha().toColourspace('srgb');
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const expected = target.width * target.height * target.channels;
  if (info.channels !== target.channels || data.length !== expected) {
    throw new Error(
      `decoded to ${info.width}×${info.height}×${info.channels} (${data.length} bytes), expected ${target.width}×${target.height}×${target.channels}`,
    );
  }
  return data;
}

/** True when every pixel has the colour of the first one. */
export function isBlank(pixels: Uint8Array, channels: number): boolean {
  for (let i = channels; i < pixels.length; i++) {
    if (pixels[i] !== pixels[i % channels]) return false;
  }
  return true;
}

export async function decodeImages(
  dir: string,
  inputs: readonly ScannedImage[],
  target: ImageTarget,
  onProgress?: DecodeProgress,
): Promise<DecodedImages> {
  const frame = target.width * target.height * target.channels;
  const n = inputs.length;
  // Decoded images land in their input's slot; unusable slots are squeezed out at the end.
  const all = new Uint8Array(n * frame);
  // 'ok', 'blank' or the reason the file is skipped.
  const status = new Array<string>(n);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const input = inputs[i]!;
      let bytes: Uint8Array | null = null;
      try {
        bytes = await readFile(join(dir, input.file));
      } catch (error) {
        status[i] = `cannot read: ${(error as NodeJS.ErrnoException).code ?? reasonOf(error)}`;
      }
      if (bytes !== null && bytes.length === 0) status[i] = 'empty file';
      else if (bytes !== null) {
        try {
          const pixels = await decodeImage(bytes, target);
          all.set(pixels, i * frame);
          status[i] = isBlank(pixels, target.channels) ? 'blank' : 'ok';
        } catch (error) {
          status[i] = `cannot decode: ${reasonOf(error)}`;
        }
      }
      done++;
      onProgress?.(done, n);
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, n) }, worker));

  const files: string[] = [];
  const labels: number[] = [];
  const skipped: SkippedFile[] = [];
  let blankDropped = 0;
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const s = status[i]!;
    if (s === 'ok') {
      if (kept !== i) all.copyWithin(kept * frame, i * frame, (i + 1) * frame);
      files.push(inputs[i]!.file);
      labels.push(inputs[i]!.label);
      kept++;
    } else if (s === 'blank') {
      blankDropped++;
    } else {
      skipped.push({ file: inputs[i]!.file, reason: s });
    }
  }
  return {
    images: all.subarray(0, kept * frame),
    labels: Uint8Array.from(labels),
    files,
    count: kept,
    skipped,
    blankDropped,
  };
}
