import { posix } from 'node:path';
import { Inject, Injectable, RequestMethod } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';

/** Where the module's routes are (`forRoot({ routes })`); the pages are GET routes of the first two. */
export interface PasswordResetRoutesOptions {
  /** Path every route sits under; default `auth`. */
  prefix?: string;
  /** `POST` (and the page's `GET`) that asks for a link; default `lostPassword`. */
  lostPassword?: string;
  /** `POST` (and the page's `GET`) that sets the new password; default `resetPassword`. `<resetPassword>/check` checks a link. */
  resetPassword?: string;
}

/** The routes' paths, each relative to the host's global prefix, without slashes at either end. */
export interface PasswordResetRoutes {
  prefix: string;
  lostPassword: string;
  resetPassword: string;
  checkResetToken: string;
}

export type PasswordResetRoute = Exclude<keyof PasswordResetRoutes, 'prefix'>;

const ROUTE_NAMES: readonly PasswordResetRoute[] = [
  'lostPassword',
  'resetPassword',
  'checkResetToken',
];

/** Injection token of the resolved routes. */
export const PASSWORD_RESET_ROUTES = Symbol('PASSWORD_RESET_ROUTES');

const trimmed = (path: string) => path.replace(/^\/+|\/+$/g, '');

/** The Tangerine365 API's paths unless the host chose others. */
export function resolveRoutes(
  options: PasswordResetRoutesOptions = {},
): PasswordResetRoutes {
  const resetPassword = trimmed(options.resetPassword ?? 'resetPassword');
  const routes = {
    prefix: trimmed(options.prefix ?? 'auth'),
    lostPassword: trimmed(options.lostPassword ?? 'lostPassword'),
    resetPassword,
  };
  if (
    !routes.lostPassword ||
    !routes.resetPassword ||
    routes.lostPassword.toLowerCase() === routes.resetPassword.toLowerCase()
  ) {
    throw new Error(
      'PasswordResetModule: routes.lostPassword and routes.resetPassword must be two different, non-empty paths',
    );
  }
  return { ...routes, checkResetToken: `${resetPassword}/check` };
}

/** A route's path relative to the global prefix, with a leading slash. */
function routePath(
  routes: PasswordResetRoutes,
  route: PasswordResetRoute,
): string {
  return `/${[routes.prefix, routes[route]].filter(Boolean).join('/')}`;
}

/**
 * The module's routes, each for every method (a page's GET too), for a host's
 * `setGlobalPrefix(prefix, { exclude: passwordResetRoutes() })`: outside the
 * prefix they are where Tangerine365's API has them, `//auth/lostPassword` too.
 * Give it the `routes` option the module was given.
 */
export function passwordResetRoutes(
  options?: PasswordResetRoutesOptions,
): { path: string; method: RequestMethod }[] {
  const routes = resolveRoutes(options);
  return ROUTE_NAMES.map((route) => ({
    path: routePath(routes, route),
    method: RequestMethod.ALL,
  }));
}

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
  private readonly routeByPath: Map<string, PasswordResetRoute>;

  constructor(
    private readonly applicationConfig: ApplicationConfig,
    @Inject(PASSWORD_RESET_ROUTES) private readonly routes: PasswordResetRoutes,
  ) {
    this.routeByPath = new Map(
      ROUTE_NAMES.map((route) => [
        routePath(routes, route).toLowerCase(),
        route,
      ]),
    );
  }

  /** Whether this URL is one of the module's routes. */
  isModuleRoute(url: string | undefined): boolean {
    return this.routeOf(url) !== undefined;
  }

  /** Which of the module's routes this URL (a request's, the Tangerine365 API's `//auth/…` too, or the pattern of the route it matched) is, if any. */
  routeOf(url: string | undefined): PasswordResetRoute | undefined {
    if (url === undefined) return undefined;
    const path = pathOf(url)
      .replace(/^\/\//, '/')
      .toLowerCase()
      .replace(/(.)\/$/, '$1');
    const prefix =
      `/${trimmed(this.applicationConfig.getGlobalPrefix())}`.toLowerCase();
    const withinPrefix =
      prefix !== '/' && path.startsWith(`${prefix}/`)
        ? path.slice(prefix.length)
        : path;
    return this.routeByPath.get(path) ?? this.routeByPath.get(withinPrefix);
  }

  /**
   * The Tangerine365 API document's clients post to `//auth/lostPassword`, which Express matches
   * literally: such a URL of one of the module's routes, without the extra
   * slash; undefined for any other URL.
   */
  withoutExtraLeadingSlash(url: string): string | undefined {
    return url.startsWith('//') && this.isModuleRoute(url.slice(1))
      ? url.slice(1)
      : undefined;
  }

  /**
   * A link from the page served at one route to another, relative, so that it
   * holds under whatever global prefix the host has.
   */
  relativeLink(from: PasswordResetRoute, to: PasswordResetRoute): string {
    return posix.relative(
      posix.dirname(routePath(this.routes, from)),
      routePath(this.routes, to),
    );
  }
}
