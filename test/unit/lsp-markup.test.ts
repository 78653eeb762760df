/** Hover and signature text as models read it: no HTML entities outside code blocks. */
import { describe, expect, test } from 'vitest';
import { decodeEntities, hoverText } from '../../src/lsp/markup.js';

describe('hover text', () => {
  test.each<[string, string, string]>([
    ['escaped comparison', 'when a &lt; b &amp;&amp; c &gt; d', 'when a < b && c > d'],
    ['indentation', 'Example:  \n&nbsp;&nbsp;&nbsp;&nbsp;indented', 'Example:  \n    indented'],
    ['numeric references', '&#39;x&#x27;', "'x'"],
    [
      'code blocks stay as written',
      '```python\nx = "&lt;"\n```\na &lt; b',
      '```python\nx = "&lt;"\n```\na < b',
    ],
    ['an unknown name stays', '&bogus; &', '&bogus; &'],
  ])('%s', (_name, input, expected) => {
    expect(decodeEntities(input)).toBe(expected);
  });

  test('the deprecated MarkedString forms are joined and decoded', () => {
    expect(hoverText(['a &lt; b', { language: 'python', value: 'def f(): ...' }])).toBe(
      'a < b\n\ndef f(): ...',
    );
  });
});
