import { HttpErrorResponse, HttpHeaders } from '@angular/common/http';
import { parseRetryAfter, toApiError } from './api-error';

function httpError(status: number, error: unknown = null, headers?: Record<string, string>) {
  return new HttpErrorResponse({ status, error, headers: new HttpHeaders(headers) });
}

describe('toApiError', () => {
  it('calls a request with no answer unreachable', () => {
    expect(toApiError(httpError(0)).kind).toBe('unreachable');
  });

  it('calls a gateway error without an API body unreachable', () => {
    expect(toApiError(httpError(502, '<html>Bad Gateway</html>')).kind).toBe('unreachable');
    expect(toApiError(httpError(503)).kind).toBe('unreachable');
  });

  it('keeps an API error with status 503 as the API said it', () => {
    const e = toApiError(
      httpError(503, { error: { code: 'not_ready', message: 'shutting down' } }),
    );
    expect(e.kind).toBe('other');
    expect(e.code).toBe('not_ready');
  });

  it('reads Retry-After on 429', () => {
    const e = toApiError(
      httpError(
        429,
        { error: { code: 'too_many_attempts', message: 'slow down' } },
        { 'Retry-After': '90' },
      ),
    );
    expect(e.kind).toBe('throttled');
    expect(e.retryAfterSeconds).toBe(90);
  });

  it('keeps field messages for validation errors and duplicate emails', () => {
    const body = {
      error: { code: 'email_taken', message: 'taken', fields: { email: 'already used', n: 1 } },
    };
    const e = toApiError(httpError(409, body));
    expect(e.kind).toBe('validation');
    expect(e.fields).toEqual({ email: 'already used' });
  });

  it('separates wrong credentials from an ended session', () => {
    expect(
      toApiError(httpError(401, { error: { code: 'invalid_credentials', message: '' } })).kind,
    ).toBe('invalid_credentials');
    expect(toApiError(httpError(401, { error: { code: 'unauthorized', message: '' } })).kind).toBe(
      'unauthorized',
    );
    expect(
      toApiError(httpError(403, { error: { code: 'invalid_credentials', message: '' } })).kind,
    ).toBe('invalid_credentials');
  });

  it('describes unexpected errors', () => {
    const e = toApiError(httpError(500, { error: { code: 'internal', message: '' } }));
    expect(e.kind).toBe('other');
    expect(e.message).toContain('500');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, defaulting to a minute', () => {
    expect(parseRetryAfter('5')).toBe(5);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:02:00 GMT', now)).toBe(120);
    expect(parseRetryAfter(null)).toBe(60);
    expect(parseRetryAfter('soon')).toBe(60);
  });
});
