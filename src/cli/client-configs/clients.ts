/** The clients `config` knows, by the name typed on the command line. */
import { claudeCode } from './claude-code.js';
import { claudeDesktop } from './claude-desktop.js';
import type { ClientConfig } from './client.js';
import { codex } from './codex.js';
import { cursor } from './cursor.js';
import { emacs } from './emacs.js';
import { vscode } from './vscode.js';
import { zed } from './zed.js';
import type { ClientId } from '../config-options.js';

export const CLIENTS: Record<ClientId, ClientConfig> = {
  'claude-code': claudeCode,
  'claude-desktop': claudeDesktop,
  vscode,
  cursor,
  codex,
  zed,
  emacs,
};
