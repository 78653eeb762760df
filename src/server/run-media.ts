/**
 * What a run made besides text, as MCP content: images (checked, within the image budget),
 * `<images>` and `<files>` sections of the text (what was attached, what was left out and why),
 * and resource links to new files in a session's outputs directory. Pure.
 */
import type { ImageContent, ResourceLink } from '@modelcontextprotocol/sdk/types.js';
import type { RunMedia } from '../sandbox/run-outcome.js';
import { IMAGE_CAPS, type WorkerTable } from '../sandbox/worker-protocol.js';
import { checkScratchName } from '../shared/scratch-path.js';
import { SCRATCH_ROOT, fileUri, mimeTypeOf } from './session-files.js';
import { approxBytes } from '../shared/approx-bytes.js';
import { jsonValueBytes } from './response-budget.js';

/** Text of one image's or file's line, at most. */
const LABEL_CHARS = 300;
/** Images left out that the text names one by one; the rest are counted. */
const OMITTED_SHOWN = 10;
/** Output files linked from one result. */
const LINKS_MAX = 50;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface ImageInfo {
  label: string;
  width: number;
  height: number;
  bytes: number;
  scaled: boolean;
}

export interface MediaParts {
  images: ImageContent[];
  imageInfo: ImageInfo[];
  /** Images described in the text but not attached. */
  imagesOmitted: number;
  links: ResourceLink[];
  files: Array<{ path: string; uri: string; size: number }>;
  /** The `<images>` and `<files>` sections, or '' when there is nothing to say. */
  sections: string;
}

const NO_MEDIA_PARTS: MediaParts = {
  images: [],
  imageInfo: [],
  imagesOmitted: 0,
  links: [],
  files: [],
  sections: '',
};

/** Width and height of a PNG, or null when `data` is not one. */
export function pngSize(data: Buffer): { width: number; height: number } | null {
  if (data.length < 24 || !data.subarray(0, 8).equals(PNG_SIGNATURE)) return null;
  if (data.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

/**
 * `imageBudget`: base64 bytes all images together may take. `sessionId`: links only for a
 * session (a fresh call's sandbox and its files are gone once it answers). `fileBudget`: bytes
 * of the response the output files may take (their links, structured entries and text lines).
 */
export function mediaParts(
  media: RunMedia | undefined,
  sessionId: string | null,
  imageBudget: number,
  fileBudget: number,
): MediaParts {
  if (media === undefined) return NO_MEDIA_PARTS;
  const images: ImageContent[] = [];
  const imageInfo: ImageInfo[] = [];
  const lines: string[] = [];
  const omitted: string[] = [];
  let left = imageBudget;
  for (const image of media.images) {
    const label = clip(image.label);
    const checked = checkImage(image, left);
    if (typeof checked === 'string') {
      omitted.push(`${label} (${checked})`);
      continue;
    }
    left -= image.data.length;
    const bytes = checked.bytes;
    images.push({ type: 'image', data: image.data, mimeType: 'image/png' });
    imageInfo.push({
      label,
      width: image.width,
      height: image.height,
      bytes,
      scaled: image.scaled,
    });
    lines.push(
      `image ${images.length}: ${label}; ${image.width}x${image.height} px PNG, ${approxBytes(bytes)}${image.scaled ? ', scaled down to fit the limits' : ''}`,
    );
  }
  for (const item of media.imagesOmitted)
    omitted.push(`${clip(item.label)} (${clip(item.reason)})`);
  const omittedCount = omitted.length - media.imagesOmitted.length + media.imagesOmittedCount;
  if (omittedCount > 0) {
    lines.push(`not attached (${omittedCount}):`);
    lines.push(...omitted.slice(0, OMITTED_SHOWN).map((line) => `- ${line}`));
    if (omittedCount > OMITTED_SHOWN) lines.push(`- ... and ${omittedCount - OMITTED_SHOWN} more`);
  }
  const sections: string[] = [];
  if (lines.length > 0) sections.push(['<images>', ...lines, '</images>'].join('\n'));

  const links: ResourceLink[] = [];
  const files: MediaParts['files'] = [];
  if (media.files.length > 0) {
    const total = media.files.length + media.filesMore;
    if (sessionId === null) {
      sections.push(
        `<files>\n${total} file${total === 1 ? '' : 's'} written under /tmp/outputs went with this call's fresh sandbox; run in a session (create_session) to keep and download them\n</files>`,
      );
    } else {
      const fileLines: string[] = [];
      let used = 0;
      for (const file of media.files.slice(0, LINKS_MAX)) {
        // Security: the worker's path is hostile input; only a name resources/read accepts is linked.
        if (!checkScratchName(file.path, SCRATCH_ROOT).ok) continue;
        const uri = fileUri(sessionId, file.path);
        const entry = { path: file.path, uri, size: file.size };
        const link: ResourceLink = {
          type: 'resource_link',
          uri,
          name: file.path,
          mimeType: mimeTypeOf(file.path),
          size: file.size,
        };
        const line = `${clip(file.path)} (${file.size} bytes): ${uri}`;
        // Security: the links share the response budget; past their share the rest are counted.
        used += jsonValueBytes(entry) + jsonValueBytes(link) + jsonValueBytes(line) + 2;
        if (used > fileBudget) break;
        files.push(entry);
        links.push(link);
        fileLines.push(line);
      }
      if (total > files.length) fileLines.push(`... and ${total - files.length} more (list_files)`);
      sections.push(['<files>', ...fileLines, '</files>'].join('\n'));
    }
  }
  return {
    images,
    imageInfo,
    imagesOmitted: omittedCount,
    links,
    files,
    sections: sections.join('\n'),
  };
}

/** Why an image from the sandbox is not attached, or its size. It is hostile input: checked whole. */
function checkImage(image: RunMedia['images'][number], left: number): string | { bytes: number } {
  if (image.data.length > left) return 'over the image budget of this call';
  const data = Buffer.from(image.data, 'base64');
  const size = pngSize(data);
  // Security: what is attached is a PNG of the size it claims, within the caps, whatever the
  // session's code did to the worker.
  if (size === null || size.width !== image.width || size.height !== image.height)
    return 'not a valid PNG';
  if (
    data.length > IMAGE_CAPS.maxBytes ||
    Math.max(size.width, size.height) > IMAGE_CAPS.maxSide ||
    size.width * size.height > IMAGE_CAPS.maxPixels * 1.1
  )
    return 'over the size limits';
  return { bytes: data.length };
}

/** Records of a table, as many as fit `room` bytes of JSON. */
export function tableRecords(
  table: WorkerTable,
  room: number,
): { records: unknown[] | null; shown: number; bytes: number } {
  if (table.records === null) return { records: null, shown: 0, bytes: 0 };
  let parsed: unknown;
  try {
    parsed = JSON.parse(table.records);
  } catch {
    return { records: null, shown: 0, bytes: 0 };
  }
  if (!Array.isArray(parsed)) return { records: null, shown: 0, bytes: 0 };
  const records: unknown[] = [];
  let bytes = 2;
  for (const record of parsed as unknown[]) {
    const size = Buffer.byteLength(JSON.stringify(record), 'utf8') + 1;
    if (bytes + size > room) break;
    records.push(record);
    bytes += size;
  }
  return { records, shown: records.length, bytes };
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= LABEL_CHARS ? flat : `${flat.slice(0, LABEL_CHARS - 3)}...`;
}
