/**
 * How much one whole-workspace answer covers. Kept apart from the modules that enforce them, so
 * that tool descriptions can state them without loading the language-server client at start-up.
 */

/** Files that name the symbol given to the server for one answer. */
export const MAX_NAME_FILES = 500;
/** Names checked with go-to-definition for one answer (servers with a bounded search). */
export const MAX_CHECKED_NAMES = 400;
/** Python files one lsp_check_project covers. */
export const MAX_PROJECT_FILES = 500;
