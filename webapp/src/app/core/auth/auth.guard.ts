import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';
import { SessionStore } from './session.store';

/** Lets signed-in users through; sends others to sign-in, remembering where they were going. */
export const authGuard: CanActivateFn = (_route, state) => {
  if (inject(SessionStore).isSignedIn()) return true;
  return inject(Router).createUrlTree(['/sign-in'], { queryParams: { returnUrl: state.url } });
};

/** Keeps signed-in users away from the sign-in and sign-up pages. */
export const guestGuard: CanActivateFn = () => {
  if (!inject(SessionStore).isSignedIn()) return true;
  return inject(Router).createUrlTree(['/profile']);
};

/** A return URL is followed only when it is a path on this site, never another origin. */
export function safeReturnUrl(url: string | null | undefined): string {
  if (url && url.startsWith('/') && !url.startsWith('//') && !url.startsWith('/\\')) return url;
  return '/profile';
}
