import { ExecutionContext, ForbiddenException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthUser } from '../../common/auth-user';
import { Roles } from '../../common/decorators/roles.decorator';
import { RolesGuard } from './roles.guard';

class OpenController {
  anyone() {}
  @Roles('admin')
  adminsOnly() {}
}

@Roles('admin')
class AdminController {
  inherited() {}
  @Roles('user', 'admin')
  widened() {}
}

function contextFor(controller: new () => object, handler: string, user?: AuthUser): ExecutionContext {
  const prototype = controller.prototype as Record<string, () => void>;
  return {
    getClass: () => controller,
    getHandler: () => prototype[handler],
    switchToHttp: () => ({ getRequest: () => ({ user }) }),
  } as unknown as ExecutionContext;
}

const admin: AuthUser = { id: 'a', email: 'admin@example.com', role: 'admin' };
const user: AuthUser = { id: 'u', email: 'user@example.com', role: 'user' };

describe('RolesGuard', () => {
  const guard = new RolesGuard(new Reflector());

  it('lets anyone through a route without @Roles, signed in or not', () => {
    expect(guard.canActivate(contextFor(OpenController, 'anyone', user))).toBe(true);
    expect(guard.canActivate(contextFor(OpenController, 'anyone'))).toBe(true);
  });

  it('lets an admin through an admin route', () => {
    expect(guard.canActivate(contextFor(OpenController, 'adminsOnly', admin))).toBe(true);
  });

  it('answers 403 FORBIDDEN to a non-admin on an admin route', () => {
    const attempt = () => guard.canActivate(contextFor(OpenController, 'adminsOnly', user));
    expect(attempt).toThrow(ForbiddenException);
    try {
      attempt();
    } catch (error) {
      expect((error as ForbiddenException).getStatus()).toBe(403);
      expect((error as ForbiddenException).getResponse()).toEqual(expect.objectContaining({ code: 'FORBIDDEN' }));
    }
  });

  it('refuses an admin route when there is no caller at all', () => {
    expect(() => guard.canActivate(contextFor(OpenController, 'adminsOnly'))).toThrow(ForbiddenException);
  });

  it('applies @Roles on the controller to its routes', () => {
    expect(guard.canActivate(contextFor(AdminController, 'inherited', admin))).toBe(true);
    expect(() => guard.canActivate(contextFor(AdminController, 'inherited', user))).toThrow(ForbiddenException);
  });

  it('lets @Roles on a route override the controller', () => {
    expect(guard.canActivate(contextFor(AdminController, 'widened', user))).toBe(true);
  });
});
