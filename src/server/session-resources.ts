/**
 * Session files as MCP resources: resources/list names every file in the connection's sessions,
 * resources/read returns one (text, or base64 for binary), resources/templates/list gives the URI
 * form. Reads go through the session's worker like download_file (session-files.ts).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  ListResourceTemplatesRequestSchema,
  ListResourcesRequestSchema,
  ReadResourceRequestSchema,
  type Resource,
} from '@modelcontextprotocol/sdk/types.js';
import { FILE_CHUNK_BYTES } from '../sandbox/worker-protocol.js';
import { isPymcpError } from '../shared/errors.js';
import { textPrefix } from './file-chunk.js';
import {
  SCRATCH_ROOT,
  URI_TEMPLATE,
  fileUri,
  mimeTypeOf,
  parseFileUri,
  type SessionFiles,
} from './session-files.js';
import { ProtocolError } from './tools/tool-registry.js';

/** Largest file resources/read returns whole; download_file pages larger ones. */
export const RESOURCE_READ_BYTES = FILE_CHUNK_BYTES;
/** Resources listed at most, all sessions together. */
const LIST_MAX = 1000;
/** JSON-RPC code for an unknown resource, as the MCP specification names it. */
const RESOURCE_NOT_FOUND = -32002;
const INVALID_PARAMS = -32602;

export function registerSessionResources(server: McpServer, files: SessionFiles): void {
  server.server.setRequestHandler(ListResourcesRequestSchema, async () => {
    const resources: Resource[] = [];
    for (const sessionId of files.sessionIds()) {
      let listing;
      try {
        listing = await files.list(sessionId);
      } catch (error) {
        // A session running a call (or without a sandbox right now) has nothing to list.
        if (isPymcpError(error)) continue;
        throw error;
      }
      for (const entry of listing.entries) {
        if (resources.length >= LIST_MAX) break;
        resources.push({
          uri: fileUri(sessionId, entry.path),
          name: `${sessionId}/${entry.path}`,
          title: `${SCRATCH_ROOT}/${entry.path} in session ${sessionId}`,
          mimeType: mimeTypeOf(entry.path),
          size: entry.size,
        });
      }
    }
    return { resources };
  });

  server.server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: [
      {
        uriTemplate: URI_TEMPLATE,
        name: 'session-file',
        title: 'A file in a Python session',
        description: `A file in the scratch directory (${SCRATCH_ROOT}) of a session from create_session; path is relative to ${SCRATCH_ROOT}.`,
      },
    ],
  }));

  server.server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const { uri } = request.params;
    const target = parseFileUri(uri);
    if (target === null) {
      throw new ProtocolError(
        RESOURCE_NOT_FOUND,
        `no such resource; session files look like ${URI_TEMPLATE}`,
      );
    }
    let chunk;
    try {
      chunk = await files.read(target.sessionId, target.name, 0, RESOURCE_READ_BYTES);
    } catch (error) {
      if (!isPymcpError(error)) throw error;
      const code =
        error.code === 'session_not_found' || error.code === 'file_failed'
          ? RESOURCE_NOT_FOUND
          : INVALID_PARAMS;
      throw new ProtocolError(code, error.message);
    }
    if (chunk.size > RESOURCE_READ_BYTES) {
      throw new ProtocolError(
        INVALID_PARAMS,
        `the file is ${chunk.size} bytes, more than resources/read returns (${RESOURCE_READ_BYTES}); page through it with download_file`,
      );
    }
    const mimeType = mimeTypeOf(target.name);
    const text = textPrefix(chunk.data, true);
    return {
      contents: [
        text !== null && !mimeType.startsWith('image/')
          ? {
              uri,
              mimeType: mimeType === 'application/octet-stream' ? 'text/plain' : mimeType,
              text: text.text,
            }
          : { uri, mimeType, blob: chunk.data.toString('base64') },
      ],
    };
  });
}
