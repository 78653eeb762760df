/** The service flags of `serve`: replica names a balancer can route on, Host authorities. */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { describe, expect, test } from 'vitest';
import { allowedHost, REPLICA_ID, replicaId } from '../../src/cli/service-options.js';
import { checkHost, checkOrigin } from '../../src/server/http-checks.js';
import { logLine } from '../../src/shared/log.js';

describe('replicaId', () => {
  test.each(['r1', 'a', 'pymcp-a', '0', 'a'.repeat(32)])('accepts %s', (name) => {
    expect(replicaId(name)).toBe(name);
  });
  test.each([
    ['a dot: it would end the prefix early', 'r1.x'],
    ['upper case', 'R1'],
    ['a leading hyphen (read as a flag)', '-r1'],
    ['a trailing hyphen', 'r1-'],
    ['regex characters for the nginx map', 'r(1)'],
    ['a space', 'r 1'],
    ['empty', ''],
    ['too long', 'a'.repeat(33)],
  ])('refuses %s', (_why, name) => {
    expect(() => replicaId(name)).toThrow(InvalidArgumentError);
  });
  // The generator keeps its own copy (it runs without a build): a name one accepts and the other
  // refuses would be a replica nginx cannot route to, or a map entry the server never matches.
  test('deploy/nginx/generate.js checks replica names by the same rule', () => {
    const script = readFileSync(new URL('../../deploy/nginx/generate.js', import.meta.url), 'utf8');
    expect(script).toContain(`const REPLICA_ID = ${String(REPLICA_ID)};`);
  });
});

describe('allowedHost', () => {
  test.each([
    ['127.0.0.1:8080', '127.0.0.1:8080'],
    ['MCP.Internal:443', 'mcp.internal:443'],
    ['[::1]:8080', '[::1]:8080'],
  ])('accepts %s', (value, expected) => {
    expect(allowedHost(value)).toEqual([expected]);
  });
  test('collects repeated values', () => {
    expect(allowedHost('b:2', ['a:1'])).toEqual(['a:1', 'b:2']);
  });
  test.each(['balancer', 'a b:80', 'host:0', 'host:65536', 'http://host:80', 'host:80/mcp', ':80'])(
    'refuses %s',
    (value) => {
      expect(() => allowedHost(value)).toThrow(InvalidArgumentError);
    },
  );
});

describe('checkHost and checkOrigin with a balancer in front', () => {
  const extra = ['mcp.internal:443'];
  test('the balancer authority passes, for Host and Origin', () => {
    expect(checkHost('mcp.internal:443', 8765, extra)).toBeNull();
    expect(checkOrigin('http://mcp.internal:443', 8765, extra)).toBeNull();
    expect(checkHost('127.0.0.1:8765', 8765, extra)).toBeNull();
  });
  test.each(['mcp.internal:80', 'mcp.internal', 'attacker.example:443', 'evil.mcp.internal:443'])(
    'anything else is refused: %s',
    (host) => {
      expect(checkHost(host, 8765, extra)).toMatchObject({ status: 403 });
    },
  );
});

describe('logLine', () => {
  test('json: one object on one line, whatever the message holds', () => {
    const line = logLine('json', 'warn', 'two\nlines "quoted"', new Error('boom'));
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    const entry = JSON.parse(line) as Record<string, string>;
    expect(entry).toMatchObject({ level: 'warn', msg: 'two\nlines "quoted"' });
    expect(entry.detail).toContain('boom');
    expect(new Date(entry.time!).toString()).not.toBe('Invalid Date');
  });
  test('text: the readable line', () => {
    expect(logLine('text', 'info', 'hello')).toBe('isolated-pymcp info: hello\n');
  });
});
