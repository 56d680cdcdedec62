import { HttpErrorResponse } from '@angular/common/http';

/** What went wrong with an API call, in the terms the pages need to show it. */
export type ApiErrorKind =
  | 'unreachable' // no answer, or a gateway error with no API body: retry later
  | 'throttled' // 429: wait retryAfterSeconds
  | 'validation' // 422 (and 409 email_taken): see fields
  | 'unauthorized' // 401 with a token: the session has ended
  | 'invalid_credentials' // wrong email or password
  | 'not_found'
  | 'other';

export interface ApiError {
  kind: ApiErrorKind;
  status: number;
  code: string;
  message: string;
  /** Per-field messages keyed by the request's field names. */
  fields: Record<string, string>;
  /** For `throttled`: seconds to wait, from Retry-After. */
  retryAfterSeconds?: number;
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; fields?: unknown };
}

/** Turns any HttpClient failure into an ApiError. */
export function toApiError(err: unknown): ApiError {
  if (!(err instanceof HttpErrorResponse)) {
    return { kind: 'other', status: 0, code: 'client', message: String(err), fields: {} };
  }
  const body = (typeof err.error === 'object' && err.error ? err.error : {}) as ErrorBody;
  const apiError = body.error && typeof body.error.code === 'string' ? body.error : undefined;
  const code = (apiError?.code as string | undefined) ?? '';
  const message = typeof apiError?.message === 'string' ? apiError.message : '';
  const fields = stringRecord(apiError?.fields);
  const base = { status: err.status, code, message, fields };

  if (err.status === 0 || (!apiError && [502, 503, 504].includes(err.status))) {
    return {
      ...base,
      kind: 'unreachable',
      message: 'The service cannot be reached right now.',
    };
  }
  switch (err.status) {
    case 429:
      return {
        ...base,
        kind: 'throttled',
        retryAfterSeconds: parseRetryAfter(err.headers.get('Retry-After')),
      };
    case 422:
    case 409:
      return { ...base, kind: 'validation' };
    case 401:
      return {
        ...base,
        kind: code === 'invalid_credentials' ? 'invalid_credentials' : 'unauthorized',
      };
    case 403:
      return { ...base, kind: code === 'invalid_credentials' ? 'invalid_credentials' : 'other' };
    case 404:
      return { ...base, kind: 'not_found' };
    default:
      return {
        ...base,
        kind: 'other',
        message: message || `The service answered with an unexpected error (HTTP ${err.status}).`,
      };
  }
}

/** Retry-After is seconds or an HTTP date; anything unreadable means one minute. */
export function parseRetryAfter(value: string | null, now = Date.now()): number {
  if (value) {
    const seconds = Number(value);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
    const at = Date.parse(value);
    if (!Number.isNaN(at)) return Math.max(0, Math.ceil((at - now) / 1000));
  }
  return 60;
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'string') out[k] = v;
    }
  }
  return out;
}
