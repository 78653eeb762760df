/**
 * One long-lived language server, inside a bubblewrap sandbox, spoken to with
 * vscode-languageserver-protocol. Explicit state; started in the background; restarted on a
 * crash within a bounded budget; every request has a timeout and honours an AbortSignal
 * (which becomes $/cancelRequest); close() leaves no process behind.
 */
import type { Readable, Writable } from 'node:stream';
import {
  CancellationTokenSource,
  ConfigurationRequest,
  createProtocolConnection,
  DidChangeConfigurationNotification,
  InitializeRequest,
  InitializedNotification,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShowMessageRequest,
  UnregistrationRequest,
  WorkDoneProgressCreateRequest,
  StreamMessageReader,
  WorkspaceFoldersRequest,
  WriteableStreamMessageWriter,
  type ClientCapabilities,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type ServerCapabilities,
} from 'vscode-languageserver-protocol/node';
import { bwrapArgs } from '../shared/bwrap.js';
import { PymcpError, errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import { killSandbox, spawnSandbox, type ChildProcess } from '../shared/process.js';
import { SANDBOX_WORKSPACE } from '../shared/sandbox-description.js';
import { FrameGuard } from './frame-guard.js';
import { FramedWritable } from './framed-writable.js';
import {
  languageServerProfile,
  LIMITED_PYTHON,
  limitedPythonScript,
  settingsOptions,
  type LspSandboxSpec,
} from './lsp-sandbox.js';
import type { PositionEncoding } from './positions.js';
import { serverSettings } from './servers.js';
import { sourceRoots } from './source-roots.js';
import { assertMountsUnchanged } from '../shared/sandbox-description.js';

export const LSP_WORKSPACE = SANDBOX_WORKSPACE;

export interface LspSpec extends LspSandboxSpec {
  bwrap: string;
  hostIds: { uid: number; gid: number } | null;
  logger: Logger;
  startTimeoutMs: number;
  requestTimeoutMs: number;
  maxMessageBytes: number;
}

export type LspState = 'stopped' | 'starting' | 'ready' | 'failed' | 'closed';

/** At most this many restarts within RESTART_WINDOW_MS; then the server is marked failed. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 5 * 60_000;

const CLIENT_CAPABILITIES: ClientCapabilities = {
  general: { positionEncodings: ['utf-16'] },
  workspace: {
    configuration: true,
    workspaceFolders: true,
    didChangeConfiguration: { dynamicRegistration: true },
  },
  textDocument: {
    synchronization: { dynamicRegistration: false, didSave: false },
    hover: { contentFormat: ['markdown', 'plaintext'] },
    completion: {
      completionItem: { snippetSupport: false, documentationFormat: ['markdown', 'plaintext'] },
    },
    signatureHelp: { signatureInformation: { documentationFormat: ['markdown', 'plaintext'] } },
    definition: { linkSupport: false },
    references: {},
    documentSymbol: { hierarchicalDocumentSymbolSupport: true },
    rename: { prepareSupport: false },
    publishDiagnostics: { versionSupport: true, relatedInformation: false },
    diagnostic: { dynamicRegistration: true, relatedDocumentSupport: false },
  },
  window: { workDoneProgress: true },
};

const REFRESH_REQUESTS = [
  'workspace/diagnostic/refresh',
  'workspace/semanticTokens/refresh',
  'workspace/inlayHint/refresh',
  'workspace/inlineValue/refresh',
  'workspace/codeLens/refresh',
  'workspace/foldingRange/refresh',
];

export interface RequestOptions {
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
}

export class LspClient {
  private state: LspState = 'stopped';
  private child: ChildProcess | null = null;
  private connection: ProtocolConnection | null = null;
  private ready: Promise<void> | null = null;
  private capabilities: ServerCapabilities = {};
  /** Dynamic registrations (client/registerCapability): id -> method. */
  private readonly registered = new Map<string, string>();
  private restarts: number[] = [];
  /** Restarts since this client was created (restarts[] keeps only the recent window). */
  private restartsTotal = 0;
  private failure: string | null = null;
  private generation = 0;
  private readonly diagnosticsListeners = new Set<(params: PublishDiagnosticsParams) => void>();
  private readonly restartListeners = new Set<() => void>();
  /** The workspace's import roots inside the sandbox (the root, and src/ in a src layout). */
  private importRoots: string[] = [];

  constructor(private readonly spec: LspSpec) {}

  /**
   * How the server counts columns: what it negotiated, else UTF-16 (the LSP default), except
   * pylsp, whose jedi-based answers count code points whatever it is told.
   */
  get positionEncoding(): PositionEncoding {
    const negotiated = this.capabilities.positionEncoding;
    if (negotiated === 'utf-8' || negotiated === 'utf-32') return negotiated;
    return this.spec.launch.kind === 'pylsp' ? 'utf-32' : 'utf-16';
  }

  get kind(): string {
    return this.spec.launch.kind;
  }

  get currentState(): LspState {
    return this.state;
  }

  /** How many times the server has been restarted after a crash. */
  get restartCount(): number {
    return this.restartsTotal;
  }

  /** Start in the background (idempotent); requests wait for readiness. */
  start(): void {
    if (this.state !== 'stopped') return;
    this.ready = this.launch();
    // Failures surface through whenReady(); never as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /** Whether the server has answered initialize and runs (whenReady would resolve at once). */
  get isReady(): boolean {
    return this.state === 'ready';
  }

  /** Resolves when the server has answered initialize; rejects with why it cannot. */
  async whenReady(): Promise<void> {
    if (this.state === 'closed')
      throw new PymcpError('lsp_unavailable', 'the language server was shut down');
    if (this.state === 'failed') throw this.failedError();
    this.start();
    await this.ready;
  }

  /** Whether the server offers `method` (statically or by registration). */
  supports(capability: keyof ServerCapabilities, method?: string): boolean {
    return (
      Boolean(this.capabilities[capability]) ||
      (method !== undefined && [...this.registered.values()].includes(method))
    );
  }

  onDiagnostics(listener: (params: PublishDiagnosticsParams) => void): void {
    this.diagnosticsListeners.add(listener);
  }

  /** Called when the server is being restarted: open documents must be sent again. */
  onRestart(listener: () => void): void {
    this.restartListeners.add(listener);
  }

  async request<R>(method: string, params: unknown, options: RequestOptions = {}): Promise<R> {
    const { signal } = options;
    const cancelled = (): PymcpError => new PymcpError('lsp_failed', `${method} was cancelled`);
    if (signal?.aborted) throw cancelled();
    // Not awaited when ready: each await is a turn of the microtask queue on every request.
    if (!this.isReady) await this.whenReady();
    if (signal?.aborted) throw cancelled();
    const connection = this.connection;
    if (connection === null)
      throw new PymcpError('lsp_unavailable', 'the language server is not running');
    const timeoutMs = options.timeoutMs ?? this.spec.requestTimeoutMs;
    const source = new CancellationTokenSource();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    // Cancelling the token sends $/cancelRequest, but a server that ignores it would leave the
    // request pending forever: the timeout and the abort reject on their own.
    const stop = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        source.cancel();
        reject(
          new PymcpError(
            'lsp_timeout',
            `${this.kind} did not answer ${method} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      onAbort = (): void => {
        source.cancel();
        reject(cancelled());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    const pending = connection.sendRequest<R>(method, params, source.token);
    pending.catch(() => undefined);
    try {
      return await Promise.race([pending, stop]);
    } catch (error) {
      if (error instanceof PymcpError) throw error;
      throw new PymcpError('lsp_failed', `${this.kind} failed ${method}: ${errorMessage(error)}`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      source.dispose();
    }
  }

  async notify(method: string, params: unknown): Promise<void> {
    await this.whenReady();
    await this.connection?.sendNotification(method, params);
  }

  /** Shut the server down politely, then make sure every process is gone. */
  async close(): Promise<void> {
    const wasRunning = this.state === 'ready';
    this.state = 'closed';
    const connection = this.connection;
    const child = this.child;
    if (wasRunning && connection !== null) {
      try {
        await Promise.race([connection.sendRequest('shutdown'), delay(2000)]);
        await connection.sendNotification('exit');
      } catch {
        // it is going away regardless
      }
    }
    if (child !== null) {
      const exited = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else
          child.once('close', () => {
            resolve();
          });
      });
      await Promise.race([exited, delay(wasRunning ? 1000 : 0)]);
      this.kill(child);
      await exited;
    }
    connection?.dispose();
  }

  private async launch(): Promise<void> {
    this.state = 'starting';
    const generation = ++this.generation;
    this.registered.clear();
    this.importRoots = await sourceRoots(this.spec.workspace, LSP_WORKSPACE);
    // close() may have run while we awaited: spawn nothing then.
    if (this.isClosed())
      throw new PymcpError('lsp_unavailable', 'the language server was shut down');
    assertMountsUnchanged(this.spec.environment.mounts);
    const script = limitedPythonScript(this.spec);
    const child = spawnSandbox(this.spec.bwrap, bwrapArgs(languageServerProfile(this.spec)), {
      // fd 3 (LIMITED_PYTHON.fd): the script that runs the environment's interpreter limited.
      stdio: script === null ? ['pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe', 'pipe'],
      hostIds: this.spec.hostIds,
    });
    this.child = child;
    if (script !== null) {
      const pipe = child.stdio[LIMITED_PYTHON.fd] as Writable | null | undefined;
      pipe?.on('error', () => undefined);
      pipe?.end(script);
    }
    const [stdin, stdout, stderr] = child.stdio as unknown as [Writable, Readable, Readable];
    let diagnostics = '';
    stderr.on('data', (chunk: Buffer) => {
      if (diagnostics.length < 4096) diagnostics += chunk.toString('utf8');
      this.spec.logger.debug(`${this.kind} stderr: ${chunk.toString('utf8').trimEnd()}`);
    });
    const guard = new FrameGuard(this.spec.maxMessageBytes);
    guard.on('error', (error) => {
      this.spec.logger.warn(`${this.kind}: ${error.message}; restarting it`);
      this.kill(child);
    });
    stdin.on('error', () => undefined);
    const connection = createProtocolConnection(
      new StreamMessageReader(stdout.pipe(guard)),
      new WriteableStreamMessageWriter(new FramedWritable(stdin)),
    );
    this.connection = connection;
    this.registerHandlers(connection);
    connection.listen();

    const exited = new Promise<string>((resolve) => {
      child.once('error', (error) => {
        resolve(`could not start bubblewrap: ${error.message}`);
      });
      child.once('close', (code, signal) => {
        resolve(`exited (${signal ?? `status ${code ?? '?'}`})`);
      });
    });
    void exited.then((reason) => {
      this.onExit(
        generation,
        `${reason}${diagnostics.trim() === '' ? '' : `: ${diagnostics.trim().slice(0, 1000)}`}`,
      );
    });

    const initialize = connection.sendRequest(InitializeRequest.type, {
      processId: null,
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- pylsp 1.7 roots its workspace here
      rootUri: this.rootUri(),
      workspaceFolders: [{ uri: this.rootUri(), name: 'workspace' }],
      capabilities: CLIENT_CAPABILITIES,
      initializationOptions: {},
    });
    const result = await Promise.race([
      initialize,
      exited.then((reason) => Promise.reject(new Error(`the language server ${reason}`))),
      delay(this.spec.startTimeoutMs).then(() =>
        Promise.reject(new Error(`no answer to initialize within ${this.spec.startTimeoutMs} ms`)),
      ),
    ]).catch((error: unknown) => {
      this.kill(child);
      this.state = this.state === 'closed' ? 'closed' : 'failed';
      this.failure = `${this.spec.launch.describe} did not start: ${errorMessage(error)}`;
      throw this.failedError();
    });
    this.capabilities = result.capabilities;
    await connection.sendNotification(InitializedNotification.type, {});
    if (this.kind === 'pylsp') {
      const settings = serverSettings('pylsp', this.settingsOptions());
      await connection.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { pylsp: settings('pylsp') },
      });
    }
    // close() may have run while we awaited.
    if (this.currentState !== 'closed') this.state = 'ready';
    this.spec.logger.info(`${this.spec.launch.describe} ready`);
  }

  private registerHandlers(connection: ProtocolConnection): void {
    const settings = serverSettings(this.spec.launch.kind, this.settingsOptions());
    connection.onRequest(ConfigurationRequest.type, (params) =>
      params.items.map((item) => settings(item.section)),
    );
    connection.onRequest(RegistrationRequest.type, (params) => {
      for (const registration of params.registrations)
        this.registered.set(registration.id, registration.method);
    });
    connection.onRequest(UnregistrationRequest.type, (params) => {
      for (const registration of params.unregisterations) this.registered.delete(registration.id);
    });
    connection.onRequest(WorkDoneProgressCreateRequest.type, () => undefined);
    connection.onRequest(WorkspaceFoldersRequest.type, () => [
      { uri: this.rootUri(), name: 'workspace' },
    ]);
    connection.onRequest(ShowMessageRequest.type, () => null);
    // Refresh requests only ask a UI to re-query; pyright exits if they fail.
    for (const method of REFRESH_REQUESTS) connection.onRequest(method, () => null);
    connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      for (const listener of this.diagnosticsListeners) listener(params);
    });
    // Anything else the server asks for gets a JSON-RPC "method not found", never a hang.
    connection.onError(([error]) => {
      this.spec.logger.debug(`${this.kind} connection error: ${error.message}`);
    });
  }

  private onExit(generation: number, reason: string): void {
    if (generation !== this.generation || this.state === 'closed' || this.state === 'failed')
      return;
    this.connection?.dispose();
    this.connection = null;
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    if (this.restarts.length >= MAX_RESTARTS) {
      this.state = 'failed';
      this.failure = `${this.spec.launch.describe} crashed ${MAX_RESTARTS + 1} times within ${RESTART_WINDOW_MS / 60_000} minutes (last: ${reason}); not restarting it`;
      this.spec.logger.error(this.failure);
      return;
    }
    this.restarts.push(now);
    this.restartsTotal += 1;
    this.spec.logger.warn(`${this.kind} ${reason}; restarting it`);
    // The new server knows no documents: forget them now, so the next request opens them again.
    for (const listener of this.restartListeners) listener();
    this.state = 'stopped';
    this.start();
  }

  /** The environment's settings, with the workspace's import roots (src/ in a src layout). */
  private settingsOptions() {
    return { ...settingsOptions(this.spec), extraPaths: this.importRoots };
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private kill(child: ChildProcess): void {
    if (child.exitCode === null && child.signalCode === null) killSandbox(child.pid);
  }

  private failedError(): PymcpError {
    return new PymcpError('lsp_unavailable', this.failure ?? `${this.kind} is not available`);
  }

  private rootUri(): string {
    return this.spec.workspace === null ? 'file:///tmp' : `file://${LSP_WORKSPACE}`;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
