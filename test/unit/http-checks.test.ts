/**
 * The HTTP server's request checks, one table each: what passes, and the attacks or mistakes
 * each refuses, with the status and JSON-RPC error code the client sees.
 */
import { describe, expect, test } from 'vitest';
import { digest } from '../../src/server/http-auth.js';
import {
  checkBatch,
  checkContentType,
  checkDeclaredLength,
  checkHost,
  checkInitialize,
  checkMessage,
  checkMethod,
  checkOrigin,
  checkPath,
  checkToken,
  parseBody,
  tooLarge,
} from '../../src/server/http-checks.js';

const PORT = 8765;
const TOKEN = 'test-token-0123456789abcdef';

describe('checkHost', () => {
  test.each(['127.0.0.1:8765', 'localhost:8765', '[::1]:8765', 'LOCALHOST:8765'])(
    'passes %s',
    (host) => {
      expect(checkHost(host, PORT)).toBeNull();
    },
  );

  test.each([
    ['DNS rebinding: a foreign name that resolves to 127.0.0.1', 'attacker.example:8765'],
    ['a rebinding name that embeds the loopback address', '127.0.0.1.nip.io:8765'],
    ['another port (another local service)', 'localhost:1'],
    ['no port at all', '127.0.0.1'],
    ['a LAN address', '192.168.1.10:8765'],
    ['a missing Host header', undefined],
    ['an empty Host header', ''],
  ])('refuses %s (403)', (_attack, host) => {
    expect(checkHost(host, PORT)).toMatchObject({ status: 403, code: -32000 });
  });
});

describe('checkOrigin', () => {
  test.each([
    ['no Origin (not a browser)', undefined],
    ['this server', 'http://127.0.0.1:8765'],
    ['this server by name', 'http://localhost:8765'],
    ['this server over IPv6', 'http://[::1]:8765'],
  ])('passes %s', (_name, origin) => {
    expect(checkOrigin(origin, PORT)).toBeNull();
  });

  test.each([
    ['a web page on another site', 'http://attacker.example'],
    ['a sandboxed iframe or file: page', 'null'],
    ['a rebinding name on the same port', 'http://127.0.0.1.nip.io:8765'],
    ['another local service', 'http://localhost:3000'],
    ['https to the same port (not this server)', 'https://localhost:8765'],
    ['a trailing path', 'http://localhost:8765/'],
  ])('refuses %s (403)', (_attack, origin) => {
    expect(checkOrigin(origin, PORT)).toMatchObject({ status: 403, code: -32000 });
  });
});

describe('checkToken', () => {
  const tokenDigest = digest(TOKEN);

  test.each([`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `Bearer  ${TOKEN} `])('passes %j', (header) => {
    expect(checkToken(header, tokenDigest)).toBeNull();
  });

  test.each([
    ['no Authorization header', undefined],
    ['an empty header', ''],
    ['a wrong token', 'Bearer wrong'],
    ['a token of the same length', `Bearer ${TOKEN.slice(0, -1)}X`],
    ['the token with a suffix', `Bearer ${TOKEN}extra`],
    ['the token without the scheme', TOKEN],
    ['Basic auth', `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}`],
    ['two tokens', `Bearer ${TOKEN} ${TOKEN}`],
  ])('refuses %s (401, WWW-Authenticate: Bearer)', (_attack, header) => {
    expect(checkToken(header, tokenDigest)).toMatchObject({
      status: 401,
      code: -32000,
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
  });
});

describe('checkPath', () => {
  test.each(['/mcp', '/mcp?x=1'])('passes %s', (url) => {
    expect(checkPath(url)).toBeNull();
  });

  test.each(['/', '/mcp/', '/MCP', '/admin', '/mcp/../admin', '//mcp', '', undefined])(
    'probing %j finds nothing (404)',
    (url) => {
      expect(checkPath(url)).toMatchObject({ status: 404, code: -32000 });
    },
  );
});

describe('checkMethod', () => {
  test.each(['GET', 'POST', 'DELETE'])('passes %s', (method) => {
    expect(checkMethod(method)).toBeNull();
  });

  test.each(['PUT', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'CONNECT', 'post', undefined])(
    'refuses %s (405, Allow)',
    (method) => {
      expect(checkMethod(method)).toMatchObject({
        status: 405,
        headers: { Allow: 'GET, POST, DELETE' },
      });
    },
  );
});

describe('checkContentType', () => {
  test.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON'])(
    'passes %s',
    (type) => {
      expect(checkContentType(type)).toBeNull();
    },
  );

  test.each([
    ['a cross-site form post (CORS "simple" request)', 'application/x-www-form-urlencoded'],
    ['a text/plain beacon', 'text/plain'],
    ['a media type that merely mentions JSON', 'text/plain; a=application/json'],
    ['a multipart upload', 'multipart/form-data; boundary=x'],
    ['no Content-Type', undefined],
  ])('refuses %s (415)', (_attack, type) => {
    expect(checkContentType(type)).toMatchObject({ status: 415, code: -32000 });
  });
});

describe('checkDeclaredLength', () => {
  test.each([undefined, '0', '1000', '1024'])('passes Content-Length %s under a 1024 cap', (n) => {
    expect(checkDeclaredLength(n, 1024)).toBeNull();
  });

  test.each(['1025', '99999999999999999999'])('refuses a declared %s bytes (413) unread', (n) => {
    expect(checkDeclaredLength(n, 1024)).toEqual(tooLarge(1024));
  });

  test('a 413 is a JSON-RPC error that names the cap and closes the connection', () => {
    expect(tooLarge(1024)).toEqual({
      status: 413,
      code: -32000,
      message: 'Payload Too Large: the request body exceeds 1024 bytes',
      headers: { Connection: 'close' },
    });
  });
});

describe('parseBody', () => {
  test('UTF-8 JSON parses', () => {
    expect(parseBody(Buffer.from('{"a": "π"}'))).toEqual({ body: { a: 'π' } });
  });

  test.each([
    ['truncated JSON', Buffer.from('{"jsonrpc": "2.0", "method": ')],
    ['invalid UTF-8 (refused, not replaced by U+FFFD)', Buffer.from([0x22, 0xff, 0x22])],
    ['an empty body', Buffer.alloc(0)],
  ])('%s: parse error (400, -32700)', (_name, bytes) => {
    expect(parseBody(bytes)).toMatchObject({ status: 400, code: -32700 });
  });
});

describe('checkMessage', () => {
  const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
  test.each([
    ['a request', ping],
    ['a notification', { jsonrpc: '2.0', method: 'notifications/initialized' }],
    ['a result', { jsonrpc: '2.0', id: 'a', result: {} }],
    ['an error', { jsonrpc: '2.0', id: 1, error: { code: 1, message: 'x' } }],
    ['a batch', [ping, { ...ping, id: 2 }]],
  ])('passes %s', (_name, body) => {
    expect(checkMessage(body)).toBeNull();
  });

  test.each([
    ['an empty object', {}],
    ['an object that is not JSON-RPC', { hello: 'world' }],
    ['JSON-RPC 1.0', { id: 1, method: 'ping', params: [] }],
    ['a request with a null id', { jsonrpc: '2.0', id: null, method: 'ping' }],
    ['a method that is not a string', { jsonrpc: '2.0', id: 1, method: 7 }],
    ['a number', 42],
    ['a string', 'ping'],
    ['null', null],
    ['true', true],
    ['an empty batch', []],
    ['a batch holding a non-message', [ping, 1]],
  ])('refuses %s (400, -32600)', (_name, body) => {
    expect(checkMessage(body)).toMatchObject({ status: 400, code: -32600 });
  });
});

describe('checkInitialize', () => {
  const params = {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'c', version: '1' },
  };
  test('an initialize request (with an id) opens a session', () => {
    expect(checkInitialize({ jsonrpc: '2.0', id: 0, method: 'initialize', params })).toBeNull();
  });
  test('an initialize notification (no id) is refused: no answer could carry its session id', () => {
    expect(checkInitialize({ jsonrpc: '2.0', method: 'initialize', params })).toMatchObject({
      status: 400,
      code: -32600,
    });
  });
});

describe('checkBatch', () => {
  const batch = [{ jsonrpc: '2.0', id: 1, method: 'ping' }];
  test.each([
    ['a single message under 2025-06-18', { jsonrpc: '2.0', method: 'x' }, '2025-06-18'],
    ['a batch under 2025-03-26', batch, '2025-03-26'],
    ['a batch with no known version', batch, undefined],
  ])('passes %s', (_name, body, version) => {
    expect(checkBatch(body, version)).toBeNull();
  });

  test.each(['2025-06-18', '2025-11-25'])('refuses a batch under %s (400, -32600)', (version) => {
    expect(checkBatch(batch, version)).toEqual({
      status: 400,
      code: -32600,
      message: `batch requests are not supported in protocol version ${version}`,
    });
  });
});
