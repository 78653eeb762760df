import { describe, expect, test } from 'vitest';
import { configFromFlags } from '../../src/cli/options.js';
import { isPymcpError } from '../../src/shared/errors.js';

function failure(flags: Parameters<typeof configFromFlags>[0]): string {
  try {
    configFromFlags({ workspace: false, ...flags });
  } catch (error) {
    expect(isPymcpError(error, 'config_invalid')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected the flags to be refused');
}

describe('configuration errors name the flag a person typed, in its units', () => {
  test.each([
    [{ timeout: 0 }, '--timeout must be above 0'],
    [{ timeout: 100, maxTimeout: 50 }, '--timeout must not exceed --max-timeout (50)'],
    [{ memoryMb: 10 }, '--memory-mb must be at least 64'],
    [{ outputKb: 0.5 }, '--output-kb must be at least 1'],
    [{ responseKb: 1 }, '--response-kb must be at least 8'],
    [{ imageKb: -1 }, '--image-kb must be at least 0'],
    [{ maxProcesses: 2 }, '--max-processes must be at least 4'],
    [{ maxConcurrent: 1.5 }, '--max-concurrent must be a whole number'],
    [{ maxQueued: -1 }, '--max-queued must be at least 0'],
    [{ poolSize: 100 }, '--pool-size must be at most 32'],
  ])('%o -> %s', (flags, message) => {
    const text = failure(flags);
    expect(text).toContain(message);
    expect(text).not.toMatch(/limits\.|Bytes|Seconds|maxConcurrentRuns/);
  });

  test('valid flags give a configuration with the defaults filled in', () => {
    const { config } = configFromFlags({ workspace: false, maxConcurrent: 3 });
    expect(config.maxConcurrentRuns).toBe(3);
    expect(config.limits.responseBytes).toBe(40 * 1024);
    expect(config.limits.imageBytes).toBe(1024 * 1024);
    expect(configFromFlags({ workspace: false, imageKb: 0 }).config.limits.imageBytes).toBe(0);
  });
});

describe('the virtual environment', () => {
  test('--venv DIR, --no-venv and nothing', () => {
    expect(configFromFlags({ workspace: false, venv: '/srv/.venv' }, {}, {}).config.venv).toBe(
      '/srv/.venv',
    );
    expect(configFromFlags({ workspace: false, venv: false }, {}, {}).config.venv).toBe(false);
    expect(configFromFlags({ workspace: false }, {}, {}).config.venv).toBeUndefined();
  });

  test('$VIRTUAL_ENV is taken from the environment it is given, once; nothing else is', () => {
    const { config } = configFromFlags(
      { workspace: false },
      {},
      {
        VIRTUAL_ENV: '/home/u/proj/.venv',
        SECRET_TOKEN: 'hunter2',
      },
    );
    expect(config.virtualEnv).toBe('/home/u/proj/.venv');
    expect(JSON.stringify(config)).not.toContain('hunter2');
    expect(configFromFlags({ workspace: false }, {}, { VIRTUAL_ENV: '' }).config.virtualEnv).toBe(
      undefined,
    );
  });

  test('an empty --venv names the flag', () => {
    expect(failure({ venv: '' })).toContain('--venv');
  });
});
