import { ApiPropertyOptional } from '../openapi/optional-swagger';

/** The answer of `POST …/resetPassword`: `{}`, or the link's return address. */
export class ResetDoneDto {
  @ApiPropertyOptional({
    description:
      'The return address the reset was asked for with (`returnTo` of lostPassword), as the link carries it signed, if `returnUrls` still allows it',
    format: 'uri',
  })
  returnTo?: string;
}
