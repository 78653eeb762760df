/**
 * Hover and signature documentation as servers send it, made readable for a model: pyright
 * renders docstrings as Markdown with HTML entities (`a &lt; b`, `&nbsp;` for indentation); those
 * are decoded outside code blocks, where a model would otherwise read them literally.
 */
import type { Hover, MarkupContent } from 'vscode-languageserver-protocol';

const NAMED: Record<string, string> = {
  nbsp: ' ',
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};

/** Hover contents: MarkupContent, or the deprecated MarkedString forms older servers send. */
export function hoverText(contents: Hover['contents']): string {
  const parts = Array.isArray(contents) ? contents : [contents];
  return decodeEntities(
    parts
      .map((part) => (typeof part === 'string' ? part : part.value))
      .join('\n\n')
      .trim(),
  );
}

/** Documentation of a signature or a parameter, decoded; null when there is none. */
export function documentationText(doc: string | MarkupContent | undefined): string | null {
  if (doc === undefined) return null;
  const value = decodeEntities(typeof doc === 'string' ? doc : doc.value).trim();
  return value === '' ? null : value;
}

/** Decode HTML character references in Markdown text, leaving fenced code blocks alone. */
export function decodeEntities(markdown: string): string {
  return markdown
    .split(/(```[\s\S]*?```)/)
    .map((part, index) => (index % 2 === 1 ? part : decodeOutsideCode(part)))
    .join('');
}

function decodeOutsideCode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, body: string) => {
    if (body.startsWith('#')) {
      const code =
        body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : Number(body.slice(1));
      return Number.isInteger(code) && code > 0 && code <= 0x10ffff
        ? String.fromCodePoint(code)
        : whole;
    }
    return NAMED[body.toLowerCase()] ?? whole;
  });
}
