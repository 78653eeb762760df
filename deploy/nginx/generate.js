#!/usr/bin/env node
/**
 * Writes the nginx configuration for isolated-pymcp replicas on loopback (see docs/deploy.md,
 * "Replicas behind nginx"). Each replica runs `serve --http --replica-id NAME --port PORT
 * --allowed-host LISTEN`; its session ids start with `NAME.`, and nginx routes on that prefix:
 *
 * - a request without Mcp-Session-Id (an initialize) goes round-robin to any replica, and on to
 *   the next one when a replica is down, draining or full (connect error, timeout, 503);
 * - a request with one goes to the replica its prefix names, and only there; when that replica
 *   is gone (nothing listens: 502), or the prefix names no replica, the client gets 404, the
 *   MCP signal to start a new session;
 * - responses stream through unbuffered (SSE), for as long as the longest tool call.
 *
 * Usage:
 *   node deploy/nginx/generate.js --replicas 3 --first-port 9001 --listen 127.0.0.1:8080 > pymcp.conf
 *   node deploy/nginx/generate.js --replica r1=127.0.0.1:9001 --replica r2=127.0.0.1:9002 ...
 * With --runtime-dir DIR it writes a whole nginx.conf whose pid, logs and temporary files are
 * under DIR (to run nginx as an unprivileged user, or in a test); without it, the part that goes
 * in the http block (e.g. /etc/nginx/conf.d/isolated-pymcp.conf).
 */
import process from 'node:process';
import { parseArgs } from 'node:util';

/** The server's own rule for --replica-id (src/cli/service-options.ts). */
const REPLICA_ID = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const ADDRESS = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\]):([0-9]{1,5})$/i;
/** A path nginx reads unquoted: no spaces, quotes, semicolons or braces. */
const SAFE_PATH = /^\/[A-Za-z0-9._/-]*$/;

/** The longest a tool call may run (--max-timeout's ceiling) plus queueing: nginx must wait. */
const READ_TIMEOUT_SECONDS = 3900;

/** HOST:PORT with a port nginx accepts (1 to 65535): else `nginx -t` fails on the output. */
function isAddress(value) {
  const port = Number(ADDRESS.exec(value)?.[1]);
  return port >= 1 && port <= 65535;
}

function fail(message) {
  process.stderr.write(`generate.js: ${message}\n`);
  process.exit(2);
}

function parseReplicas(values) {
  const { replica = [], replicas, 'first-port': firstPort = '9001', host = '127.0.0.1' } = values;
  const list = replica.map((spec) => {
    const at = spec.indexOf('=');
    if (at < 0) fail(`--replica ${spec}: expected NAME=HOST:PORT`);
    return { name: spec.slice(0, at), address: spec.slice(at + 1) };
  });
  if (replicas !== undefined) {
    const n = Number(replicas);
    const first = Number(firstPort);
    if (!Number.isInteger(n) || n < 1 || n > 64) fail('--replicas: expected 1 to 64');
    if (!Number.isInteger(first) || first < 1 || first + n - 1 > 65535) fail('--first-port');
    for (let i = 0; i < n; i += 1)
      list.push({ name: `r${i + 1}`, address: `${host}:${first + i}` });
  }
  if (list.length === 0) fail('name the replicas: --replicas N, or --replica NAME=HOST:PORT');
  const seen = new Set();
  for (const { name, address } of list) {
    if (!REPLICA_ID.test(name)) fail(`replica name ${JSON.stringify(name)} is not valid`);
    if (!isAddress(address))
      fail(`replica address ${JSON.stringify(address)} is not HOST:PORT (port 1 to 65535)`);
    if (seen.has(name)) fail(`replica name ${name} is given twice`);
    seen.add(name);
  }
  return list;
}

/**
 * The upstream of one replica. Its own prefix keeps it apart from the names the configuration
 * uses itself: a replica called "new" or "unknown" must not become `pymcp_new` (the round-robin
 * upstream: nginx refuses the duplicate) or `pymcp_unknown` (the map's value for "no such
 * replica": every session of that replica would get 404).
 */
function upstreamOf(name) {
  return `pymcp_replica_${name}`;
}

/** The JSON-RPC error body of a 404 the balancer answers itself. */
function gone(message, code = -32001) {
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  return `'${body}'`;
}

function httpBlock(replicas, listen) {
  const lines = [];
  const push = (...more) => lines.push(...more);
  push(
    '# isolated-pymcp replicas: written by deploy/nginx/generate.js; see docs/deploy.md.',
    '',
    '# The replica a request is for, from the prefix of its session id ("r1.<uuid>").',
    'map $http_mcp_session_id $pymcp_replica {',
    '    default    pymcp_unknown;  # a session id that names no replica here',
    '    ""         "";             # no session id: a new session',
  );
  for (const { name } of replicas) push(`    ~^${name}\\.    ${upstreamOf(name)};`);
  push('}', '', '# New sessions: round-robin over every replica.', 'upstream pymcp_new {');
  for (const { address } of replicas) push(`    server ${address} max_fails=1 fail_timeout=5s;`);
  push('    keepalive 32;', '}');
  for (const { name, address } of replicas) {
    push('', `upstream ${upstreamOf(name)} {`, `    server ${address};`, '    keepalive 8;', '}');
  }
  push(
    '',
    'server {',
    `    listen ${listen};`,
    '    server_name _;',
    '    # Above the largest request a replica takes (3 MiB by default); the replica says no itself.',
    '    client_max_body_size 64m;',
    '    proxy_http_version 1.1;',
    '    proxy_set_header Connection "";',
    "    # The client's own Host goes through: each replica checks it (DNS rebinding) against",
    `    # --allowed-host ${listen}.`,
    '    proxy_set_header Host $http_host;',
    '    # Streamable HTTP: SSE must stream, and a tool call may run for an hour.',
    '    proxy_buffering off;',
    '    proxy_cache off;',
    `    proxy_read_timeout ${READ_TIMEOUT_SECONDS}s;`,
    `    proxy_send_timeout ${READ_TIMEOUT_SECONDS}s;`,
    '    # Replicas are on loopback: a connect that does not succeed at once never will.',
    '    proxy_connect_timeout 2s;',
    '    default_type application/json;',
    '',
    '    location = /mcp {',
    '        if ($pymcp_replica = "") {',
    '            rewrite ^ /_pymcp_new last;',
    '        }',
    '        if ($pymcp_replica = pymcp_unknown) {',
    `            return 404 ${gone('Session not found: its id names no replica here; start a new session')};`,
    '        }',
    '        # Only the replica that holds the session can answer for it: never another one.',
    '        proxy_pass http://$pymcp_replica;',
    '        proxy_next_upstream off;',
    "        # nginx's own errors (the replica is down: nothing listens) become the 404 that tells",
    "        # the client to start a new session. The replicas' own answers pass unchanged.",
    '        error_page 502 503 504 = @pymcp_session_gone;',
    '    }',
    '',
    '    location = /_pymcp_new {',
    '        internal;',
    '        proxy_pass http://pymcp_new/mcp;',
    '        # An initialize that a replica refused (down, draining, full) is safe to send on.',
    '        proxy_next_upstream error timeout http_503 non_idempotent;',
    '    }',
    '',
    '    location @pymcp_session_gone {',
    `        return 404 ${gone('Session not found: the replica that held it is gone; start a new session')};`,
    '    }',
    '',
    '    location / {',
    `        return 404 ${gone('Not found: the MCP endpoint is /mcp', -32000)};`,
    '    }',
    '}',
  );
  return `${lines.join('\n')}\n`;
}

function wholeConfig(block, runtimeDir) {
  const indent = (text) =>
    text
      .split('\n')
      .map((line) => (line === '' ? '' : `    ${line}`))
      .join('\n');
  return [
    '# A whole nginx.conf for isolated-pymcp replicas: pid, logs and temp files under one directory.',
    'worker_processes 1;',
    `pid ${runtimeDir}/nginx.pid;`,
    `error_log ${runtimeDir}/error.log warn;`,
    'events {',
    '    worker_connections 1024;',
    '}',
    'http {',
    `    access_log ${runtimeDir}/access.log;`,
    `    client_body_temp_path ${runtimeDir}/client_body;`,
    `    proxy_temp_path ${runtimeDir}/proxy;`,
    `    fastcgi_temp_path ${runtimeDir}/fastcgi;`,
    `    uwsgi_temp_path ${runtimeDir}/uwsgi;`,
    `    scgi_temp_path ${runtimeDir}/scgi;`,
    indent(block).trimEnd(),
    '}',
    '',
  ].join('\n');
}

function main() {
  const { values } = parseArgs({
    options: {
      replica: { type: 'string', multiple: true },
      replicas: { type: 'string' },
      'first-port': { type: 'string' },
      host: { type: 'string' },
      listen: { type: 'string', default: '127.0.0.1:8080' },
      'runtime-dir': { type: 'string' },
    },
  });
  const replicas = parseReplicas(values);
  if (!isAddress(values.listen)) fail('--listen: expected HOST:PORT (port 1 to 65535)');
  const block = httpBlock(replicas, values.listen);
  const runtimeDir = values['runtime-dir'];
  if (runtimeDir === undefined) {
    process.stdout.write(block);
    return;
  }
  if (!SAFE_PATH.test(runtimeDir)) fail('--runtime-dir: an absolute path of [A-Za-z0-9._/-]');
  process.stdout.write(wholeConfig(block, runtimeDir.replace(/\/+$/, '')));
}

main();
