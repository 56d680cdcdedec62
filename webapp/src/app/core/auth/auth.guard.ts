import { inject } from '@angular/core';
import { CanActivateFn, RedirectFunction, Router } from '@angular/router';
import { SessionStore } from './session.store';

/** Where a signed-in user starts, and where sign-in goes when no other page was asked for. */
export const HOME_URL = '/profile';

/**
 * Lets signed-in users through; sends others to sign-in, remembering where they were going.
 * A session that was there but has expired is said to have ended, not missing.
 */
export const authGuard: CanActivateFn = (_route, state) => {
  const session = inject(SessionStore);
  const hadSession = session.session() !== null;
  if (session.isSignedIn()) return true;
  return inject(Router).createUrlTree(['/sign-in'], {
    queryParams: { returnUrl: state.url, ...(hadSession ? { reason: 'expired' } : {}) },
  });
};

/** Keeps signed-in users away from the sign-in and sign-up pages. */
export const guestGuard: CanActivateFn = () => {
  if (!inject(SessionStore).isSignedIn()) return true;
  return inject(Router).createUrlTree([HOME_URL]);
};

/**
 * The site's address, "/": the profile for signed-in users, plain sign-in for everyone else
 * (no "sign in to see that page": they did not ask for one).
 */
export const homeRedirect: RedirectFunction = () =>
  inject(Router).createUrlTree([inject(SessionStore).isSignedIn() ? HOME_URL : '/sign-in']);

/** A return URL is followed only when it is a path on this site, never another origin. */
export function safeReturnUrl(url: string | null | undefined): string {
  if (url && url.startsWith('/') && !url.startsWith('//') && !url.startsWith('/\\')) return url;
  return HOME_URL;
}
