/**
 * The app icon set for electron-builder, from build/icon.svg: PNGs rendered by Chromium
 * (playwright-core, already a dependency; /usr/bin/chromium or CHROMIUM_PATH), and two tiny
 * container encoders of our own — ICO (Windows) and ICNS (macOS) — that embed those PNGs.
 * Run `npm run icons`; the outputs are checked in (build/icon.png, build/icons/*.png,
 * build/icon.ico, build/icon.icns), so packaging needs no browser.
 * @see https://learn.microsoft.com/en-us/previous-versions/ms997538(v=msdn.10) (ICO directory)
 * @see https://en.wikipedia.org/wiki/Apple_Icon_Image_format (ICNS element types)
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.length < 24 || !png.subarray(0, 8).equals(PNG_SIGNATURE) || png.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** An ICO file whose images are PNGs (Windows Vista and later); sizes up to 256. */
export function encodeIco(pngs: readonly Buffer[]): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // 1 = icon
  header.writeUInt16LE(pngs.length, 4);
  const dir = Buffer.alloc(16 * pngs.length);
  let offset = 6 + dir.length;
  pngs.forEach((png, i) => {
    const { width, height } = pngSize(png);
    if (width > 256 || height > 256) throw new Error(`ICO images are at most 256 px (got ${width})`);
    const e = i * 16;
    dir.writeUInt8(width === 256 ? 0 : width, e);
    dir.writeUInt8(height === 256 ? 0 : height, e + 1);
    dir.writeUInt8(0, e + 2); // no palette
    dir.writeUInt8(0, e + 3);
    dir.writeUInt16LE(1, e + 4); // planes
    dir.writeUInt16LE(32, e + 6); // bits per pixel
    dir.writeUInt32LE(png.length, e + 8);
    dir.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([header, dir, ...pngs]);
}

/** ICNS element types that hold PNG data, by pixel size (the @2x types share sizes with the next 1x). */
export const ICNS_TYPES: readonly (readonly [string, number])[] = [['icp4', 16], ['icp5', 32], ['icp6', 64], ['ic07', 128], ['ic08', 256], ['ic09', 512], ['ic10', 1024], ['ic11', 32], ['ic12', 64], ['ic13', 256], ['ic14', 512]];

/** An ICNS file from PNGs keyed by size: one element per type whose size is present. */
export function encodeIcns(pngsBySize: ReadonlyMap<number, Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [type, size] of ICNS_TYPES) {
    const png = pngsBySize.get(size);
    if (!png) continue;
    if (pngSize(png).width !== size) throw new Error(`${type} needs ${size} px`);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(png.length + 8, 4);
    parts.push(head, png);
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([head, body]);
}

export const ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024] as const;

/** Renders build/icon.svg at every size in Chromium and writes the icon set into build/. */
export async function writeIcons(root: string, chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'): Promise<string[]> {
  const dir = join(root, 'build');
  const svg = await readFile(join(dir, 'icon.svg'), 'utf8');
  const { chromium: browserType } = await import('playwright-core');
  const browser = await browserType.launch({ executablePath: chromium, args: ['--no-sandbox'] });
  const pngs = new Map<number, Buffer>();
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    for (const size of ICON_SIZES) {
      await page.setViewportSize({ width: size, height: size });
      await page.setContent(`<!doctype html><html><body style="margin:0;background:transparent">${svg.replace('width="1024" height="1024"', `width="${size}" height="${size}"`)}</body></html>`);
      pngs.set(size, await page.screenshot({ type: 'png', omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } }));
    }
  } finally {
    await browser.close();
  }
  await mkdir(join(dir, 'icons'), { recursive: true });
  const written: string[] = [];
  const put = async (file: string, data: Buffer) => { await writeFile(join(dir, file), data); written.push(file); };
  await put('icon.png', pngs.get(1024)!);
  for (const size of [16, 32, 48, 64, 128, 256, 512] as const) await put(join('icons', `${size}x${size}.png`), pngs.get(size)!);
  await put('icon.ico', encodeIco([16, 24, 32, 48, 64, 128, 256].map((s) => pngs.get(s)!)));
  await put('icon.icns', encodeIcns(pngs));
  return written;
}
