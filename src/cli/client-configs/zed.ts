/**
 * Zed: its user `settings.json` (`~/.config/zed/`, `$XDG_CONFIG_HOME/zed/` on Linux,
 * `%APPDATA%\Zed\` on Windows), JSON with comments, servers under `context_servers` as
 * `{command, args, env}`. Followed: Zed's docs (zed.dev/docs/ai/mcp, "As Custom Servers") and
 * its settings schema (`ContextServerSettingsContent` in crates/settings_content/src/project.rs:
 * a stdio variant with `command`/`args`/`env`, an HTTP one with `url`/`headers`). Header values
 * are sent as written, with no variable expansion, so an HTTP entry would need the token in
 * clear: --http is refused. Merging keeps every comment (json-edit.ts).
 */
import path from 'node:path';
import { jsonClient, stdioOnly, userConfigDir } from './client.js';

export const zed = jsonClient({
  title: 'Zed',
  key: 'context_servers',
  dialect: 'jsonc',
  file(where) {
    if (where.platform === 'win32') return path.join(userConfigDir(where), 'Zed', 'settings.json');
    if (where.platform === 'darwin')
      return path.join(where.home, '.config', 'zed', 'settings.json');
    return path.join(userConfigDir(where), 'zed', 'settings.json');
  },
  ...stdioOnly(
    'Zed',
    "Zed sends an HTTP server's headers as written (no variable expansion), so the token would sit in clear in settings.json",
  ),
});
