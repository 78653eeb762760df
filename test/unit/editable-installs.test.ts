import { describe, expect, test } from 'vitest';
import { mentions } from '../../src/shared/editable-installs.js';

describe('mentions: the workspace named as a whole path', () => {
  test.each([
    ['/home/ann/proj/src\n', true],
    ['/home/ann/proj\n', true],
    ['/home/ann/proj', true],
    ["MAPPING = {'shop': '/home/ann/proj/src/shop'}", true],
    ['MAPPING = {"shop": "/home/ann/proj"}', true],
    ['/home/ann/project2/src\n', false],
    ['/home/ann/proj-old\n', false],
    ['import _virtualenv\n', false],
  ])('%j -> %s', (text, expected) => {
    expect(mentions(text, '/home/ann/proj')).toBe(expected);
  });
});
