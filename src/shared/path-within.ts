/** Lexical containment of absolute paths, separator-aware ('/a/bc' is not under '/a/b'). */
import path from 'node:path';

export function isUnder(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
