/**
 * Plots as images and pandas tables as tables, through the built CLI and the SDK Client, with the
 * real matplotlib, Pillow and pandas inside the real sandbox.
 */
import type { CallToolResult, ImageContent } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, structured, textOf, type ServerUnderTest } from '../helpers/mcp-client.js';

interface ImageInfo {
  label: string;
  width: number;
  height: number;
  bytes: number;
  scaled: boolean;
}
interface RichStructured {
  images: ImageInfo[];
  images_omitted: number;
  table: {
    kind: string;
    rows: number;
    columns: number;
    column_names: string[];
    records_shown: number;
  } | null;
}

function imagesOf(result: CallToolResult): ImageContent[] {
  return result.content.filter((item): item is ImageContent => item.type === 'image');
}

function rich(result: CallToolResult): RichStructured {
  return result.structuredContent as unknown as RichStructured;
}

/** Width and height from a PNG's IHDR chunk, parsed here rather than trusted from the server. */
function pngSize(base64: string): { width: number; height: number } {
  const data = Buffer.from(base64, 'base64');
  expect(data.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]));
  expect(data.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

/** The result without its images: what the response budget (--response-kb) covers. */
function nonImageBytes(result: CallToolResult): number {
  const rest = { ...result, content: result.content.filter((item) => item.type !== 'image') };
  return Buffer.byteLength(JSON.stringify(rest), 'utf8');
}

const RESPONSE_BYTES = 40 * 1024;
const IMAGE_BYTES = 1024 * 1024;

describe('images and tables', () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = await startServer(['--no-workspace']);
  });
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
  });

  test('a matplotlib figure comes back as a PNG of its size, described in the text', async () => {
    const result = await server.run(
      [
        'import matplotlib.pyplot as plt',
        'fig, ax = plt.subplots(figsize=(4, 3), dpi=100)',
        'ax.plot([1, 2, 3], [1, 4, 9])',
        'ax.set_title("Squares")',
        'ax.set_xlabel("n")',
        'ax.set_ylabel("n squared")',
      ].join('\n'),
    );
    expect(result.isError, textOf(result)).toBe(false);
    const images = imagesOf(result);
    expect(images).toHaveLength(1);
    expect(images[0]?.mimeType).toBe('image/png');
    expect(pngSize(images[0]?.data ?? '')).toEqual({ width: 400, height: 300 });
    // A model without image support still learns what the plot is.
    const text = textOf(result);
    expect(text).toMatch(
      /<images>\nimage 1: figure 1: axes: title "Squares", x "n", y "n squared"; 400x300 px PNG/,
    );
    expect(rich(result).images).toEqual([
      expect.objectContaining({ width: 400, height: 300, scaled: false }),
    ]);
  });

  test('plt.show() returns at once (no display) and the figure still comes back', async () => {
    const result = await server.run(
      'import matplotlib.pyplot as plt\nplt.plot([3, 1, 2])\nplt.show()\nprint("after show")',
      { timeout_seconds: 60 },
    );
    expect(structured(result)).toMatchObject({ status: 'completed', stdout: 'after show\n' });
    expect(imagesOf(result)).toHaveLength(1);
    expect(pngSize(imagesOf(result)[0]?.data ?? '')).toEqual({ width: 640, height: 480 });
  });

  test('in a session a figure is sent once: captured figures are closed', async () => {
    const created = await server.call('create_session', {});
    const id = (created.structuredContent as { session_id: string }).session_id;
    const first = await server.run('import matplotlib.pyplot as plt\nplt.plot([1, 2])', {
      session_id: id,
    });
    expect(imagesOf(first)).toHaveLength(1);
    const second = await server.run('len(plt.get_fignums())', { session_id: id });
    expect(imagesOf(second)).toHaveLength(0);
    expect(structured(second).return_value).toBe(0);
    expect(textOf(second)).not.toContain('<images>');
    await server.call('close_session', { session_id: id });
  });

  test('a returned PIL image or Figure is an image, not a repr, and not sent twice', async () => {
    const pil = await server.run("from PIL import Image\nImage.new('RGB', (120, 80), 'red')");
    expect(pngSize(imagesOf(pil)[0]?.data ?? '')).toEqual({ width: 120, height: 80 });
    expect(structured(pil)).toMatchObject({ return_value: null, return_value_kind: 'none' });
    expect(textOf(pil)).toContain('returned image (120x80 px, mode RGB)');

    const figure = await server.run(
      'import matplotlib.pyplot as plt\nfig = plt.figure(figsize=(2, 2), dpi=50)\nfig.suptitle("Mine")\nfig',
    );
    expect(imagesOf(figure)).toHaveLength(1);
    expect(pngSize(imagesOf(figure)[0]?.data ?? '')).toEqual({ width: 100, height: 100 });
    expect(textOf(figure)).toContain('returned figure: title "Mine"');
  });

  test('a figure too large is scaled down to the pixel cap, and the text says so', async () => {
    const result = await server.run(
      'import matplotlib.pyplot as plt\nplt.figure(figsize=(40, 30), dpi=100)\nplt.plot([1, 2])',
    );
    const [image] = imagesOf(result);
    const size = pngSize(image?.data ?? '');
    expect(Math.max(size.width, size.height)).toBeLessThanOrEqual(1568);
    expect(size.width * size.height).toBeLessThanOrEqual(1_320_000);
    expect(size.width).toBeGreaterThan(600);
    expect(textOf(result)).toContain('scaled down to fit the limits');
  });

  test('30 figures: at most 8 attached, the rest named, and both budgets hold', async () => {
    const result = await server.run(
      [
        'import matplotlib.pyplot as plt',
        'for i in range(30):',
        '    plt.figure()',
        '    plt.plot(range(100), [x * i for x in range(100)])',
        '    plt.title(f"plot {i}")',
      ].join('\n'),
    );
    expect(result.isError, textOf(result)).toBe(false);
    const images = imagesOf(result);
    expect(images).toHaveLength(8);
    const imageBytes = images.reduce((sum, image) => sum + image.data.length, 0);
    expect(imageBytes).toBeLessThanOrEqual(IMAGE_BYTES);
    expect(nonImageBytes(result)).toBeLessThanOrEqual(RESPONSE_BYTES);
    const text = textOf(result);
    expect(text).toContain('not attached (22):');
    expect(text).toContain('figure 9: axes: title "plot 8"');
    expect(text).toContain('over the limit of 8 images per call');
    expect(rich(result).images_omitted).toBe(22);
    // All 30 were closed: nothing is left for the next call of a session to send again.
    const after = await server.run('import matplotlib.pyplot as plt\nplt.get_fignums()');
    expect(structured(after).return_value).toEqual([]);
  });

  test('figures drawn before an exception still come back with the error', async () => {
    const result = await server.run(
      'import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.title("before")\n1 / 0',
    );
    expect(result.isError).toBe(true);
    expect(structured(result).error?.type).toBe('ZeroDivisionError');
    expect(imagesOf(result)).toHaveLength(1);
  });

  test('a DataFrame is a bounded table in the text and JSON records in structuredContent', async () => {
    const result = await server.run(
      [
        'import pandas as pd',
        'pd.DataFrame({"n": range(5000), "square": [i * i for i in range(5000)],',
        '              "name": [f"row {i}" for i in range(5000)]})',
      ].join('\n'),
    );
    expect(result.isError, textOf(result)).toBe(false);
    const text = textOf(result);
    expect(text).toContain('<return_value>\nDataFrame: 5000 rows x 3 columns\n');
    expect(text).toMatch(/\n\s*0\s+0\s+0\s+row 0\n/);
    expect(text).toMatch(/\n\s*4999\s+4999\s+24990001\s+row 4999\n/);
    expect(text.split('\n').length).toBeLessThan(60);
    const data = structured(result);
    expect(data.return_value_kind).toBe('table');
    const records = data.return_value as Array<Record<string, unknown>>;
    expect(records[0]).toEqual({ n: 0, square: 0, name: 'row 0' });
    expect(records[10]).toEqual({ n: 10, square: 100, name: 'row 10' });
    const table = rich(result).table;
    expect(table).toMatchObject({ kind: 'DataFrame', rows: 5000, columns: 3 });
    expect(table?.column_names).toEqual(['n', 'square', 'name']);
    expect(table?.records_shown).toBe(records.length);
    expect(records.length).toBeGreaterThan(100);
    expect(records.length).toBeLessThan(5000);
    expect(data.truncated.return_value).toBe(true);
    expect(text).toContain(`holds the first ${records.length} of 5000 rows as JSON records`);
    expect(nonImageBytes(result)).toBeLessThanOrEqual(RESPONSE_BYTES);
  });

  test('a Series is a table too, its index kept in the records', async () => {
    const result = await server.run(
      'import pandas as pd\npd.Series([1.5, None, 3.0], index=["a", "b", "c"], name="price")',
    );
    const data = structured(result);
    expect(data.return_value_kind).toBe('table');
    expect(data.return_value).toEqual([
      { index: 'a', price: 1.5 },
      { index: 'b', price: null },
      { index: 'c', price: 3.0 },
    ]);
    expect(textOf(result)).toContain("Series 'price': 3 rows, dtype float64");
  });

  test('a DataFrame that cannot be rendered as a table still returns a value, with the reason', async () => {
    const result = await server.run(
      [
        'import pandas as pd',
        'class Bad:',
        '    def __str__(self): raise ValueError("no str")',
        '    def __repr__(self): raise ValueError("no repr")',
        'pd.DataFrame({"a": [Bad()]})',
      ].join('\n'),
    );
    const data = structured(result);
    expect(data).toMatchObject({ status: 'completed', return_value_kind: 'repr', table: null });
    expect(data.return_value).toBe('<unrepresentable DataFrame: ValueError>');
    expect(textOf(result)).toContain('[the table could not be rendered: ValueError]');
  });

  test('a table with many long, escaped column names stays within the response budget', async () => {
    const result = await server.run(
      [
        'import pandas as pd',
        'pd.DataFrame({"\\x01" * 117 + f"{i:03d}": [i] for i in range(100)})',
      ].join('\n'),
    );
    expect(structured(result).status).toBe('completed');
    expect(nonImageBytes(result)).toBeLessThanOrEqual(RESPONSE_BYTES);
    expect(rich(result).table).toMatchObject({ kind: 'DataFrame', rows: 1, columns: 100 });
  });
});

describe('the image budget (--image-kb)', () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = await startServer(['--no-workspace', '--image-kb', '40']);
  });
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
  });

  test('images past the budget are left out and named, never cut', async () => {
    const result = await server.run(
      [
        'import matplotlib.pyplot as plt',
        'for i in range(5):',
        '    plt.figure()',
        '    plt.plot(range(50), [(x * 7919 * (i + 1)) % 101 for x in range(50)])',
        '    plt.title(f"noisy {i}")',
      ].join('\n'),
    );
    const images = imagesOf(result);
    expect(images.length).toBeGreaterThanOrEqual(1);
    expect(images.length).toBeLessThan(5);
    expect(images.reduce((sum, image) => sum + image.data.length, 0)).toBeLessThanOrEqual(
      40 * 1024,
    );
    for (const image of images) expect(pngSize(image.data).width).toBeGreaterThan(0);
    expect(textOf(result)).toContain('over the image budget of this call');
    expect(rich(result).images_omitted).toBe(5 - images.length);
  });
});

describe('code that breaks the capture', () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = await startServer(['--no-workspace']);
  });
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
  });

  test('a broken pyplot costs the images, not the result or the error', async () => {
    const broken = 'import matplotlib.pyplot as plt\nplt.plot([1])\nplt.get_fignums = None\n';
    const result = await server.run(`${broken}"kept"`);
    expect(structured(result)).toMatchObject({ status: 'completed', return_value: 'kept' });
    expect(structured(result).stderr).toContain('[figures could not be captured: TypeError');
    const raised = await server.run(`${broken}raise ValueError("mine")`);
    expect(structured(raised).error).toMatchObject({ type: 'ValueError', message: 'mine' });
  });
});
