/** Workspace paths and reasons as the lsp answers' text shows them: one line, nothing raw. */
import { describe, expect, test } from 'vitest';
import { oneLine, shownPath } from '../../src/server/tools/lsp-common.js';

describe('shownPath and oneLine', () => {
  test('an ordinary path is shown as it is', () => {
    expect(shownPath('src/pkg/mod.py')).toBe('src/pkg/mod.py');
  });

  test.each([
    ['a\nb.py', '"a\\nb.py"'],
    ['tab\there.py', '"tab\\there.py"'],
    ['del\u007f.py', '"del\\u007f.py"'],
    ['ls\u2028ps\u2029.py', '"ls\\u2028ps\\u2029.py"'],
    ['quote"\\\u0001.py', '"quote\\"\\\\\\u0001.py"'],
  ])('%j is quoted with every control character escaped', (file, shown) => {
    expect(shownPath(file)).toBe(shown);
    // What is shown is the JSON string of the name: it reads back as the name.
    expect(JSON.parse(shownPath(file))).toBe(file);
  });

  test('a reason keeps to one line, with no raw control character', () => {
    const text = oneLine('path "x\ny\u2028z\u007f" is refused');
    expect(text).toBe('path "x\\ny\\u2028z\\u007f" is refused');
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u001f\u007f\u2028\u2029]/);
  });
});
