import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { EnvironmentProviders, Provider } from '@angular/core';
import { provideRouter } from '@angular/router';
import { routes } from '../app.routes';
import { authInterceptor } from '../core/auth/auth.interceptor';
import { statusInterceptor } from '../core/status/status.interceptor';

/** The app's HTTP stack (with its interceptors) over Angular's testing backend, plus routes. */
export function provideTestHttp(): (Provider | EnvironmentProviders)[] {
  return [
    provideHttpClient(withInterceptors([authInterceptor, statusInterceptor])),
    provideHttpClientTesting(),
    provideRouter(routes),
  ];
}

export const BACKEND_HEADERS = { 'X-App-Version': 'v1.0.0', 'X-App-Instance': 'instance-a' };

export function apiError(code: string, message: string, fields?: Record<string, string>) {
  return { error: { code, message, ...(fields ? { fields } : {}) } };
}

export const USER = {
  id: 7,
  email: 'ada@example.com',
  firstName: 'Ada',
  lastName: 'Lovelace',
  birthDate: '1990-12-10',
  age: 35,
  createdAt: '2026-01-01T00:00:00Z',
};

/** A session that expires in an hour. */
export function liveSession(token = 'tok-123') {
  return { token, expiresAt: new Date(Date.now() + 3600_000).toISOString(), user: USER };
}
