import { PassThrough } from 'node:stream';
import { describe, expect, test, vi } from 'vitest';
import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import {
  BoundedStdioTransport,
  EOF_GRACE_MS,
  parseMessage,
  recoverId,
} from '../../src/server/stdio-transport.js';

async function harness(maxLine = 1024) {
  const input = new PassThrough();
  const output = new PassThrough();
  const written: unknown[] = [];
  output.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) written.push(JSON.parse(line));
  });
  const transport = new BoundedStdioTransport(input, output, maxLine);
  const received: JSONRPCMessage[] = [];
  let closed = false;
  transport.onmessage = (m) => received.push(m);
  transport.onclose = () => {
    closed = true;
  };
  await transport.start();
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { input, transport, written, received, isClosed: () => closed, settle };
}

describe('BoundedStdioTransport', () => {
  test('malformed JSON gets -32700 with id null and the next line is still read', async () => {
    const h = await harness();
    h.input.write('{not json\n{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
    await h.settle();
    expect(h.written).toEqual([
      { jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32700 }) },
    ]);
    expect(h.received).toEqual([{ jsonrpc: '2.0', id: 2, method: 'ping' }]);
  });

  test('bytes that are not UTF-8 get -32700 instead of being replaced', async () => {
    const h = await harness();
    h.input.write(
      Buffer.from([
        ...Buffer.from('{"jsonrpc":"2.0","id":4,"method":"x","params":{"c":"'),
        0xff,
        0xfe,
        ...Buffer.from('"}}\n'),
      ]),
    );
    await h.settle();
    expect(h.written).toEqual([
      {
        jsonrpc: '2.0',
        id: 4,
        error: expect.objectContaining({ code: -32700, message: expect.stringMatching(/UTF-8/) }),
      },
    ]);
    expect(h.received).toEqual([]);
  });

  test('valid JSON that is not JSON-RPC gets -32600 with its id', async () => {
    const h = await harness();
    h.input.write('{"id":7,"hello":"world"}\n[1,2]\n');
    await h.settle();
    expect(h.written).toEqual([
      { jsonrpc: '2.0', id: 7, error: expect.objectContaining({ code: -32600 }) },
      // JSON-RPC 2.0: a batch of invalid values gets one error per value, in an array.
      [
        { jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32600 }) },
        { jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32600 }) },
      ],
    ]);
  });

  test('an over-long line is refused with its id and never buffered whole', async () => {
    const h = await harness(256);
    h.input.write(
      `{"jsonrpc":"2.0","id":"big","method":"tools/call","params":{"x":"${'a'.repeat(5000)}"}}\n`,
    );
    h.input.write('{"jsonrpc":"2.0","id":3,"method":"ping"}\n');
    await h.settle();
    expect(h.written).toEqual([
      {
        jsonrpc: '2.0',
        id: 'big',
        error: expect.objectContaining({ code: -32600, message: expect.stringMatching(/exceeds/) }),
      },
    ]);
    expect(h.received).toHaveLength(1);
  });

  test('a one-shot pipe (never initialised) gets its answer when stdin ends, then closes', async () => {
    const h = await harness();
    h.input.end('{"jsonrpc":"2.0","id":1,"method":"tools/call"}\n');
    await h.settle();
    expect(h.isClosed()).toBe(false);
    await h.transport.send({ jsonrpc: '2.0', id: 1, result: {} });
    expect(h.isClosed()).toBe(true);
    expect(h.written).toEqual([{ jsonrpc: '2.0', id: 1, result: {} }]);
  });

  test('a one-shot pipe whose call runs on is closed after the grace period, not at its timeout', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const h = await harness();
      h.input.end('{"jsonrpc":"2.0","id":1,"method":"tools/call"}\n');
      await h.settle();
      expect(h.isClosed()).toBe(false);
      vi.advanceTimersByTime(EOF_GRACE_MS);
      expect(h.isClosed()).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  test('an initialised client closing stdin closes the transport at once (its calls are cancelled)', async () => {
    const h = await harness();
    h.input.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    h.input.end('{"jsonrpc":"2.0","id":1,"method":"tools/call"}\n');
    await h.settle();
    expect(h.isClosed()).toBe(true);
  });

  test('a cancelled request is no longer waited for when stdin ends (it gets no response)', async () => {
    const h = await harness();
    h.input.write('{"jsonrpc":"2.0","id":2,"method":"tools/call"}\n');
    h.input.end('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2}}\n');
    await h.settle();
    expect(h.isClosed()).toBe(true);
  });

  test('a last line without a newline is still read', async () => {
    const h = await harness();
    h.input.end('{"jsonrpc":"2.0","id":9,"method":"ping"}');
    await h.settle();
    expect(h.received).toEqual([{ jsonrpc: '2.0', id: 9, method: 'ping' }]);
  });
});

describe('recoverId', () => {
  test.each([
    ['{"jsonrpc":"2.0","id":12,"method":"x"', '', 12],
    ['{"id": "abc", "method"', '', 'abc'],
    ['{"method":"tools/call","params":{"python_code":"aaaa', '', null],
    ['{"id":1.5,', '', null],
    // The head ends inside the number: it could be longer.
    ['{"id":12', '', null],
    // The SDK client writes the id last.
    ['{"method":"tools/call","params":{"x":"aa', 'aaaa"}},"jsonrpc":"2.0","id":7}', 7],
    ['{"method":"tools/call","params":{"x":"aa', 'aa"}},"id":"q-1","jsonrpc":"2.0"}\n', 'q-1'],
    // An argument called "id" is not the request's id.
    ['{"jsonrpc":"2.0","method":"tools/call","params":{"id":3,"x":"aa', 'aa","id":9}}}', null],
    ['{"jsonrpc":"2.0","params":{"id":3,"x":"aaa', '', null],
    ['{"jsonrpc":"2.0","method":"tools/call","params":{"a":{"id":3}},"id":4,"x":"aa', '', 4],
  ])('%s ... %s -> %s', (head, tail, id) => {
    expect(recoverId(head, tail)).toBe(id);
  });
});

describe('batches', () => {
  const initialize = async (h: Awaited<ReturnType<typeof harness>>, version: string) => {
    h.input.write('{"jsonrpc":"2.0","id":0,"method":"initialize"}\n');
    await h.settle();
    await h.transport.send({
      jsonrpc: '2.0',
      id: 0,
      result: {
        protocolVersion: version,
        capabilities: {},
        serverInfo: { name: 's', version: '1' },
      },
    });
    h.written.length = 0;
  };

  test('are refused with one -32600 error in 2025-06-18 and later', async () => {
    const h = await harness();
    await initialize(h, '2025-06-18');
    h.input.write(
      '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]\n',
    );
    await h.settle();
    expect(h.written).toEqual([
      {
        jsonrpc: '2.0',
        id: null,
        error: expect.objectContaining({
          code: -32600,
          message: expect.stringMatching(/2025-06-18/),
        }),
      },
    ]);
    expect(h.received.filter((m) => 'id' in m && m.id !== 0)).toEqual([]);
  });

  test('before a version is negotiated, a batch is handled (the 2025-03-26 default)', async () => {
    const h = await harness();
    h.input.write('[{"jsonrpc":"2.0","id":1,"method":"ping"}]\n');
    await h.settle();
    expect(h.received).toEqual([{ jsonrpc: '2.0', id: 1, method: 'ping' }]);
    await h.transport.send({ jsonrpc: '2.0', id: 1, result: {} });
    expect(h.written).toEqual([[{ jsonrpc: '2.0', id: 1, result: {} }]]);
  });

  test('in 2025-03-26 each request is handled and the answers come back as one array', async () => {
    const h = await harness();
    await initialize(h, '2025-03-26');
    h.input.write(
      '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"},{"bad":true,"id":5},{"jsonrpc":"2.0","id":2,"method":"ping"}]\n',
    );
    await h.settle();
    expect(h.received.map((m) => ('id' in m ? m.id : 'note'))).toEqual([0, 1, 'note', 2]);
    expect(h.written).toEqual([]);
    await h.transport.send({ jsonrpc: '2.0', id: 2, result: {} });
    expect(h.written).toEqual([]);
    await h.transport.send({ jsonrpc: '2.0', id: 1, result: {} });
    expect(h.written).toEqual([
      [
        { jsonrpc: '2.0', id: 5, error: expect.objectContaining({ code: -32600 }) },
        { jsonrpc: '2.0', id: 2, result: {} },
        { jsonrpc: '2.0', id: 1, result: {} },
      ],
    ]);
  });

  test('an empty batch is an invalid request', async () => {
    const h = await harness();
    await initialize(h, '2025-03-26');
    h.input.write('[]\n');
    await h.settle();
    expect(h.written).toEqual([
      { jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32600 }) },
    ]);
  });
});

describe('parseMessage (the envelope shortcut)', () => {
  // Each must get the same verdict and the same message as JSONRPCMessageSchema gives it.
  const messages: unknown[] = [
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', arguments: { a: 1 } } },
    { jsonrpc: '2.0', id: 'abc', method: 'ping' },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 2, method: 'x', params: { _meta: { progressToken: 7 } } },
    { jsonrpc: '2.0', id: 2, method: 'x', params: { _meta: { progressToken: 1.5 } } },
    { jsonrpc: '2.0', id: 1.5, method: 'x' },
    { jsonrpc: '2.0', id: 2 ** 60, method: 'x' },
    { jsonrpc: '2.0', id: null, method: 'x' },
    { jsonrpc: '2.0', id: 3, method: 'x', params: [1, 2] },
    { jsonrpc: '2.0', id: 3, method: 'x', params: null },
    { jsonrpc: '2.0', id: 3, method: 'x', extra: true },
    { jsonrpc: '1.0', id: 3, method: 'x' },
    { jsonrpc: '2.0', id: 3, method: 42 },
    { jsonrpc: '2.0', id: 3, result: {} },
    { jsonrpc: '2.0', id: 3, error: { code: -1, message: 'no' } },
    JSON.parse('{"jsonrpc":"2.0","id":3,"method":"x","__proto__":{"polluted":1}}'),
    [],
    'ping',
    null,
  ];
  test.each(messages.map((m) => [JSON.stringify(m), m]))(
    '%s gets the schema verdict',
    (_name, message) => {
      const schema = JSONRPCMessageSchema.safeParse(message);
      const ours = parseMessage(message);
      expect(ours.success).toBe(schema.success);
      if (ours.success && schema.success) expect(ours.data).toEqual(schema.data);
    },
  );
});
