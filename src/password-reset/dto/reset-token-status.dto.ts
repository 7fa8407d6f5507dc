import { ApiProperty } from '../openapi/optional-swagger';

/** The answer of `POST …/resetPassword/check` for a usable link. */
export class ResetTokenStatusDto {
  @ApiProperty({ enum: [true] })
  usable: true;

  @ApiProperty({ description: 'When the link stops working', format: 'date-time' })
  expiresAt: string;
}
