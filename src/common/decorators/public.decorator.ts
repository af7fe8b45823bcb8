import { applyDecorators, SetMetadata } from '@nestjs/common';
import { DECORATORS } from '@nestjs/swagger';

export const IS_PUBLIC_KEY = 'isPublic';

/**
 * Documents the route as open (`security: []`), so that the OpenAPI document does not leave clients to guess.
 * Merged into the operation's metadata rather than set through `@ApiOperation`, which would overwrite (or be
 * overwritten by) the route's own summary depending on the order of the decorators.
 */
const ApiNoSecurity = (): MethodDecorator => (_target, _key, descriptor) => {
  const operation = (Reflect.getMetadata(DECORATORS.API_OPERATION, descriptor.value as object) ?? {}) as object;
  Reflect.defineMetadata(DECORATORS.API_OPERATION, { ...operation, security: [] }, descriptor.value as object);
  return descriptor;
};

/** Opts a route out of the global JWT guard. Everything else needs a valid access token. */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC_KEY, true), ApiNoSecurity());
