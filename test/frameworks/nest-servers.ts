/**
 * The same app as test/frameworks/servers.ts on NestJS 11, on both platforms, written without
 * decorator syntax (the decorators are called as functions, which is what the syntax compiles to):
 * - Express: `app.use(corsSafety(policy))` before `app.init()`, so it runs before Nest's body
 *   parser, routes, pipes, exception filters and 404;
 * - Fastify: `new FastifyAdapter({ serverFactory })` wrapping Fastify's handler, as for Fastify.
 * Both serve a gateway (@nestjs/websockets with @nestjs/platform-ws) at /ws whose handshakes are
 * checked by `createVerifyClient(policy)`.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import {
  Controller,
  Get,
  Header,
  Module,
  Body,
  ParseIntPipe,
  Post,
  UnauthorizedException,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import { WebSocketGateway } from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { corsSafety, createVerifyClient, type CorsPolicy } from '../../src/index.js';
import type { Running } from '../helpers/listen.js';
import { BODY_LIMIT, guarded, type FrameworkApp, type Listener } from './servers.js';

class ItemsController {
  ok(): object {
    return { ok: true };
  }
  unauthorized(): never {
    throw new UnauthorizedException();
  }
  create(count: number): object {
    return { count };
  }
  upload(): object {
    return { stored: true };
  }
  fail(): never {
    throw new Error('database password is hunter2');
  }
  grantsAll(): object {
    return { ok: true };
  }
}

/** Applies method decorators the way TypeScript's decorator syntax does. */
function decorate(target: object, name: string, decorators: MethodDecorator[]): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, name) as PropertyDescriptor;
  for (const decorator of decorators) decorator(target, name, descriptor);
}
const proto = ItemsController.prototype;
decorate(proto, 'ok', [Get('ok')]);
decorate(proto, 'unauthorized', [Get('unauthorized')]);
// POST /items without a numeric `count`: ParseIntPipe's own 400 ("Validation failed (numeric string is expected)").
decorate(proto, 'create', [Post('items')]);
Body('count', ParseIntPipe)(proto, 'create', 0);
decorate(proto, 'upload', [Post('upload')]);
decorate(proto, 'fail', [Get('fail')]);
decorate(proto, 'grantsAll', [Get('grants-all'), Header('Access-Control-Allow-Origin', '*')]);
Controller()(ItemsController);

/** A gateway that greets every client; the handshake was checked before it runs. */
function gatewayFor(policy: CorsPolicy): new () => object {
  class EventsGateway {
    handleConnection(client: WebSocket): void {
      client.send('hello');
    }
  }
  WebSocketGateway({ path: '/ws', verifyClient: createVerifyClient(policy) })(EventsGateway);
  return EventsGateway;
}

function moduleFor(policy: CorsPolicy): new () => object {
  // eslint-disable-next-line @typescript-eslint/no-extraneous-class -- a Nest module is a class carrying metadata
  class AppModule {}
  Module({ controllers: [ItemsController], providers: [gatewayFor(policy)] })(AppModule);
  return AppModule;
}

async function listening(app: INestApplication): Promise<Running> {
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
  return { url: `http://127.0.0.1:${port}`, port, close: () => app.close() };
}

export const nestExpressApp: FrameworkApp = {
  name: 'NestJS 11 (Express platform)',
  websocket: true,
  async start(policy) {
    const app = await NestFactory.create<NestExpressApplication>(moduleFor(policy), {
      logger: false,
      bodyParser: false,
    });
    app.use(corsSafety(policy));
    app.useBodyParser('json', { limit: BODY_LIMIT });
    app.useWebSocketAdapter(new WsAdapter(app));
    return listening(app);
  },
};

export const nestFastifyApp: FrameworkApp = {
  name: 'NestJS 11 (Fastify platform)',
  websocket: true,
  async start(policy) {
    const adapter = new FastifyAdapter({
      bodyLimit: BODY_LIMIT,
      serverFactory: (handler: Listener) => guarded(policy, handler),
    });
    const app = await NestFactory.create(moduleFor(policy), adapter, { logger: false });
    app.useWebSocketAdapter(new WsAdapter(app));
    return listening(app);
  },
};
