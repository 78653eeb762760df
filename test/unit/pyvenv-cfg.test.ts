import { describe, expect, test } from 'vitest';
import { parsePyvenvCfg } from '../../src/shared/pyvenv-cfg.js';

describe('pyvenv.cfg is read the way CPython reads it', () => {
  test('a file written by python3 -m venv', () => {
    const text = [
      'home = /usr/bin',
      'include-system-site-packages = false',
      'version = 3.11.2',
      'executable = /usr/bin/python3.11',
      'command = /usr/bin/python3 -m venv /srv/app/.venv',
      '',
    ].join('\n');
    expect(parsePyvenvCfg(text)).toEqual({
      home: '/usr/bin',
      includeSystemSitePackages: false,
      version: '3.11.2',
    });
  });

  test.each([
    ['include-system-site-packages = true', true],
    ['include-system-site-packages = TRUE', true],
    ['Include-System-Site-Packages=True', true],
    ['include-system-site-packages = yes', false],
    ['include-system-site-packages = 1', false],
    ['', false],
    // site.py lets the last line win
    ['include-system-site-packages = true\ninclude-system-site-packages = false', false],
    ['include-system-site-packages = false\ninclude-system-site-packages = true', true],
  ])('%j -> include system site-packages: %s', (text, expected) => {
    expect(parsePyvenvCfg(text).includeSystemSitePackages).toBe(expected);
  });

  test('getpath.py stops at the first home', () => {
    expect(parsePyvenvCfg('home = /opt/py/bin\nhome = /elsewhere/bin\n').home).toBe('/opt/py/bin');
  });

  test("uv's version_info, CRLF line ends and lines without '=' are understood", () => {
    expect(
      parsePyvenvCfg('home = /opt/uv/bin\r\nvalidly ignored\r\nversion_info = 3.12.4\r\n'),
    ).toEqual({
      home: '/opt/uv/bin',
      includeSystemSitePackages: false,
      version: '3.12.4',
    });
  });
});

describe('hostile pyvenv.cfg values are dropped, not used', () => {
  test.each([
    ['missing home', 'version = 3.11.2\n'],
    ['an empty home', 'home =\n'],
    ['a relative home', 'home = ../../bin\n'],
    ['a home with a NUL', 'home = /usr/bin\u0000/../../etc\n'],
    ['a home with an escape sequence', 'home = /usr/bin\u001b[2J\n'],
    ['a home past 4096 characters', `home = /${'a'.repeat(5000)}\n`],
  ])('%s gives no home', (_name, text) => {
    expect(parsePyvenvCfg(text).home).toBeNull();
  });

  test('a home with .. segments is normalised before it is looked at', () => {
    expect(parsePyvenvCfg('home = /opt/py/bin/../../../home/user\n').home).toBe('/home/user');
  });

  test.each([['3.11.2; rm -rf /'], ['<script>'], ['x'.repeat(100)], ['']])(
    'a version of %j is not shown',
    (version) => {
      expect(parsePyvenvCfg(`version = ${version}\n`).version).toBeNull();
    },
  );

  test('a megabyte of lines parses in bounded time and keeps the first home', () => {
    const text = `home = /usr/bin\n${'x = y\n'.repeat(200_000)}`;
    expect(parsePyvenvCfg(text).home).toBe('/usr/bin');
  });
});
