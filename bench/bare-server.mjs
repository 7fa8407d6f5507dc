// The baseline for bench/throughput.mjs: the least a Nest application does for
// a validated JSON POST. One route, `POST /bare`, that parses the JSON body
// (the platform's default parser), validates it with a ValidationPipe against
// the module's own LostPasswordDto with the options the module validates with,
// and answers `200 {}`. HTTP_ADAPTER=express (default) or fastify.
//
// There is no transpiler for .mjs, so the decorators are applied as plain calls;
// this is what TypeScript emits for:
//
//   @Controller()
//   class BareController {
//     @Post('bare') @HttpCode(200)
//     handle(@Body() body: LostPasswordDto) { return {}; }
//   }
//   @Module({ controllers: [BareController] })
//   class BareModule {}
//
// Started by bench/support.mjs with PORT set; listens on 127.0.0.1 only.
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  Body,
  Controller,
  HttpCode,
  Module,
  Post,
  ValidationPipe,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ROOT } from './support.mjs';

const { LostPasswordDto } = createRequire(import.meta.url)(
  join(ROOT, 'dist/src/password-reset/web/dto/lost-password.dto.js'),
);

class BareController {
  handle(_body) {
    return {};
  }
}

const handle = Object.getOwnPropertyDescriptor(
  BareController.prototype,
  'handle',
);
const bodyParameter = (target, key) => Body()(target, key, 0);
Object.defineProperty(
  BareController.prototype,
  'handle',
  Reflect.decorate(
    [
      Post('bare'),
      HttpCode(200),
      bodyParameter,
      Reflect.metadata('design:paramtypes', [LostPasswordDto]),
    ],
    BareController.prototype,
    'handle',
    handle,
  ),
);
Reflect.decorate([Controller()], BareController);

class BareModule {}
Reflect.decorate([Module({ controllers: [BareController] })], BareModule);

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0)
  throw new Error('PORT must be set to a port number');
const adapter = process.env.HTTP_ADAPTER ?? 'express';
if (adapter !== 'express' && adapter !== 'fastify')
  throw new Error('HTTP_ADAPTER must be express or fastify');

const app = await NestFactory.create(
  BareModule,
  adapter === 'fastify' ? new FastifyAdapter() : undefined,
  { logger: ['error', 'warn'] },
);
// The options of the module's own validation (src/password-reset/web/http/validate-body.ts).
app.useGlobalPipes(
  new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
  }),
);
app.enableShutdownHooks();
await app.listen(port, '127.0.0.1');
