/**
 * The pure parts of session files and rich results: scratch names (named after the attacks they
 * block), resource URIs, download pages, image checks and table records.
 */
import { describe, expect, test } from 'vitest';
import { checkScratchName } from '../../src/shared/scratch-path.js';
import { fileUri, parseFileUri } from '../../src/server/session-files.js';
import { fitChunk, textPrefix } from '../../src/server/file-chunk.js';
import { mediaParts, pngSize, tableRecords } from '../../src/server/run-media.js';
import type { RunMedia } from '../../src/sandbox/run-outcome.js';

describe('scratch names', () => {
  test.each([
    ['data.csv'],
    ['outputs/plot.png'],
    ['a/b/c/d.txt'],
    ['naïve résumé.txt'],
    ['..hidden-dots'],
    ['x..y'],
  ])('%j is accepted as it is', (name) => {
    expect(checkScratchName(name, '/tmp')).toEqual({ ok: true, name });
  });

  test.each([
    ['escape upwards', '../secret', "'..'"],
    ['escape upwards from a subdirectory', 'a/../../secret', "'..'"],
    ['absolute host path', '/etc/passwd', 'not absolute'],
    ['absolute sandbox path, with a hint', '/tmp/x.csv', 'pass "x.csv"'],
    ['NUL truncation', 'ok.txt\u0000../../x', 'control characters'],
    ['newline in a name', 'a\nb', 'control characters'],
    ['lone surrogate', 'a\ud800', 'invalid Unicode'],
    ['Windows separators', '..\\..\\x', 'backslash'],
    ['needs normalising: dot', './x', "'.' or empty"],
    ['needs normalising: double slash', 'a//x', "'.' or empty"],
    ['a directory, trailing slash', 'outputs/', "'.' or empty"],
    ['empty', '', 'empty'],
    ['too deep', Array.from({ length: 17 }, () => 'd').join('/'), 'deeper'],
    ['too long', 'x'.repeat(1025), 'longer'],
  ])('%s (%j) is refused', (_attack, name, reason) => {
    const checked = checkScratchName(name, '/tmp');
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.reason).toContain(reason);
  });
});

describe('resource URIs', () => {
  test('round-trip, with encoded characters', () => {
    const uri = fileUri('s-abc', 'out puts/naïve#1.csv');
    expect(uri).toBe('pymcp://sessions/s-abc/files/out%20puts/na%C3%AFve%231.csv');
    expect(parseFileUri(uri)).toEqual({ sessionId: 's-abc', name: 'out puts/naïve#1.csv' });
  });

  test.each([
    ['another scheme', 'file:///etc/passwd'],
    ['no file part', 'pymcp://sessions/s-abc'],
    ['encoded way up', 'pymcp://sessions/s-abc/files/%2E%2E/x'],
    ['encoded slash hiding a way up', 'pymcp://sessions/s-abc/files/a%2F..%2F..%2Fx'],
    ['broken escape', 'pymcp://sessions/s-abc/files/%E0%A4%A'],
  ])('%s is not a session file', (_what, uri) => {
    expect(parseFileUri(uri)).toBeNull();
  });
});

describe('download pages', () => {
  test('text is cut before a character the piece split, never inside it', () => {
    const data = Buffer.from('aé€😀', 'utf8'); // 1 + 2 + 3 + 4 bytes
    for (let end = 0; end <= data.length; end += 1) {
      const piece = textPrefix(data.subarray(0, end), end === data.length);
      expect(piece).not.toBeNull();
      expect(Buffer.from(piece?.text ?? '', 'utf8').equals(data.subarray(0, piece?.bytes))).toBe(
        true,
      );
      expect(end - (piece?.bytes ?? 0)).toBeLessThan(4);
    }
  });

  test('bytes that are not UTF-8, or hold NUL, are not text', () => {
    expect(textPrefix(Buffer.from([0x61, 0xff, 0x62]), true)).toBeNull();
    expect(textPrefix(Buffer.from([0x61, 0x00, 0x62]), true)).toBeNull();
  });

  test('auto: text when it is text, base64 when not; both fit the room', () => {
    const text = fitChunk(Buffer.from('x'.repeat(1000)), true, 'auto', 400);
    expect(text.encoding).toBe('text');
    expect(text.bytes).toBeLessThanOrEqual(400);
    expect(text.bytes).toBeGreaterThan(350);
    expect(text.content).toBe('x'.repeat(text.bytes));
    const binary = fitChunk(Buffer.from([0, 1, 2, 3, 4, 5, 6, 7]), true, 'auto', 8);
    expect(binary).toEqual({ encoding: 'base64', content: 'AAECAwQF', bytes: 6 });
  });

  test('text that escapes to more bytes is cut to fit once escaped', () => {
    const quoted = Buffer.from('"\\'.repeat(500));
    const fitted = fitChunk(quoted, true, 'text', 300);
    expect(Buffer.byteLength(JSON.stringify(fitted.content)) - 2).toBeLessThanOrEqual(300);
    expect(fitted.bytes).toBeGreaterThan(100);
  });

  test('forcing text on binary is an error that names base64', () => {
    expect(() => fitChunk(Buffer.from([0xff]), true, 'text', 100)).toThrow(/base64/);
  });
});

const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]);
function png(width: number, height: number): string {
  const ihdr = Buffer.alloc(16);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4, 'latin1');
  ihdr.writeUInt32BE(width, 8);
  ihdr.writeUInt32BE(height, 12);
  return Buffer.concat([PNG_HEAD, ihdr, Buffer.alloc(20)]).toString('base64');
}

function media(images: RunMedia['images'], files: RunMedia['files'] = []): RunMedia {
  return {
    images,
    imagesOmitted: [],
    imagesOmittedCount: 0,
    table: null,
    files,
    filesMore: 0,
  };
}

const image = (data: string, width: number, height: number) => ({
  kind: 'figure' as const,
  label: 'figure 1: axes: title "t"',
  width,
  height,
  scaled: false,
  data,
});

describe('images from the sandbox', () => {
  test('pngSize reads IHDR, and refuses what is not a PNG', () => {
    expect(pngSize(Buffer.from(png(640, 480), 'base64'))).toEqual({ width: 640, height: 480 });
    expect(pngSize(Buffer.from('GIF89a................................'))).toBeNull();
  });

  test('an image that lies about its size or is not a PNG is not attached', () => {
    const parts = mediaParts(
      media([
        image(png(640, 480), 640, 480),
        image(png(640, 480), 10, 10),
        image(Buffer.from('<svg/>').toString('base64'), 10, 10),
        image(png(5000, 4000), 5000, 4000),
      ]),
      null,
      1024 * 1024,
      10_000,
    );
    expect(parts.images).toHaveLength(1);
    expect(parts.imagesOmitted).toBe(3);
    expect(parts.sections).toContain('not a valid PNG');
    expect(parts.sections).toContain('over the size limits');
  });

  test('the image budget is never exceeded; what is left out is named', () => {
    const one = png(100, 100);
    const parts = mediaParts(
      media([image(one, 100, 100), image(one, 100, 100), image(one, 100, 100)]),
      null,
      one.length * 2 + 1,
      10_000,
    );
    expect(parts.images).toHaveLength(2);
    expect(parts.sections).toContain('over the image budget of this call');
  });

  test('output files are links in a session, a note in a fresh call', () => {
    const files = [{ path: 'outputs/a.csv', size: 3 }];
    const session = mediaParts(media([], files), 's-1', 0, 10_000);
    expect(session.links).toEqual([
      {
        type: 'resource_link',
        uri: 'pymcp://sessions/s-1/files/outputs/a.csv',
        name: 'outputs/a.csv',
        mimeType: 'text/csv',
        size: 3,
      },
    ]);
    const fresh = mediaParts(media([], files), null, 0, 10_000);
    expect(fresh.links).toEqual([]);
    expect(fresh.sections).toContain('went with this call');
  });
  test('output files from the worker: names resources/read refuses are not linked; links stay within their budget', () => {
    const hostile = [
      { path: '../../etc/passwd', size: 1 },
      { path: '/etc/passwd', size: 1 },
      { path: 'outputs/a\nb', size: 1 },
      { path: 'outputs/ok.csv', size: 1 },
    ];
    const checked = mediaParts(media([], hostile), 's-1', 0, 10_000);
    expect(checked.links.map((link) => link.uri)).toEqual([
      'pymcp://sessions/s-1/files/outputs/ok.csv',
    ]);
    const many = Array.from({ length: 50 }, (_, i) => ({
      path: `outputs/${'x'.repeat(900)}-${i}`,
      size: 1,
    }));
    const bounded = mediaParts(media([], many), 's-1', 0, 10_000);
    expect(bounded.links.length).toBeGreaterThan(0);
    expect(bounded.links.length).toBeLessThan(50);
    expect(
      Buffer.byteLength(JSON.stringify([bounded.links, bounded.files, bounded.sections])),
    ).toBeLessThanOrEqual(10_000 + 100);
    expect(bounded.sections).toContain(`... and ${50 - bounded.links.length} more (list_files)`);
  });
});

describe('table records', () => {
  const table = (records: string | null) => ({
    kind: 'DataFrame' as const,
    rows: 3,
    columns: 1,
    column_names: ['a'],
    records,
    records_rows: 3,
  });

  test('as many records as fit the room', () => {
    expect(tableRecords(table('[{"a":1},{"a":2},{"a":3}]'), 1000).shown).toBe(3);
    expect(tableRecords(table('[{"a":1},{"a":2},{"a":3}]'), 20)).toMatchObject({
      records: [{ a: 1 }, { a: 2 }],
      shown: 2,
    });
  });

  test('records that are not a JSON array are dropped, not passed on', () => {
    expect(tableRecords(table('{"a":1}'), 1000).records).toBeNull();
    expect(tableRecords(table('[{"a":'), 1000).records).toBeNull();
    expect(tableRecords(table(null), 1000).records).toBeNull();
  });
});
