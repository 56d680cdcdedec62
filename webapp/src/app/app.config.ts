import { provideHttpClient, withInterceptors } from '@angular/common/http';
import {
  ApplicationConfig,
  ErrorHandler,
  inject,
  provideAppInitializer,
  provideBrowserGlobalErrorListeners,
} from '@angular/core';
import {
  provideRouter,
  withComponentInputBinding,
  withNavigationErrorHandler,
} from '@angular/router';
import { routes } from './app.routes';
import { authInterceptor } from './core/auth/auth.interceptor';
import { AppConfigService } from './core/config/app-config.service';
import { AppErrorHandler, reloadOnChunkError } from './core/errors/app-errors';
import { statusInterceptor } from './core/status/status.interceptor';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    { provide: ErrorHandler, useClass: AppErrorHandler },
    provideAppInitializer(() => inject(AppConfigService).load()),
    // statusInterceptor runs closest to the network, so it sees every answer, 401s included.
    provideHttpClient(withInterceptors([authInterceptor, statusInterceptor])),
    provideRouter(
      routes,
      withComponentInputBinding(),
      withNavigationErrorHandler((e) => reloadOnChunkError(e)),
    ),
  ],
};
