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

  @ApiProperty({
    enum: ['reset', 'invite'],
    description:
      'What the link is for: `reset`, or `invite`, an invitation to set a first password',
  })
  purpose: 'reset' | 'invite';

  @ApiPropertyOptional({
    enum: [true],
    description:
      'The user has a second factor: the reset needs `secondFactorCode`',
  })
  secondFactorRequired?: true;
}
