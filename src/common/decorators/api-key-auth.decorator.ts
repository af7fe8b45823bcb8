import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';

export const API_KEY_AUTH_KEY = 'apiKeyAuth';
/** The name of the API-key security scheme in the OpenAPI document. */
export const API_KEY_SCHEME = 'api-key';

/**
 * The route takes a personal API key (`Authorization: Bearer ck_...`) instead of an access token: the global
 * JWT guard lets it through and the API-key guard identifies the caller.
 */
export const ApiKeyAuth = () => applyDecorators(SetMetadata(API_KEY_AUTH_KEY, true), ApiBearerAuth(API_KEY_SCHEME));
