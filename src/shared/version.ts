/** The package version, without loading anything else (the CLI prints it before loading commands). */
export const VERSION = '0.1.0';
