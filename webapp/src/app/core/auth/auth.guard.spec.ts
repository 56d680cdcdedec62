import { TestBed } from '@angular/core/testing';
import { ActivatedRouteSnapshot, Router, RouterStateSnapshot, UrlTree } from '@angular/router';
import { liveSession, provideTestHttp } from '../../testing/http';
import { authGuard, guestGuard, homeRedirect, safeReturnUrl } from './auth.guard';
import { SessionStore } from './session.store';

function run(guard: typeof authGuard, url: string) {
  return TestBed.runInInjectionContext(() =>
    guard({} as ActivatedRouteSnapshot, { url } as RouterStateSnapshot),
  );
}

describe('authGuard', () => {
  beforeEach(() => {
    localStorage.clear();
    TestBed.configureTestingModule({ providers: provideTestHttp() });
  });

  it('sends signed-out users to sign-in with the page they wanted', () => {
    const result = run(authGuard, '/profile/password');
    expect(result).toBeInstanceOf(UrlTree);
    expect(TestBed.inject(Router).serializeUrl(result as UrlTree)).toBe(
      '/sign-in?returnUrl=%2Fprofile%2Fpassword',
    );
  });

  it('says the session ended when the stored one has expired', () => {
    TestBed.inject(SessionStore).start({
      ...liveSession(),
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    const result = run(authGuard, '/users/3');
    expect(TestBed.inject(Router).serializeUrl(result as UrlTree)).toBe(
      '/sign-in?returnUrl=%2Fusers%2F3&reason=expired',
    );
  });

  it('lets signed-in users through', () => {
    TestBed.inject(SessionStore).start(liveSession());
    expect(run(authGuard, '/profile')).toBe(true);
  });

  it('keeps signed-in users off the guest pages', () => {
    TestBed.inject(SessionStore).start(liveSession());
    const result = run(guestGuard, '/sign-in');
    expect(TestBed.inject(Router).serializeUrl(result as UrlTree)).toBe('/profile');
    TestBed.inject(SessionStore).clear();
    expect(run(guestGuard, '/sign-in')).toBe(true);
  });
});

describe('the home address', () => {
  beforeEach(() => {
    localStorage.clear();
    TestBed.configureTestingModule({ providers: provideTestHttp() });
  });

  it('opens plain sign-in for visitors, with no page to return to', async () => {
    const router = TestBed.inject(Router);
    await router.navigateByUrl('/');
    expect(router.url).toBe('/sign-in');
  });

  it('opens the profile for signed-in users', () => {
    TestBed.inject(SessionStore).start(liveSession());
    const result = TestBed.runInInjectionContext(() =>
      homeRedirect({} as Parameters<typeof homeRedirect>[0]),
    );
    expect(TestBed.inject(Router).serializeUrl(result as UrlTree)).toBe('/profile');
  });
});

describe('safeReturnUrl', () => {
  it('follows only paths on this site', () => {
    expect(safeReturnUrl('/users/3?x=1')).toBe('/users/3?x=1');
    expect(safeReturnUrl('//evil.example')).toBe('/profile');
    expect(safeReturnUrl('/\\evil.example')).toBe('/profile');
    expect(safeReturnUrl('https://evil.example')).toBe('/profile');
    expect(safeReturnUrl(undefined)).toBe('/profile');
  });
});
