import { HttpErrorResponse, HttpInterceptorFn, HttpResponse } from '@angular/common/http';
import { inject } from '@angular/core';
import { catchError, tap, throwError } from 'rxjs';
import { AppConfigService } from '../config/app-config.service';
import { toApiError } from '../api/api-error';
import { BackendStatusService } from './backend-status.service';

/** Tells BackendStatusService which backend answered each API request, or that none did. */
export const statusInterceptor: HttpInterceptorFn = (req, next) => {
  if (!inject(AppConfigService).isApiUrl(req.url)) return next(req);
  const status = inject(BackendStatusService);
  return next(req).pipe(
    tap((event) => {
      if (event instanceof HttpResponse) status.observeHeaders(event.headers);
    }),
    catchError((err: unknown) => {
      if (err instanceof HttpErrorResponse) {
        if (toApiError(err).kind === 'unreachable') status.reportUnreachable();
        else status.observeHeaders(err.headers);
      }
      return throwError(() => err);
    }),
  );
};
