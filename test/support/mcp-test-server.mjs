#!/usr/bin/env node
// A real MCP server for the tests, built with the SDK's server side.
//   node mcp-test-server.mjs [stdio] [--mode normal|garbage|silent|many]
//   node mcp-test-server.mjs http      (prints `LISTENING <port>` on stdout, serves /mcp on 127.0.0.1)
// MCP_MARK_DIR (env): where it records its pid (`<MCP_NAME>.pids`), writes, and cancellations.
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const args = process.argv.slice(2);
const transportKind = args[0] === 'http' ? 'http' : 'stdio';
const modeAt = args.indexOf('--mode');
const mode = modeAt >= 0 ? args[modeAt + 1] : 'normal';
const markDir = process.env.MCP_MARK_DIR;
const name = process.env.MCP_NAME ?? 'test';
const mark = (file, line) => {
  if (markDir) appendFileSync(join(markDir, file), `${line}\n`);
};
mark(`${name}.pids`, String(process.pid));
// MCP_STUBBORN_KID=1: start a helper in the server's process group that ignores SIGTERM (its pid
// goes to `<MCP_NAME>.kids`); the server itself dies on SIGTERM.
if (process.env.MCP_STUBBORN_KID === '1') {
  const { spawn } = await import('node:child_process');
  const kid = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1 << 30)"], { stdio: 'ignore' });
  mark(`${name}.kids`, String(kid.pid));
}
// MCP_LINGER=1: outlive the end of stdin (as some servers do), so only a kill ends it.
if (process.env.MCP_LINGER === '1') setInterval(() => {}, 1 << 30);
process.stderr.write(`mcp-test-server ${name} started (pid ${process.pid}, mode ${mode})\n`);

let extraAdded = false;
function build() {
  const server = new McpServer({ name: `agentd-test-${name}`, version: '1.0.0' });
  if (mode === 'many') {
    for (let i = 0; i < 500; i++) {
      server.registerTool(`tool_${i}`, { description: `tool number ${i}`, inputSchema: { n: z.number().optional() }, annotations: { readOnlyHint: true } }, async () => ({
        content: [{ type: 'text', text: `tool ${i} ran` }],
      }));
    }
    return server;
  }
  server.registerTool(
    'read_note',
    { title: 'Read a note', description: 'Reads a note (read-only).', inputSchema: { key: z.string() }, annotations: { readOnlyHint: true } },
    async ({ key }) => ({ content: [{ type: 'text', text: `note ${key}: hello from ${name}` }] }),
  );
  server.registerTool(
    'write_note',
    { description: 'Writes a note (changes things).', inputSchema: { key: z.string(), text: z.string() } },
    async ({ key, text }) => {
      mark('writes', `${key}=${text}`);
      return { content: [{ type: 'text', text: `wrote ${key}` }], structuredContent: undefined };
    },
  );
  server.registerTool(
    'env_report',
    { description: 'Says which environment variables it sees.', inputSchema: {}, annotations: { readOnlyHint: true } },
    async () => ({ content: [{ type: 'text', text: Object.keys(process.env).sort().join(',') }] }),
  );
  server.registerTool(
    'slow',
    { description: 'Runs until cancelled, reporting progress.', inputSchema: {}, annotations: { readOnlyHint: true } },
    async (_args, extra) => {
      const token = extra._meta?.progressToken;
      if (token !== undefined) {
        await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 1, total: 10, message: 'working on it' } });
      }
      mark('slow', 'started');
      await new Promise((resolve) => {
        extra.signal.addEventListener('abort', () => {
          mark('slow', 'cancelled');
          resolve();
        });
      });
      return { content: [{ type: 'text', text: 'cancelled' }] };
    },
  );
  server.registerTool('crash', { description: 'Dies in the middle of the call.', inputSchema: {}, annotations: { readOnlyHint: true } }, async () => {
    mark('crash', 'crashing');
    setTimeout(() => process.exit(3), 10);
    return new Promise(() => {});
  });
  server.registerTool('add_tool', { description: 'Adds the tool `extra` (tools/list_changed).', inputSchema: {}, annotations: { readOnlyHint: true } }, async () => {
    if (!extraAdded) {
      extraAdded = true;
      server.registerTool('extra', { description: 'Added later.', inputSchema: {}, annotations: { readOnlyHint: true } }, async () => ({ content: [{ type: 'text', text: 'extra ran' }] }));
    }
    return { content: [{ type: 'text', text: 'added' }] };
  });
  server.registerTool('picture', { description: 'Returns a 1x1 PNG.', inputSchema: {}, annotations: { readOnlyHint: true } }, async () => ({
    content: [
      { type: 'text', text: 'here is the picture' },
      { type: 'image', mimeType: 'image/png', data: 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==' },
      { type: 'image', mimeType: 'image/x-unknown', data: 'AAAA' },
    ],
  }));
  server.registerTool('big', { description: 'Returns 10 MB of text.', inputSchema: {}, annotations: { readOnlyHint: true } }, async () => ({
    content: [{ type: 'text', text: `BEGIN\n${'0123456789abcdef\n'.repeat((10 * 1024 * 1024) / 17)}END` }],
  }));
  server.registerTool('spam', { description: 'Floods progress notifications, then answers.', inputSchema: {}, annotations: { readOnlyHint: true } }, async (_args, extra) => {
    const token = extra._meta?.progressToken;
    const filler = 'p'.repeat(4096);
    for (let i = 1; token !== undefined && i <= 20000; i++) {
      void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: 20000, message: `step ${i} ${filler}` } });
    }
    return { content: [{ type: 'text', text: 'spammed' }] };
  });
  server.registerTool('ask_back', { description: 'Sends the client sampling, elicitation and roots requests.', inputSchema: {}, annotations: { readOnlyHint: true } }, async () => {
    const out = [];
    const tries = [
      ['sampling', () => server.server.request({ method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 } }, z.any(), { timeout: 5000 })],
      ['elicitation', () => server.server.request({ method: 'elicitation/create', params: { message: 'password?', requestedSchema: { type: 'object', properties: {} } } }, z.any(), { timeout: 5000 })],
      ['roots', () => server.server.request({ method: 'roots/list', params: {} }, z.any(), { timeout: 5000 })],
    ];
    for (const [what, f] of tries) {
      try {
        out.push(`${what}: answered ${JSON.stringify(await f())}`);
      } catch (err) {
        out.push(`${what}: refused ${err.code}`);
      }
    }
    return { content: [{ type: 'text', text: out.join('\n') }] };
  });
  server.registerTool('fails', { description: 'Reports an error result.', inputSchema: {}, annotations: { readOnlyHint: true } }, async () => ({
    content: [{ type: 'text', text: 'the thing is broken' }],
    isError: true,
  }));
  return server;
}

if (transportKind === 'stdio') {
  if (mode === 'silent') {
    // Reads everything, answers nothing (never answers initialize).
    process.stdin.on('data', () => {});
    setInterval(() => {}, 1 << 30);
  } else {
    if (mode === 'endless-line') {
      // One "line" of 70 MiB that never ends: a client must give up, not buffer forever.
      const chunk = Buffer.alloc(1024 * 1024, 0x78);
      for (let i = 0; i < 70; i++) process.stdout.write(chunk);
    }
    if (mode === 'garbage') {
      // Not JSON-RPC: a client must skip these lines, not fail or stall.
      process.stdout.write('Starting server... please wait\n{"not":"jsonrpc"}\n\u0000\u0001binary junk\n');
      setInterval(() => process.stdout.write('log line on stdout\n'), 5).unref();
    }
    const server = build();
    await server.connect(new StdioServerTransport());
  }
} else {
  const http = createServer(async (req, res) => {
    if (!req.url?.startsWith('/mcp')) {
      res.writeHead(404).end();
      return;
    }
    if (process.env.MCP_EXPECT_AUTH && req.headers.authorization !== process.env.MCP_EXPECT_AUTH) {
      res.writeHead(401).end('unauthorized');
      return;
    }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const server = build();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  http.listen(0, '127.0.0.1', () => {
    const port = http.address().port;
    if (markDir) writeFileSync(join(markDir, `${name}.port`), String(port));
    process.stdout.write(`LISTENING ${port}\n`);
  });
}
