// The hosts the packaging test builds from examples/host-app: what each one
// changes in the example's package.json, and its src/main.ts where the example's
// (Express, no global setup) is not the point.

const nest11 = {
  '@nestjs/common': '^11.0.0',
  '@nestjs/core': '^11.0.0',
  '@nestjs/platform-express': '^11.0.0',
  '@nestjs/typeorm': '^11.0.0',
  typeorm: '^0.3.20',
  'class-validator': '^0.14.0',
};

const fastifyMain = `import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter({ routerOptions: { ignoreDuplicateSlashes: true } }));
  await app.listen(process.env.PORT ?? 3000);
}

void bootstrap();
`;

const globalSetupMain = `import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.setGlobalPrefix('api');
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  await app.listen(process.env.PORT ?? 3000);
}

void bootstrap();
`;

export const hostCombinations = [
  { id: 'nest11-typeorm03-express', name: 'Nest 11 + TypeORM 0.3 + Express', dependencies: nest11, prefix: '' },
  {
    id: 'nest12-typeorm1-fastify',
    name: 'Nest 12 + TypeORM 1.x + Fastify',
    dependencies: { '@nestjs/platform-express': null, '@nestjs/platform-fastify': '^12.0.0' },
    main: fastifyMain,
    prefix: '',
  },
  {
    id: 'nest12-typeorm1-express-global-setup',
    name: "Nest 12 + TypeORM 1.x + Express, global ValidationPipe and prefix 'api'",
    dependencies: {},
    main: globalSetupMain,
    prefix: '/api',
  },
];
