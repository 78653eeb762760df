/**
 * Emacs with mcp.el (github.com/lizqwerscott/mcp.el): servers are entries of `mcp-hub-servers`,
 * `("NAME" . (:command CMD :args ARGS))` or `("NAME" . (:url URL :token TOKEN))`, where TOKEN
 * may be a function called when connecting (mcp.el's `mcp--resolve-value`). Followed: its
 * Readme.org and the docstrings of `mcp-hub-servers` and `mcp-connect-server`.
 *
 * An init file is code, so --write never edits it: it writes a file of its own,
 * `mcp-server-NAME.el` in the Emacs directory, that replaces this server's entry in
 * `mcp-hub-servers` once mcp-hub is loaded and keeps every other entry; the person loads it from
 * their init file. It refuses to overwrite a file that it did not write.
 */
import path from 'node:path';
import { PymcpError } from '../../shared/errors.js';
import { xdgConfigHome, type ClientConfig, type Where } from './client.js';
import type { ServerSpec } from './server-spec.js';

const EMACS_MARKER = ';; Written by `isolated-pymcp config emacs`';

/** An Emacs Lisp string literal. */
function elispString(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** `~/.emacs.d` if it exists, else `$XDG_CONFIG_HOME/emacs` (`~/.config/emacs`) if it does: Emacs' own order. */
function emacsDir(where: Where): string {
  const dotEmacs = path.join(where.home, '.emacs.d');
  if (where.isDirectory(dotEmacs)) return dotEmacs;
  const config = path.join(xdgConfigHome(where), 'emacs');
  return where.isDirectory(config) ? config : dotEmacs;
}

function plist(spec: ServerSpec): string {
  const { launch } = spec;
  if (launch.kind === 'stdio') {
    const args = launch.args.map(elispString).join(`\n${' '.repeat(38)}`);
    return `(list :command ${elispString(launch.command)}\n                          :args (list ${args}))`;
  }
  const { env, file } = launch.token;
  // Read when mcp.el connects, so the token is never in this file.
  const token =
    file !== undefined
      ? `(lambda () (with-temp-buffer (insert-file-contents ${elispString(file)}) (string-trim (buffer-string))))`
      : `(lambda () (getenv ${elispString(env)}))`;
  return `(list :url ${elispString(launch.url)}\n                          :token ${token})`;
}

function render(spec: ServerSpec): string {
  const name = elispString(spec.name);
  return `;;; mcp-server-${spec.name}.el --- the ${spec.name} MCP server for mcp.el  -*- lexical-binding: t; coding: utf-8 -*-
${EMACS_MARKER}; run it again rather than editing.
;; Load it from your init file, after any setting of mcp-hub-servers of your own:
;;   (load "/path/to/mcp-server-${spec.name}.el")
;; It replaces the ${name} entry of mcp-hub-servers and keeps the others.

(require 'subr-x)

(with-eval-after-load 'mcp-hub
  (setq mcp-hub-servers
        (cons (cons ${name}
                    ${plist(spec)})
              (assoc-delete-all ${name} (copy-sequence mcp-hub-servers)))))

;;; mcp-server-${spec.name}.el ends here
`;
}

export const emacs: ClientConfig = {
  title: 'Emacs (mcp.el)',
  file: (where, name) => path.join(emacsDir(where), `mcp-server-${name}.el`),
  check: () => undefined,
  render,
  merge(current, file, spec) {
    // Security: never overwrite an Emacs Lisp file someone else wrote; it may be their init code.
    // Ours has the marker as its second line: anywhere else, the printed file was pasted into one.
    if (current !== null && current.split('\n', 2)[1]?.startsWith(EMACS_MARKER) !== true) {
      throw new PymcpError(
        'file_failed',
        `${file} was not written by isolated-pymcp config; left untouched (choose another --file)`,
      );
    }
    return { text: render(spec), replaced: current !== null };
  },
  notes: (spec, file) => [
    `load it from your init file: (load ${elispString(file)}); then M-x mcp-hub starts it`,
    ...(spec.launch.kind === 'http' && spec.launch.token.file === undefined
      ? [
          `mcp.el reads the token from $${spec.launch.token.env} when it connects; set it in the environment Emacs starts from`,
        ]
      : []),
  ],
};
