import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { USER, liveSession, provideTestHttp } from '../../testing/http';
import { AuthService } from './auth.service';
import { SessionStore } from './session.store';

describe('AuthService', () => {
  let auth: AuthService;
  let backend: HttpTestingController;
  let session: SessionStore;

  beforeEach(() => {
    localStorage.clear();
    TestBed.configureTestingModule({ providers: provideTestHttp() });
    auth = TestBed.inject(AuthService);
    backend = TestBed.inject(HttpTestingController);
    session = TestBed.inject(SessionStore);
  });

  afterEach(() => backend.verify());

  it('signs up with the API field names', () => {
    const req = {
      email: 'a@b.co',
      password: 'long enough',
      firstName: 'A',
      lastName: 'B',
      birthDate: '2000-01-01',
    };
    auth.signUp(req).subscribe();
    const call = backend.expectOne({ method: 'POST', url: '/api/users' });
    expect(call.request.body).toEqual(req);
    call.flush(USER, { status: 201, statusText: 'Created' });
  });

  it('starts a session on sign-in', () => {
    auth.signIn('ada@example.com', 'pw').subscribe();
    backend.expectOne({ method: 'POST', url: '/api/login' }).flush(liveSession('t1'));
    expect(session.token()).toBe('t1');
    expect(session.user()?.email).toBe('ada@example.com');
  });

  it('signs out locally even when the API cannot be reached', () => {
    session.start(liveSession());
    let completed = false;
    auth.signOut().subscribe({ complete: () => (completed = true) });
    backend.expectOne('/api/logout').error(new ProgressEvent('error'));
    expect(completed).toBe(true);
    expect(session.isSignedIn()).toBe(false);
  });
});
