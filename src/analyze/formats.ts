/** Report formats, importable without loading the analysis itself. */
export const FORMATS = ['text', 'markdown', 'json', 'html'] as const;
export type Format = (typeof FORMATS)[number];
