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

const databaseConnection = `/** The connection DATABASE_TYPE and DATABASE_URL name: postgres, or MariaDB by either of TypeORM's driver types for it, mariadb and mysql. */
export function databaseConnection() {
  const url = process.env.DATABASE_URL;
  switch (process.env.DATABASE_TYPE) {
    case 'postgres':
      return { type: 'postgres' as const, url };
    case 'mariadb':
      return { type: 'mariadb' as const, url };
    case 'mysql':
      return { type: 'mysql' as const, url };
  }
  throw new Error(\`DATABASE_TYPE is \${process.env.DATABASE_TYPE}\`);
}
`;

const autoLoadedAppModule = `import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  PASSWORD_RESET_MIGRATIONS,
  PasswordResetModule,
} from 'nestjs-password-reset';
import { databaseConnection } from './database-connection';
import { UsersModule } from './users/users.module';
import { UsersResetStore } from './users/users-reset.store';

/**
 * How the tables come to be, by HOST_SCHEMA: made by synchronize (development);
 * by the module's migrations once synchronize is off, the host's own tables kept
 * as synchronize made them; or by nothing, the migrations forgotten.
 */
function schema() {
  switch (process.env.HOST_SCHEMA) {
    case 'synchronize':
      return { synchronize: true };
    case 'migrations':
      return { migrations: PASSWORD_RESET_MIGRATIONS, migrationsRun: true };
    case 'forgotten':
      return {};
  }
  throw new Error(\`HOST_SCHEMA is \${process.env.HOST_SCHEMA}\`);
}

@Module({
  imports: [
    TypeOrmModule.forRoot({
      ...databaseConnection(),
      autoLoadEntities: true,
      ...schema(),
    }),
    UsersModule,
    PasswordResetModule.forRootAsync({
      imports: [UsersModule],
      inject: [UsersResetStore],
      useFactory: (users: UsersResetStore) => ({
        userStore: users,
        jwtSecret: process.env.RESET_JWT_SECRET!,
        resetUrl: process.env.RESET_URL!,
        mail: {
          transport: process.env.SMTP_URL,
          from: 'no-reply@example.com',
          productName: 'Host App',
        },
      }),
    }),
  ],
})
export class AppModule {}
`;

const pendingSchemaChanges = `import { PASSWORD_RESET_ENTITIES } from 'nestjs-password-reset';
import { DataSource } from 'typeorm';
import { databaseConnection } from './database-connection';

/** Prints, as JSON, the queries TypeORM's schema builder would run for the module's entities: what \`typeorm migration:generate\` would write. */
async function main(): Promise<void> {
  const dataSource = await new DataSource({
    ...databaseConnection(),
    entities: PASSWORD_RESET_ENTITIES,
  }).initialize();
  try {
    const { upQueries } = await dataSource.driver.createSchemaBuilder().log();
    console.log(JSON.stringify(upQueries.map(({ query }) => query)));
  } finally {
    await dataSource.destroy();
  }
}

void main();
`;

/**
 * The module's tables left to TypeORM (autoLoadEntities) on PostgreSQL and
 * MariaDB: made by synchronize, then by the migrations, or forgotten
 * (HOST_SCHEMA); dist/pending-schema-changes.js prints what TypeORM would
 * still change of them.
 */
export const autoLoadedHost = {
  id: 'nest11-typeorm03-express-auto-loaded',
  name: 'Nest 11 + TypeORM 0.3 + Express with autoLoadEntities, on PostgreSQL and MariaDB: synchronize, then the migrations',
  dependencies: {
    ...nest11,
    'better-sqlite3': null,
    pg: '^8.0.0',
    mysql2: '^3.0.0',
  },
  files: {
    'src/app.module.ts': autoLoadedAppModule,
    'src/database-connection.ts': databaseConnection,
    'src/pending-schema-changes.ts': pendingSchemaChanges,
  },
};
