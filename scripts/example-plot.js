// Regenerate docs/example-plot.png: call the built server's run_python_code with the README's
// example through the SDK client, save the PNG it returns, and print the text result.
import { Buffer } from 'node:buffer';
import console from 'node:console';
import { writeFileSync } from 'node:fs';
import process from 'node:process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export const EXAMPLE = `import numpy as np
import matplotlib.pyplot as plt

t = np.linspace(0, 4 * np.pi, 400)
fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100, layout="constrained")
ax.plot(t, np.sin(t), label="sin t")
ax.plot(t, np.exp(-t / 5) * np.cos(3 * t), label="e^(-t/5) cos 3t")
ax.set_title("Two signals")
ax.set_xlabel("t [s]")
ax.set_ylabel("amplitude")
ax.legend()
plt.show()
print("peak:", round(float(np.max(np.sin(t))), 3))`;

const transport = new StdioClientTransport({
  command: process.execPath,
  args: ['bin/isolated-pymcp', 'serve', '--no-workspace', '--lsp', 'off', '--log-level', 'warn'],
});
const client = new Client({ name: 'example-plot', version: '0.0.0' });
await client.connect(transport);
try {
  const result = await client.callTool({
    name: 'run_python_code',
    arguments: { python_code: EXAMPLE },
  });
  const image = result.content.find((item) => item.type === 'image');
  if (image === undefined) throw new Error(`no image in the result: ${JSON.stringify(result)}`);
  writeFileSync('docs/example-plot.png', Buffer.from(image.data, 'base64'));
  console.log(result.content.find((item) => item.type === 'text')?.text);
  console.log(JSON.stringify(result.structuredContent.images));
} finally {
  await client.close();
}
