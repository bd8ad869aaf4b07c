// Debian's chromium for browser tests, driven by playwright-core: whether it
// can run here (else why not), how to launch it headless and offline, and how
// to tell that a screenshot is not blank (decoded by the page itself).
/// <reference lib="dom" />
import fs from 'node:fs';
import { createRequire } from 'node:module';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null. */
export function chromiumSkipReason(): string | null {
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install -y chromium)`;
  try {
    createRequire(import.meta.url).resolve('playwright-core');
  } catch {
    return 'playwright-core is not installed (npm install --save-dev playwright-core)';
  }
  return null;
}

/** Headless, no GPU, no background traffic of its own. */
export async function launchChromium(): Promise<import('playwright-core').Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A PNG's size, its share of non-white pixels and how many colours a sample of them has. */
export async function inkOf(page: import('playwright-core').Page, png: Buffer): Promise<{ width: number; height: number; inked: number; colors: number }> {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, img.width, img.height).data;
    let inked = 0;
    const colors = new Set<number>();
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
      if (r < 235 || g < 235 || b < 235) inked++;
      if (i % 64 === 0) colors.add((r << 16) | (g << 8) | b);
    }
    return { width: img.width, height: img.height, inked: inked / (data.length / 4), colors: colors.size };
  }, png.toString('base64'));
}
