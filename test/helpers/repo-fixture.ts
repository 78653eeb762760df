/**
 * A generated workspace shaped like a real repository: a src layout whose pyproject.toml tells
 * pyright to analyse only the package (`include = ["src"]`), tests outside it that share a
 * helper, and a few files a whole-workspace answer must cope with (a latin-1 module, an
 * oversized generated file, a same-named helper that is a different symbol). Readable by
 * everyone: the language server runs as uid 65534 when the tests run as root.
 */
import { chmod, mkdir, mkdtemp, realpath, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** How many test modules use the helper and the adapter (one use of each per test). */
export const TEST_MODULES = 36;

export interface RepoFixture {
  dir: string;
  /** Every use of `make_response` (tests/helpers.py's), as `file:line`, the definition first. */
  helperUses: string[];
  /** Every file where `HTTPAdapter` (the class) is named. */
  adapterFiles: string[];
  /** Every use of `HTTPAdapter` as `file:line`, the definition first. */
  adapterUses: string[];
  /** Files the path gate refuses, with the words of the reason. */
  refused: Record<string, RegExp>;
  /** Python files the gate allows. */
  pythonFiles: string[];
}

const ADAPTERS = `"""Transport adapters."""


class BaseAdapter:
    def send(self, url: str) -> str:
        raise NotImplementedError


class HTTPAdapter(BaseAdapter):
    """Sends requests over HTTP."""

    def __init__(self, retries: int = 0) -> None:
        self.retries = retries

    def send(self, url: str) -> str:
        return f"GET {url}"
`;

const SESSIONS = `from webclient.adapters import BaseAdapter, HTTPAdapter


class Session:
    def __init__(self) -> None:
        self.adapters: dict[str, BaseAdapter] = {"http://": HTTPAdapter()}

    def mount(self, prefix: str, adapter: BaseAdapter) -> None:
        self.adapters[prefix] = adapter
`;

const MODELS = `class Response:
    def __init__(self, status: int, body: str) -> None:
        self.status = status
        self.body = body
`;

const HELPERS = `from webclient.models import Response


def make_response(status: int = 200, body: str = "") -> Response:
    return Response(status, body)
`;

/** Its own make_response: a different symbol with the same name. */
const OTHER_HELPER = `def make_response() -> str:
    return "not the test helper"


VALUE = make_response()
`;

function testModule(index: number): string {
  return `from tests.helpers import make_response
from webclient.adapters import HTTPAdapter


def test_send_${index}() -> None:
    adapter = HTTPAdapter(retries=${index})
    response = make_response(${200 + index})
    assert adapter.send("u") and response.status == ${200 + index}
`;
}

export async function createRepoFixture(): Promise<RepoFixture> {
  const dir = await realpath(await mkdtemp(path.join(tmpdir(), 'pymcp-repo-')));
  const files: Record<string, string | Buffer> = {
    'pyproject.toml': '[project]\nname = "webclient"\n\n[tool.pyright]\ninclude = ["src"]\n',
    'src/webclient/__init__.py': 'from webclient.adapters import HTTPAdapter\n',
    'src/webclient/adapters.py': ADAPTERS,
    'src/webclient/sessions.py': SESSIONS,
    'src/webclient/models.py': MODELS,
    'tests/__init__.py': '',
    'tests/helpers.py': HELPERS,
    'tests/conftest.py': 'import pytest\n',
    'docs/conf.py': OTHER_HELPER,
    // Refused by the gate: not UTF-8, and over the size cap.
    'tools/legacy_latin1.py': Buffer.from('# caf\xe9\nNAME = "caf\xe9"\n', 'latin1'),
    'src/webclient/generated_table.py': `TABLE = [\n${'    0,\n'.repeat(600_000)}]\n`,
  };
  const helperUses = ['tests/helpers.py:4'];
  const adapterUses = [
    'src/webclient/adapters.py:9',
    'src/webclient/__init__.py:1',
    'src/webclient/sessions.py:1',
    'src/webclient/sessions.py:6',
  ];
  for (let index = 0; index < TEST_MODULES; index += 1) {
    const name = `tests/test_adapter_${String(index).padStart(2, '0')}.py`;
    files[name] = testModule(index);
    helperUses.push(`${name}:1`, `${name}:7`);
    adapterUses.push(`${name}:2`, `${name}:6`);
  }
  for (const [name, content] of Object.entries(files)) {
    const full = path.join(dir, name);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, content);
  }
  await chmodTree(dir);
  const pythonFiles = Object.keys(files).filter((f) => f.endsWith('.py'));
  return {
    dir,
    helperUses,
    adapterFiles: [...new Set(adapterUses.map((use) => use.replace(/:\d+$/, '')))].sort(),
    adapterUses,
    refused: {
      'tools/legacy_latin1.py': /not valid UTF-8/,
      'src/webclient/generated_table.py': /over the \d+-byte limit/,
    },
    pythonFiles: pythonFiles.filter(
      (f) => f !== 'tools/legacy_latin1.py' && f !== 'src/webclient/generated_table.py',
    ),
  };
}

/** mkdtemp makes 0700 directories; the language server (uid 65534) must read everything. */
async function chmodTree(dir: string): Promise<void> {
  const { readdir } = await import('node:fs/promises');
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await chmodTree(full);
    else await chmod(full, 0o644);
  }
}
