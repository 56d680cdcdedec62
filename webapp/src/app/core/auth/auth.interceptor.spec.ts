import { HttpClient } from '@angular/common/http';
import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { apiError, liveSession, provideTestHttp } from '../../testing/http';
import { SessionStore } from './session.store';

describe('authInterceptor', () => {
  let http: HttpClient;
  let backend: HttpTestingController;
  let session: SessionStore;

  beforeEach(() => {
    localStorage.clear();
    TestBed.configureTestingModule({ providers: provideTestHttp() });
    http = TestBed.inject(HttpClient);
    backend = TestBed.inject(HttpTestingController);
    session = TestBed.inject(SessionStore);
  });

  afterEach(() => backend.verify());

  it('adds the bearer token to API requests', () => {
    session.start(liveSession('secret-token'));
    http.get('/api/me').subscribe();
    const req = backend.expectOne('/api/me');
    expect(req.request.headers.get('Authorization')).toBe('Bearer secret-token');
    req.flush({});
  });

  it('never sends the token elsewhere', () => {
    session.start(liveSession('secret-token'));
    http.get('https://other.example.test/api/me').subscribe();
    http.get('/assets/x.json').subscribe();
    for (const url of ['https://other.example.test/api/me', '/assets/x.json']) {
      const req = backend.expectOne(url);
      expect(req.request.headers.has('Authorization')).toBe(false);
      req.flush({});
    }
  });

  it('sends no header when signed out', () => {
    http.get('/api/version').subscribe();
    const req = backend.expectOne('/api/version');
    expect(req.request.headers.has('Authorization')).toBe(false);
    req.flush({});
  });

  it('on a 401 ends the session and goes to sign-in, remembering the page', async () => {
    const router = TestBed.inject(Router);
    const navigate = vi.spyOn(router, 'navigate').mockResolvedValue(true);
    vi.spyOn(router, 'url', 'get').mockReturnValue('/users/12');
    session.start(liveSession());

    let failed = false;
    http.get('/api/users/12').subscribe({ error: () => (failed = true) });
    backend.expectOne('/api/users/12').flush(apiError('unauthorized', 'token expired'), {
      status: 401,
      statusText: 'Unauthorized',
    });

    expect(failed).toBe(true);
    expect(session.isSignedIn()).toBe(false);
    expect(navigate).toHaveBeenCalledWith(['/sign-in'], {
      queryParams: { returnUrl: '/users/12', reason: 'expired' },
    });
  });

  it('leaves a failed sign-in (no token) to the sign-in page', () => {
    const navigate = vi.spyOn(TestBed.inject(Router), 'navigate');
    http.post('/api/login', {}).subscribe({ error: () => undefined });
    backend
      .expectOne('/api/login')
      .flush(apiError('invalid_credentials', 'no'), { status: 401, statusText: 'Unauthorized' });
    expect(navigate).not.toHaveBeenCalled();
  });

  it('also returns to sign-in when the session expired locally (no token sent)', () => {
    const router = TestBed.inject(Router);
    const navigate = vi.spyOn(router, 'navigate').mockResolvedValue(true);
    vi.spyOn(router, 'url', 'get').mockReturnValue('/profile');
    session.start({ ...liveSession(), expiresAt: new Date(Date.now() - 1).toISOString() });
    http.get('/api/me').subscribe({ error: () => undefined });
    const req = backend.expectOne('/api/me');
    expect(req.request.headers.has('Authorization')).toBe(false);
    req.flush(apiError('unauthorized', 'no token'), { status: 401, statusText: 'Unauthorized' });
    expect(navigate).toHaveBeenCalledWith(['/sign-in'], {
      queryParams: { returnUrl: '/profile', reason: 'expired' },
    });
  });
});
