import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, structured, textOf, type ServerUnderTest } from '../helpers/mcp-client.js';

describe('run_python_code over stdio', () => {
  let server: ServerUnderTest;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    expect(await server.close()).toEqual([]);
  });

  test('the design brief example prints and returns 42', async () => {
    const result = await server.run('result = 40 + 2\nprint(f"The answer is: {result}")\nresult');
    expect(result.isError).toBe(false);
    expect(textOf(result)).toBe(
      '<status>success</status>\n<output>\nThe answer is: 42\n</output>\n<return_value>\n42\n</return_value>',
    );
    expect(structured(result)).toMatchObject({
      status: 'completed',
      stdout: 'The answer is: 42\n',
      return_value: 42,
    });
  });

  test('lists the tool with mcp-run-python input names and an output schema', async () => {
    const { tools } = await server.client.listTools();
    const tool = tools.find((t) => t.name === 'run_python_code');
    expect(tool?.description).toMatch(
      /^Tool to execute Python code and return stdout, stderr, and return value\./,
    );
    expect(Object.keys(tool?.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining(['python_code', 'global_variables', 'session_id', 'timeout_seconds']),
    );
    expect(tool?.inputSchema.required).toEqual(['python_code']);
    expect(tool?.outputSchema?.properties).toHaveProperty('status');
  });
});
