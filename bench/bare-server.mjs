// The baseline for bench/throughput.mjs: the least a Nest application can do
// for a JSON POST. One route, `POST /bare`, that parses the JSON body (Nest's
// default body parser) and answers `200 {}`, on Express like the module.
//
// There is no transpiler for .mjs, so the decorators are applied as plain calls;
// this is what TypeScript emits for:
//
//   @Controller()
//   class BareController {
//     @Post('bare') @HttpCode(200)
//     handle(@Body() body) { return {}; }
//   }
//   @Module({ controllers: [BareController] })
//   class BareModule {}
//
// Started by bench/support.mjs with PORT set; listens on 127.0.0.1 only.
import 'reflect-metadata';
import { Body, Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

class BareController {
  handle(_body) {
    return {};
  }
}

const handle = Object.getOwnPropertyDescriptor(BareController.prototype, 'handle');
const bodyParameter = (target, key) => Body()(target, key, 0);
Object.defineProperty(
  BareController.prototype,
  'handle',
  Reflect.decorate([Post('bare'), HttpCode(200), bodyParameter], BareController.prototype, 'handle', handle),
);
Reflect.decorate([Controller()], BareController);

class BareModule {}
Reflect.decorate([Module({ controllers: [BareController] })], BareModule);

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('PORT must be set to a port number');

const app = await NestFactory.create(BareModule, { logger: ['error', 'warn'] });
app.enableShutdownHooks();
await app.listen(port, '127.0.0.1');
