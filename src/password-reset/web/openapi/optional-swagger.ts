import type * as Swagger from '@nestjs/swagger';

/** Whether a failed `require` failed because the package is not installed, rather than broken. */
function isMissing(error: unknown, name: string): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return (
    code === 'MODULE_NOT_FOUND' &&
    typeof message === 'string' &&
    message.includes(name)
  );
}

/**
 * `@nestjs/swagger` is an optional peer: with it the module's routes carry
 * their OpenAPI description into the host's document; without it the same
 * decorators do nothing and the module boots all the same.
 */
function installedSwagger(): typeof Swagger | undefined {
  try {
    return require('@nestjs/swagger');
  } catch (error) {
    if (isMissing(error, '@nestjs/swagger')) return undefined;
    throw error;
  }
}

const swagger = installedSwagger();
const nothing = () => () => undefined;

export const ApiProperty: typeof Swagger.ApiProperty =
  swagger?.ApiProperty ?? nothing;
export const ApiPropertyOptional: typeof Swagger.ApiPropertyOptional =
  swagger?.ApiPropertyOptional ?? nothing;
export const ApiOperation: typeof Swagger.ApiOperation =
  swagger?.ApiOperation ?? nothing;
export const ApiBody: typeof Swagger.ApiBody = swagger?.ApiBody ?? nothing;
export const ApiConsumes: typeof Swagger.ApiConsumes =
  swagger?.ApiConsumes ?? nothing;
export const ApiProduces: typeof Swagger.ApiProduces =
  swagger?.ApiProduces ?? nothing;
export const ApiQuery: typeof Swagger.ApiQuery = swagger?.ApiQuery ?? nothing;
export const ApiResponse: typeof Swagger.ApiResponse =
  swagger?.ApiResponse ?? nothing;
export const ApiTags: typeof Swagger.ApiTags = swagger?.ApiTags ?? nothing;
export const ApiExtraModels: typeof Swagger.ApiExtraModels =
  swagger?.ApiExtraModels ?? nothing;
export const getSchemaPath: typeof Swagger.getSchemaPath =
  swagger?.getSchemaPath ??
  ((model) =>
    `#/components/schemas/${typeof model === 'string' ? model : model.name}`);
