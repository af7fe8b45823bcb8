import { IsIn, IsOptional } from 'class-validator';

export class StartSignInQueryDto {
  /**
   * `1`: link the provider to the signed-in account instead of signing in. The caller is identified by a Bearer
   * access token or, for a page navigating here, by its refresh cookie (`colloquy_refresh`), which is not used up.
   */
  @IsOptional()
  @IsIn(['1'])
  link?: '1';
}
