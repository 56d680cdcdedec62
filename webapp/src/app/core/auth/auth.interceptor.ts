import { HttpErrorResponse, HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router } from '@angular/router';
import { catchError, throwError } from 'rxjs';
import { toApiError } from '../api/api-error';
import { AppConfigService } from '../config/app-config.service';
import { SessionStore } from './session.store';

/**
 * Adds the bearer token to API requests. A 401 `unauthorized` (as opposed to a sign-in's
 * `invalid_credentials`) means the session has ended (expired, revoked, or the password was
 * changed elsewhere): clear it and go to sign-in, remembering the page the user was on.
 */
export const authInterceptor: HttpInterceptorFn = (req, next) => {
  const config = inject(AppConfigService);
  if (!config.isApiUrl(req.url)) return next(req);

  const session = inject(SessionStore);
  const router = inject(Router);
  const token = session.token();
  const authed = token ? req.clone({ setHeaders: { Authorization: `Bearer ${token}` } }) : req;

  return next(authed).pipe(
    catchError((err: unknown) => {
      if (err instanceof HttpErrorResponse && toApiError(err).kind === 'unauthorized') {
        session.clear();
        const returnUrl = router.url;
        if (!returnUrl.startsWith('/sign-in')) {
          void router.navigate(['/sign-in'], {
            queryParams: { returnUrl, reason: 'expired' },
          });
        }
      }
      return throwError(() => err);
    }),
  );
};
