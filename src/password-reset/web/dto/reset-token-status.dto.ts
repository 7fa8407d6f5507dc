import { ApiProperty, ApiPropertyOptional } from '../openapi/optional-swagger';

/** The answer of `POST …/resetPassword/check` for a usable link. */
export class ResetTokenStatusDto {
  @ApiProperty({ enum: [true] })
  usable: true;

  @ApiProperty({
    description: 'When the link stops working',
    format: 'date-time',
  })
  expiresAt: string;

  @ApiPropertyOptional({
    enum: [true],
    description:
      'The user has a second factor: the reset needs `secondFactorCode`',
  })
  secondFactorRequired?: true;
}
