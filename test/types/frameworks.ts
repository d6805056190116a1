/**
 * Type tests: every public function fits the frameworks it is documented for (Express 4 through
 * the `express4` alias and @types/express4, Express 5, Connect, node:http, ws, socket.io), and misuses do
 * not compile (`@ts-expect-error`). Checked by TypeScript 5 and 7 (test/types/types.test.ts);
 * nothing here runs.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import connect from 'connect';
import express from 'express';
import express4 from 'express4';
import { Server as SocketIoServer } from 'socket.io';
import { WebSocketServer } from 'ws';
import corsSafety, {
  CorsConfigError,
  corsErrorHandler,
  corsSafety as namedCorsSafety,
  createAllowRequest,
  createCorsPolicy,
  createOriginValidator,
  createVerifyClient,
  isCorsPolicy,
  LOOPBACK_ORIGINS,
  notFound,
  REASON_HEADER,
  upgradeGuard,
  type AllowRequest,
  type CorsConfigIssue,
  type CorsPolicy,
  type CorsSafetyMiddleware,
  type ErrorMiddleware,
  type Middleware,
  type OriginVerdict,
  type ReasonCode,
  type UpgradeListener,
  type UpgradeRejectInfo,
  type VerifyClient,
} from '../../src/index.js';

declare function expectType<T>(value: T): void;

// The default export is the named factory.
const defaultExport: typeof namedCorsSafety = corsSafety;
expectType<boolean>(defaultExport === namedCorsSafety);

const policy: CorsPolicy = createCorsPolicy({ origin: ['https://app.example.com'], credentials: true });
const cors: CorsSafetyMiddleware = corsSafety(policy);
expectType<CorsPolicy>(cors.policy);
expectType<Middleware>(corsSafety());
expectType<ErrorMiddleware>(corsErrorHandler(policy, { format: 'json', log: () => undefined }));
expectType<Middleware>(notFound());

// Express 5
const app5 = express();
app5.use(corsSafety({ origin: 'https://app.example.com' }));
app5.use('/api', cors);
app5.options('/api/*splat', cors);
app5.use(notFound());
app5.use(corsErrorHandler(policy));

// Express 4
const app4 = express4();
app4.use(corsSafety({ origin: 'https://app.example.com' }));
app4.use('/api', cors);
app4.options('*', cors);
app4.use(notFound());
app4.use(corsErrorHandler(policy));
const router4 = express4.Router();
router4.use(cors);

// Connect
const connectApp = connect();
connectApp.use(cors);
connectApp.use('/api', corsSafety());
connectApp.use(notFound());
connectApp.use(corsErrorHandler(policy));

// node:http: the middleware, the error handler and the upgrade guard on a plain server.
const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
  cors(req, res, (err?: unknown) => {
    if (err !== undefined) corsErrorHandler(policy)(err, req, res, () => res.end());
    else res.end('ok');
  });
});
const onUpgrade: UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
  socket.end(head.length > 0 ? head : req.url);
};
server.on('upgrade', upgradeGuard(policy, onUpgrade, { paths: ['/ws'], onReject: (info: UpgradeRejectInfo) => info }));
server.on('upgrade', upgradeGuard({ origin: 'https://app.example.com' }, onUpgrade));

// ws: verifyClient
const verifyClient: VerifyClient = createVerifyClient(policy, { requireOrigin: true });
new WebSocketServer({ server, verifyClient });
new WebSocketServer({ noServer: true, verifyClient: createVerifyClient({ origin: 'https://app.example.com' }) });

// socket.io: engine.io's allowRequest option, and the middleware on io.engine for long-polling.
const allowRequest: AllowRequest = createAllowRequest(policy, { requireOrigin: true });
const io = new SocketIoServer(server, { allowRequest });
io.engine.use(cors);
new SocketIoServer(server, {
  allowRequest: createAllowRequest({ origin: (origin) => origin.endsWith('.example.com') }),
});

// The validator: a verdict, or a Promise of one when an origin function answers later.
const validator = createOriginValidator(policy);
const verdict: OriginVerdict | Promise<OriginVerdict> = validator.check('https://app.example.com');
void Promise.resolve(verdict).then((settled) => {
  const reason: ReasonCode = settled.reason;
  return settled.allowed ? settled.origin : reason;
});
declare const req: IncomingMessage;
void validator.check(req.headers.origin, req);

// Constants and the error class.
expectType<readonly string[]>(LOOPBACK_ORIGINS);
expectType<string>(REASON_HEADER);
expectType<boolean>(isCorsPolicy(policy));
try {
  createCorsPolicy({ origin: 'https://app.example.com/' });
} catch (err) {
  if (err instanceof CorsConfigError) {
    const issues: readonly CorsConfigIssue[] = err.issues;
    expectType<string>(issues[0]?.code ?? '');
  }
}

// ---- Misuses that must not compile ----

// (`app.use(corsSafety)` without calling it compiles against Express 5's `use()` overloads; it is
// caught at run time instead: a process warning and next(CorsConfigError), test/http/misuse.test.ts.)
// @ts-expect-error -- an unknown option (typo of `origin`)
corsSafety({ orign: 'https://app.example.com' });
// @ts-expect-error -- credentials is a boolean
corsSafety({ origin: 'https://app.example.com', credentials: 'true' });
// @ts-expect-error -- origin lists hold strings and RegExps
corsSafety({ origin: ['https://app.example.com', 42] });
// @ts-expect-error -- methods are strings
corsSafety({ methods: [1, 2] });
// @ts-expect-error -- the upgrade guard needs the listener to call for allowed handshakes
server.on('upgrade', upgradeGuard(policy));
// @ts-expect-error -- LOOPBACK_ORIGINS is read-only
LOOPBACK_ORIGINS.push('http://evil.example');
// @ts-expect-error -- a verdict's reason is one of the documented codes
const wrong: OriginVerdict = { allowed: false, reason: 'nope' };
// @ts-expect-error -- the policy is read-only once compiled
policy.credentials = false;
// @ts-expect-error -- allowRequest is made from a policy or options, not a list of origins
new SocketIoServer(server, { allowRequest: createAllowRequest(['https://app.example.com']) });
// @ts-expect-error -- the error handler's log option is false or a function
corsErrorHandler(policy, { log: 'stderr' });
export { wrong };
