// `doctor -X patch` sends `patch` exactly as given (as a browser does; Node's client would
// upper-case it) and predicts Node's 400 for methods outside http.METHODS.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { run } from '../../src/cli/run.js';
import { nodeTransport } from '../../src/cli/probe.js';

const PAGE = 'https://app.example.com';

/** A raw server that records each request line and grants PAGE any method. */
async function recordingServer(): Promise<{ url: string; lines: string[]; close: () => Promise<void> }> {
  const lines: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      lines.push(buffered.slice(0, buffered.indexOf('\r\n')));
      buffered = '';
      socket.end(
        'HTTP/1.1 204 No Content\r\n' +
          `Access-Control-Allow-Origin: ${PAGE}\r\n` +
          'Access-Control-Allow-Methods: patch, PATCH, BREW\r\n' +
          'Vary: Origin\r\nConnection: close\r\n\r\n',
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/items`,
    lines,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

async function doctorJson(
  args: string[],
): Promise<{ code: number; json: { verdict: string; findings: { code: string; severity: string; fix: string }[] } }> {
  const out: string[] = [];
  const code = await run(['doctor', ...args, '--json', '--timeout', '5000'], {
    stdout: (s) => out.push(s),
    stderr: () => undefined,
  });
  return { code, json: JSON.parse(out.join('')) as never };
}

describe('doctor -X patch', () => {
  it('the transport sends the method exactly as given', async () => {
    const server = await recordingServer();
    try {
      for (const method of ['patch', 'PATCH', 'Patch', 'propfind']) {
        await nodeTransport.request({ method, url: new URL(server.url), headers: [], timeoutMs: 5000 });
      }
      assert.deepEqual(server.lines, [
        'patch /items HTTP/1.1',
        'PATCH /items HTTP/1.1',
        'Patch /items HTTP/1.1',
        'propfind /items HTTP/1.1',
      ]);
    } finally {
      await server.close();
    }
  });

  it('the preflight asks for "patch" and the actual request is sent as "patch"', async () => {
    const server = await recordingServer();
    try {
      const { json } = await doctorJson([server.url, '--origin', PAGE, '-X', 'patch']);
      // Then the preflight again from an unrelated origin, to catch a server that echoes any origin.
      assert.deepEqual(server.lines, ['OPTIONS /items HTTP/1.1', 'patch /items HTTP/1.1', 'OPTIONS /items HTTP/1.1']);
      const finding = json.findings.find((f) => f.code === 'method-refused-by-node');
      assert.equal(finding?.severity, 'warning');
      assert.match(finding?.fix ?? '', /method: 'PATCH'/);
    } finally {
      await server.close();
    }
  });

  it('against a Node server that grants "patch": BLOCKED, because Node answers 400 before any handler', async () => {
    let handlerRan = 0;
    const server = http.createServer((req, res) => {
      handlerRan++;
      res.setHeader('Access-Control-Allow-Origin', PAGE);
      res.setHeader('Access-Control-Allow-Methods', 'patch, PATCH');
      res.statusCode = req.method === 'OPTIONS' ? 204 : 200;
      res.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/items`;
      const lower = await doctorJson([url, '--origin', PAGE, '-X', 'patch']);
      assert.equal(lower.json.verdict, 'blocked');
      assert.equal(lower.code, 1);
      assert.equal(handlerRan, 1, 'only the preflight reached the handler');
      assert.ok(lower.json.findings.some((f) => f.code === 'method-refused-by-node'));
      const upper = await doctorJson([url, '--origin', PAGE, '-X', 'PATCH']);
      assert.equal(upper.json.verdict, 'allowed');
      assert.ok(!upper.json.findings.some((f) => f.code === 'method-refused-by-node'));
    } finally {
      server.close();
    }
  });

  it('a method outside http.METHODS in any case gets the prediction with the generic fix', async () => {
    const server = await recordingServer();
    try {
      const { json } = await doctorJson([server.url, '--origin', PAGE, '-X', 'BREW']);
      const finding = json.findings.find((f) => f.code === 'method-refused-by-node');
      assert.match(finding?.fix ?? '', /http\.METHODS/);
    } finally {
      await server.close();
    }
  });
});
