/**
 * The consumer projects of test/package/consumer.test.ts, modelled on helmet's project-setups:
 * one small program (default import, named imports, inline origin functions, corsSafety() on a
 * node:http server) in every module setting a user may have, TypeScript and plain JavaScript.
 */

/** One consumer project: a package.json `type`, a file, and compiler options when it is TypeScript. */
export interface ConsumerProject {
  readonly name: string;
  readonly type: 'module' | 'commonjs';
  readonly file: string;
  readonly source: string;
  /** Absent for plain JavaScript, which runs as written. */
  readonly compilerOptions?: Readonly<Record<string, unknown>>;
}

/** What every program prints (as JSON) when the package works. */
export const PROGRAM_CHECKS = {
  allowed: 'https://app.example.com',
  denied: null,
  callbackForm: true,
  defaultIsTheFactory: true,
};

/** The program's body after its imports; `T(...)` marks TypeScript-only text. */
const BODY = `
const policy = createCorsPolicy({
  // Inline: origin is a string and req the request, inferred from the option's type.
  origin: (origin, req) => origin === 'https://app.example.com' && req.headers.host !== undefined,
});
const validator = createOriginValidator({
  origin: (origin, callback) => callback(null, origin.endsWith('.example.com')),
});
const cors = corsSafety(policy);
const server = createServer((req, res) => cors(req, res, () => res.end('ok')));

function ask(portT(: number), originT(: string))T(: Promise<string | null>) {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/', headers: { origin } }, (res) => {
      res.resume();
      const value = res.headers['access-control-allow-origin'];
      res.on('end', () => resolve(typeof value === 'string' ? value : null));
    }).on('error', reject);
  });
}

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address()T( as AddressInfo);
  Promise.all([
    ask(port, 'https://app.example.com'),
    ask(port, 'https://evil.example'),
    Promise.resolve(validator.check('https://tenant.example.com')),
  ]).then(([allowed, denied, verdict]) => {
    console.log(
      JSON.stringify({
        allowed,
        denied,
        callbackForm: verdict.allowed,
        defaultIsTheFactory: typeof corsSafety === 'function' && corsSafety(policy).policy === policy,
      }),
    );
    server.close();
  });
});
`;

const TS_IMPORTS = `import corsSafety, { createCorsPolicy, createOriginValidator } from 'cors-safety';
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
`;
const ESM_IMPORTS = `import corsSafety, { createCorsPolicy, createOriginValidator } from 'cors-safety';
import { createServer, get } from 'node:http';
`;
// require('cors-safety') is the factory itself, with the named exports attached.
const CJS_REQUIRES = `const corsSafety = require('cors-safety');
const { createCorsPolicy, createOriginValidator } = require('cors-safety');
const { createServer, get } = require('node:http');
`;

const typescript = (body: string): string => body.replace(/T\(([^()]*(?:\([^()]*\))?[^()]*)\)/g, '$1');
const javascript = (body: string): string => body.replace(/T\(([^()]*(?:\([^()]*\))?[^()]*)\)/g, '');

const TS_SOURCE = TS_IMPORTS + typescript(BODY);

function typescriptProject(
  name: string,
  type: ConsumerProject['type'],
  compilerOptions: Readonly<Record<string, unknown>>,
): ConsumerProject {
  return { name, type, file: 'index.ts', source: TS_SOURCE, compilerOptions };
}

export const PROJECTS: readonly ConsumerProject[] = [
  typescriptProject('ts-node16-cjs', 'commonjs', { module: 'node16', moduleResolution: 'node16' }),
  typescriptProject('ts-node16-esm', 'module', { module: 'node16', moduleResolution: 'node16' }),
  typescriptProject('ts-nodenext-esm', 'module', { module: 'nodenext', moduleResolution: 'nodenext' }),
  typescriptProject('ts-nodenext-cjs', 'commonjs', { module: 'nodenext', moduleResolution: 'nodenext' }),
  typescriptProject('ts-commonjs', 'commonjs', { module: 'commonjs' }),
  typescriptProject('ts-commonjs-interop', 'commonjs', { module: 'commonjs', esModuleInterop: true }),
  typescriptProject('ts-esnext-bundler', 'module', { module: 'esnext', moduleResolution: 'bundler' }),
  { name: 'js-cjs', type: 'commonjs', file: 'index.js', source: CJS_REQUIRES + javascript(BODY) },
  { name: 'js-esm', type: 'module', file: 'index.js', source: ESM_IMPORTS + javascript(BODY) },
];
