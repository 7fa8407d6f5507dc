import { applyDecorators, HttpStatus } from '@nestjs/common';
import type { PasswordResetErrorCode } from '../../password-reset.error';
import { PasswordResetErrorResponse } from '../dto/error-response.dto';
import type { Type } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiResponse,
  getSchemaPath,
} from './optional-swagger';

const EMPTY_OBJECT = {
  type: 'object',
  properties: {},
  description: 'Empty response body',
} as const;

/** `200 {}`: the answer of both POST routes that change something. */
export function ApiEmptyOkResponse(): MethodDecorator {
  return ApiResponse({
    status: HttpStatus.OK,
    description: 'Successful response',
    schema: EMPTY_OBJECT,
  });
}

/** The two body types every POST route reads. */
export function ApiFormOrJsonBody(): MethodDecorator {
  return ApiConsumes('application/x-www-form-urlencoded', 'application/json');
}

/** A body that names the reset by the link's token, or by the username and the code from the mail: both shapes. */
export function ApiTokenOrCodeBody(type: Type<unknown>): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(type),
    ApiBody({
      schema: {
        allOf: [{ $ref: getSchemaPath(type) }],
        oneOf: [
          { title: "With the link's token", required: ['token'] },
          {
            title: 'With the username and the code from the mail',
            required: ['username', 'code'],
          },
        ],
      },
    }),
  );
}

function errorResponse(
  status: HttpStatus,
  description: string,
  headers?: Record<
    string,
    { description: string; schema: { type: 'integer' } }
  >,
): MethodDecorator {
  return ApiResponse({
    status,
    description,
    type: PasswordResetErrorResponse,
    headers,
  });
}

/**
 * The errors a route of the module can answer with, each with the error
 * schema: 400 with the codes this route uses, and those every route shares.
 */
export function ApiErrorResponses(
  badRequestCodes: PasswordResetErrorCode[],
  moreErrors: MethodDecorator[] = [],
): MethodDecorator {
  return applyDecorators(
    errorResponse(
      HttpStatus.BAD_REQUEST,
      `Bad input; \`code\` is one of ${badRequestCodes.map((code) => `\`${code}\``).join(', ')}`,
    ),
    errorResponse(
      HttpStatus.PAYLOAD_TOO_LARGE,
      'The body is larger than 8 kB, or has too many fields (`payload_too_large`)',
    ),
    errorResponse(
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      'A body encoding or charset the module does not read (`unsupported_media_type`)',
    ),
    errorResponse(
      HttpStatus.TOO_MANY_REQUESTS,
      'Past the per-IP limit (`too_many_requests`)',
      {
        'Retry-After': {
          description: 'Seconds until this address may ask again',
          schema: { type: 'integer' },
        },
      },
    ),
    errorResponse(
      HttpStatus.SERVICE_UNAVAILABLE,
      'The database failed or did not answer in time; nothing was changed, try again (`unavailable`)',
    ),
    ...moreErrors,
  );
}

/** An error status that only some routes answer with. */
export function ApiErrorResponse(
  status: HttpStatus,
  description: string,
): MethodDecorator {
  return errorResponse(status, description);
}
