// The hosts the packaging test builds from examples/host-app: what each one
// changes in the example's package.json, the files it writes (its src/main.ts
// where the example's, Express without global setup, is not the point) and the
// edits it makes to the example's own files.

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

const versionedMain = `import { VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  await app.listen(process.env.PORT ?? 3000);
}

void bootstrap();
`;

/** The key the guarded host's own routes want; the module's routes want none. */
const HOST_API_KEY = 'package-test-key';

const hostGuards = `import { CanActivate, ExecutionContext, Injectable, SetMetadata, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

export const Public = () => SetMetadata('isPublic', true);

@Injectable()
export class SessionGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>('isPublic', [context.getHandler(), context.getClass()])) return true;
    if (context.switchToHttp().getRequest().headers['x-api-key'] === '${HOST_API_KEY}') return true;
    throw new UnauthorizedException();
  }
}
`;

/** A global auth guard and a global ThrottlerGuard, and the module mounted past both with `decorators`. */
const guardedAppModule = [
  [
    "import { Module } from '@nestjs/common';",
    `import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { SkipThrottle, ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { Public, SessionGuard } from './host-guards';`,
  ],
  [
    '    PasswordResetModule.forRootAsync({',
    `    ThrottlerModule.forRoot([{ ttl: 60_000, limit: 100 }]),
    PasswordResetModule.forRootAsync({
      decorators: [Public(), SkipThrottle()],`,
  ],
  [
    '  ],\n})\nexport class AppModule {}',
    `  ],
  providers: [
    { provide: APP_GUARD, useClass: SessionGuard },
    { provide: APP_GUARD, useClass: ThrottlerGuard },
  ],
})
export class AppModule {}`,
  ],
];

/** Its only connection named `main`, the host's own repositories and the module on it. */
const namedConnectionEdits = {
  'src/app.module.ts': [
    [
      '    TypeOrmModule.forRoot({',
      "    TypeOrmModule.forRoot({\n      name: 'main',",
    ],
    [
      '    PasswordResetModule.forRootAsync({',
      "    PasswordResetModule.forRootAsync({\n      dataSource: 'main',",
    ],
  ],
  'src/users/users.module.ts': [
    [
      'TypeOrmModule.forFeature([User, Session])',
      "TypeOrmModule.forFeature([User, Session], 'main')",
    ],
  ],
  'src/users/users.service.ts': [
    ['@InjectRepository(User)', "@InjectRepository(User, 'main')"],
    ['@InjectRepository(Session)', "@InjectRepository(Session, 'main')"],
  ],
  'src/users/users-reset.store.ts': [
    ['@InjectRepository(User)', "@InjectRepository(User, 'main')"],
    ['@InjectRepository(Session)', "@InjectRepository(Session, 'main')"],
  ],
};

/**
 * Compiled to CommonJS with the declarations of every package checked (such a
 * host installs prom-client, which PasswordResetMetrics' declarations name).
 * Nest 12's packages are ES modules only: TypeScript before 5.8 lets a CommonJS
 * host import them with module commonjs (resolving by main and types), not
 * with nodenext; that is Nest's floor, not the package's.
 */
const libCheckedCommonJs = [
  [
    '"module": "nodenext"',
    '"module": "commonjs",\n    "esModuleInterop": true',
  ],
  ['"skipLibCheck": true', '"skipLibCheck": false'],
];

export const hostCombinations = [
  {
    id: 'nest11-typeorm03-express',
    name: 'Nest 11 + TypeORM 0.3 + Express',
    dependencies: nest11,
    prefix: '',
  },
  {
    id: 'nest12-typeorm1-fastify',
    name: 'Nest 12 + TypeORM 1.x + Fastify',
    dependencies: {
      '@nestjs/platform-express': null,
      '@nestjs/platform-fastify': '^12.0.0',
    },
    files: { 'src/main.ts': fastifyMain },
    prefix: '',
  },
  {
    id: 'nest12-typeorm1-express-global-setup',
    name: "Nest 12 + TypeORM 1.x + Express, global ValidationPipe and prefix 'api'",
    dependencies: {},
    files: { 'src/main.ts': globalSetupMain },
    prefix: '/api',
  },
  {
    id: 'nest11-typeorm03-express-guarded-versioned',
    name: 'Nest 11 + TypeORM 0.3 + Express, global auth guard and ThrottlerGuard, URI versioning with a default version',
    dependencies: { ...nest11, '@nestjs/throttler': '^6.4.0' },
    files: { 'src/main.ts': versionedMain, 'src/host-guards.ts': hostGuards },
    edits: { 'src/app.module.ts': guardedAppModule },
    prefix: '',
    hostPrefix: '/v1',
    hostHeaders: { 'x-api-key': HOST_API_KEY },
  },
  {
    id: 'nest12-typeorm100-named-connection-lib-check',
    name: "Nest 12 + TypeORM 1.0.0 + Express, its only connection named 'main', compiled by TypeScript 5.0 to CommonJS with skipLibCheck: false",
    // The lowest bounds on Nest 12: TypeORM's first 1.x, TypeScript 5.0.
    dependencies: { typeorm: '1.0.0', 'prom-client': '^15.0.0' },
    devDependencies: { typescript: '~5.0.4' },
    edits: { ...namedConnectionEdits, 'tsconfig.json': libCheckedCommonJs },
    prefix: '',
  },
  {
    id: 'nest11-typeorm0320-typescript50-lib-check',
    name: 'Nest 11 + TypeORM 0.3.20 + Express, compiled by TypeScript 5.0 to CommonJS with skipLibCheck: false',
    // The lowest declared bounds; better-sqlite3 9 is the newest TypeORM 0.3.20 accepts.
    dependencies: {
      ...nest11,
      typeorm: '0.3.20',
      'better-sqlite3': '^9.0.0',
      'prom-client': '^15.0.0',
    },
    devDependencies: { typescript: '~5.0.4' },
    edits: { 'tsconfig.json': libCheckedCommonJs },
    prefix: '',
  },
];
