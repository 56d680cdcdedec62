import { TestBed } from '@angular/core/testing';
import { ActivatedRouteSnapshot, Router, RouterStateSnapshot, UrlTree } from '@angular/router';
import { liveSession, provideTestHttp } from '../../testing/http';
import { authGuard, guestGuard, safeReturnUrl } from './auth.guard';
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

describe('safeReturnUrl', () => {
  it('follows only paths on this site', () => {
    expect(safeReturnUrl('/users/3?x=1')).toBe('/users/3?x=1');
    expect(safeReturnUrl('//evil.example')).toBe('/profile');
    expect(safeReturnUrl('/\\evil.example')).toBe('/profile');
    expect(safeReturnUrl('https://evil.example')).toBe('/profile');
    expect(safeReturnUrl(undefined)).toBe('/profile');
  });
});
