import { Injectable } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';

export const AUTH_CONTROLLER_PATH = 'auth';

/** The module's routes under AUTH_CONTROLLER_PATH (the pages are GET routes of the first two). */
export const PasswordResetRoutes = {
  lostPassword: 'lostPassword',
  resetPassword: 'resetPassword',
  checkResetToken: 'resetPassword/check',
} as const;

export type PasswordResetRoute = (typeof PasswordResetRoutes)[keyof typeof PasswordResetRoutes];

const ROUTE_PATHS = new Map(Object.values(PasswordResetRoutes).map((route) => [`/${AUTH_CONTROLLER_PATH}/${route}`.toLowerCase(), route]));

function pathOf(url: string): string {
  const end = url.indexOf('?');
  return end === -1 ? url : url.slice(0, end);
}

/**
 * Where the module's routes are, for the hooks that run before routing. They
 * sit under the host's global prefix (or outside it, where the host excluded
 * them), which is read at request time, as the host may set it after the
 * module was created. Paths compare as Express matches them by default:
 * regardless of case and of one trailing slash.
 */
@Injectable()
export class PasswordResetPaths {
  constructor(private readonly applicationConfig: ApplicationConfig) {}

  /** Whether this URL (a request's, or the pattern of the route it matched) is one of the module's routes. */
  isModuleRoute(url: string | undefined): boolean {
    return this.routeOf(url) !== undefined;
  }

  /** Which of the module's routes this URL is, if any. */
  routeOf(url: string | undefined): PasswordResetRoute | undefined {
    if (url === undefined) return undefined;
    const path = pathOf(url).toLowerCase().replace(/(.)\/$/, '$1');
    const prefix = `/${this.applicationConfig.getGlobalPrefix().replace(/^\/+|\/+$/g, '')}`.toLowerCase();
    const withinPrefix = prefix !== '/' && path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
    return ROUTE_PATHS.get(path) ?? ROUTE_PATHS.get(withinPrefix);
  }

  /**
   * The seed's clients post to `//auth/lostPassword`, which Express matches
   * literally: such a URL of one of the module's routes, without the extra
   * slash; undefined for any other URL.
   */
  withoutExtraLeadingSlash(url: string): string | undefined {
    return url.startsWith('//') && this.isModuleRoute(url.slice(1)) ? url.slice(1) : undefined;
  }
}
