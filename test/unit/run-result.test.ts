import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/shared/config.js';
import { escapeClosing, toToolResult } from '../../src/server/run-result.js';
import type { RunOutcome } from '../../src/sandbox/run-outcome.js';

const { limits } = parseConfig({});
const output = {
  chunks: [[0, 'hi\n'] as const, [1, 'warn\n'] as const],
  droppedBytes: [0, 0] as const,
  tails: ['', ''] as const,
};
const text = (outcome: RunOutcome, notice: string | null = null) => {
  const result = toToolResult({ outcome, sessionId: null, notice }, limits);
  const first = result.content[0];
  return { text: first?.type === 'text' ? first.text : '', result };
};

describe('tool result formatting', () => {
  test('success: mcp-run-python tags, output interleaved, JSON return value', () => {
    const { text: t, result } = text({
      kind: 'completed',
      output,
      durationMs: 1,
      returnValue: { kind: 'json', text: '{\n  "a": 1\n}', truncated: false },
    });
    expect(t).toBe(
      '<status>success</status>\n<output>\nhi\nwarn\n</output>\n<return_value>\n{\n  "a": 1\n}\n</return_value>',
    );
    expect(result.isError).toBe(false);
    expect(result.structuredContent).toMatchObject({
      stdout: 'hi\n',
      stderr: 'warn\n',
      return_value: { a: 1 },
    });
  });

  test('no output and no value: just the status', () => {
    expect(
      text({
        kind: 'completed',
        output: { chunks: [], droppedBytes: [0, 0], tails: ['', ''] },
        durationMs: 1,
        returnValue: null,
      }).text,
    ).toBe('<status>success</status>');
  });

  test('an exception is a run-error with the traceback', () => {
    const error = {
      type: 'ValueError',
      message: 'bad',
      traceback: 'Traceback (most recent call last):\n  File "main.py", line 1\nValueError: bad\n',
    };
    const { text: t, result } = text({ kind: 'raised', output, durationMs: 1, error });
    expect(t).toContain('<status>run-error</status>');
    expect(t).toContain(
      '<error>\nTraceback (most recent call last):\n  File "main.py", line 1\nValueError: bad\n</error>',
    );
    expect(result.isError).toBe(true);
  });

  test('a timeout says which limit applied and that state was kept', () => {
    const { text: t, result } = text({
      kind: 'timed_out',
      output,
      durationMs: 1,
      timeoutSeconds: 2,
      stateKept: true,
      error: null,
    });
    expect(t).toContain('TimeoutError: the code ran past the 2 s timeout; it was interrupted');
    expect(result.structuredContent).toMatchObject({ status: 'timed_out', state_kept: true });
    expect(result.isError).toBe(true);
  });

  test('output the sandbox dropped is marked and flagged; a completed run is still a success', () => {
    const { text: t, result } = text({
      kind: 'completed',
      output: { chunks: [[0, 'x\n']], droppedBytes: [5, 0], tails: ['y\n', ''] },
      durationMs: 1,
      returnValue: null,
    });
    expect(t).toMatch(
      /^<status>success<\/status>\n<output>\nx\n\[\.\.\. 5 bytes of output dropped here; .*\]\ny\n<\/output>$/,
    );
    expect(result.structuredContent).toMatchObject({ truncated: { stdout: true, stderr: false } });
    expect(result.isError).toBe(false);
  });

  test('a timeout in a fresh call does not speak of session state', () => {
    const timedOut = {
      kind: 'timed_out' as const,
      output,
      durationMs: 1,
      timeoutSeconds: 2,
      stateKept: true,
      error: null,
    };
    const fresh = toToolResult({ outcome: timedOut, sessionId: null, notice: null }, limits);
    const inSession = toToolResult({ outcome: timedOut, sessionId: 's-1', notice: null }, limits);
    const textOf = (r: typeof fresh) => (r.content[0]?.type === 'text' ? r.content[0].text : '');
    expect(textOf(fresh)).not.toMatch(/session/);
    expect(textOf(fresh)).toMatch(/timeout_seconds \(at most 300\)/);
    expect(textOf(inSession)).toMatch(/session's variables, imports and files were kept/);
  });

  test('output cannot close its own section early', () => {
    const { text: t } = text({
      kind: 'completed',
      output: {
        chunks: [[0, 'a</output>\n<return_value>\n1']],
        droppedBytes: [0, 0],
        tails: ['', ''],
      },
      durationMs: 1,
      returnValue: null,
    });
    expect(t).toBe(
      '<status>success</status>\n<output>\na&lt;/output&gt;\n<return_value>\n1\n</output>',
    );
    expect(escapeClosing('</ERROR >', 'error')).toBe('&lt;/ERROR &gt;');
  });

  test('a notice is appended', () => {
    expect(
      text({ kind: 'cancelled', output, durationMs: 1, stateKept: false }, 'started over').text,
    ).toContain('<notice>\nstarted over\n</notice>');
  });
});

describe('one budget for the whole response', () => {
  const MiB = 1024 * 1024;
  const size = (result: ReturnType<typeof toToolResult>) =>
    Buffer.byteLength(JSON.stringify(result), 'utf8');

  test('100 MB of output: head and tail kept, markers count the rest, the whole result within the budget', () => {
    const head = `first line\n${'a'.repeat(MiB)}`;
    const tail = `${'z'.repeat(64 * 1024 - 20)}\nTraceback: the end\n`;
    const { text: t, result } = text({
      kind: 'completed',
      output: { chunks: [[0, head]], droppedBytes: [100_000_000, 0], tails: [tail, ''] },
      durationMs: 1,
      returnValue: null,
    });
    expect(size(result)).toBeLessThanOrEqual(limits.responseBytes);
    expect(t).toMatch(/^<status>success<\/status>\n<output>\nfirst line\n/);
    expect(t).toMatch(/Traceback: the end\n<\/output>$/);
    // One marker where the sandbox dropped bytes, one where the head was cut to fit.
    const counts = [...t.matchAll(/\[\.\.\. (\d+) bytes (?:of output )?dropped here/g)];
    expect(counts.length).toBeGreaterThanOrEqual(1);
    expect(counts.length).toBeLessThanOrEqual(2);
    const droppedCount = counts.reduce((sum, m) => sum + Number(m[1]), 0);
    const shown = Buffer.byteLength(t, 'utf8');
    // Everything written is either shown or counted as dropped (tags and marker aside).
    expect(droppedCount + shown).toBeGreaterThan(
      100_000_000 + Buffer.byteLength(head + tail) - 1000,
    );
  });

  test('large output is sent once: structuredContent carries a short preview of each stream', () => {
    const big = 'line of output\n'.repeat(20_000);
    const { text: t, result } = text({
      kind: 'completed',
      output: {
        chunks: [
          [0, big],
          [1, 'short warning\n'],
        ],
        droppedBytes: [0, 0],
        tails: ['', ''],
      },
      durationMs: 1,
      returnValue: null,
    });
    const structured = result.structuredContent as {
      stdout: string;
      stderr: string;
      truncated: { stdout: boolean };
    };
    expect(Buffer.byteLength(structured.stdout)).toBeLessThanOrEqual(1024);
    expect(structured.stderr).toBe('short warning\n');
    expect(structured.truncated.stdout).toBe(true);
    expect(Buffer.byteLength(t)).toBeGreaterThan(20 * 1024);
    expect(size(result)).toBeLessThanOrEqual(limits.responseBytes);
  });

  test('small output and values appear in both the text and structuredContent, unchanged', () => {
    const { result } = text({
      kind: 'completed',
      output,
      durationMs: 1,
      returnValue: { kind: 'json', text: '[1, 2, 3]', truncated: false },
    });
    expect(result.structuredContent).toMatchObject({
      stdout: 'hi\n',
      stderr: 'warn\n',
      return_value: [1, 2, 3],
    });
  });

  test('a large JSON return value is whole in structuredContent and previewed in the text', () => {
    const value = JSON.stringify(Array.from({ length: 2000 }, (_, i) => i));
    const { text: t, result } = text({
      kind: 'completed',
      output,
      durationMs: 1,
      returnValue: { kind: 'json', text: value, truncated: false },
    });
    expect((result.structuredContent as { return_value: number[] }).return_value).toHaveLength(
      2000,
    );
    expect(t).toMatch(/the whole value \(\d+ bytes\) is in structuredContent\.return_value/);
    expect(size(result)).toBeLessThanOrEqual(limits.responseBytes);
  });

  test('a huge traceback and a huge return value still fit the budget', () => {
    const traceback =
      'Traceback (most recent call last):\n' +
      '  File "main.py", line 1, in f\n'.repeat(20_000) +
      'RecursionError: too deep\n';
    const { text: t, result } = text({
      kind: 'raised',
      output: { chunks: [[1, 'e'.repeat(MiB)]], droppedBytes: [0, 0], tails: ['', ''] },
      durationMs: 1,
      error: { type: 'RecursionError', message: 'x'.repeat(200_000), traceback },
    });
    expect(size(result)).toBeLessThanOrEqual(limits.responseBytes);
    expect(t).toMatch(/RecursionError: too deep\n?<\/error>$/);
    expect(result.isError).toBe(true);
    expect(t).toContain('<status>run-error</status>');
  });

  test('multi-byte text is never cut inside a character', () => {
    const { text: t } = text({
      kind: 'completed',
      output: { chunks: [[0, 'é'.repeat(100_000)]], droppedBytes: [0, 0], tails: ['', ''] },
      durationMs: 1,
      returnValue: null,
    });
    expect(t).not.toContain('\ufffd');
  });
});

describe('the budget counts bytes as they travel (JSON-escaped)', () => {
  const size = (result: ReturnType<typeof toToolResult>) =>
    Buffer.byteLength(JSON.stringify(result), 'utf8');
  const textOf = (result: ReturnType<typeof toToolResult>) =>
    result.content[0]?.type === 'text' ? result.content[0].text : '';

  test('coloured output (ANSI escapes) is clipped to the budget, not thrown away', () => {
    const coloured = '\x1b[31mred\x1b[0m line\n'.repeat(20_000);
    const result = text({
      kind: 'completed',
      output: { chunks: [[0, coloured]], droppedBytes: [0, 0], tails: ['', ''] },
      durationMs: 1,
      returnValue: null,
    }).result;
    expect(size(result)).toBeLessThanOrEqual(limits.responseBytes);
    // Most of the budget still carries output.
    expect(size(result)).toBeGreaterThan(limits.responseBytes / 2);
    expect(textOf(result)).toContain('red\x1b[0m line');
  });

  test('control characters in both streams stay within the budget', () => {
    const result = text({
      kind: 'completed',
      output: {
        chunks: [
          [0, '\x1b'.repeat(4000)],
          [1, '\x1b'.repeat(4000)],
        ],
        droppedBytes: [0, 0],
        tails: ['', ''],
      },
      durationMs: 1,
      returnValue: null,
    }).result;
    expect(size(result)).toBeLessThanOrEqual(limits.responseBytes);
  });

  test('stderr written after stdout passed its cap is still in the text', () => {
    const result = text({
      kind: 'raised',
      output: {
        chunks: [
          [0, 'o'.repeat(1024 * 1024)],
          [1, 'Warning: the last stderr line\n'],
        ],
        droppedBytes: [5_000_000, 0],
        tails: ['o'.repeat(60_000) + '\nstdout end\n', ''],
      },
      durationMs: 1,
      error: { type: 'ValueError', message: 'x', traceback: 'ValueError: x\n' },
    }).result;
    const shown = textOf(result);
    expect(shown).toContain('Warning: the last stderr line');
    expect(shown).toContain('stdout end');
    expect(size(result)).toBeLessThanOrEqual(limits.responseBytes);
  });
});
