import { TestBed } from '@angular/core/testing';
import { liveSession } from '../../testing/http';
import { SessionStore } from './session.store';

describe('SessionStore', () => {
  beforeEach(() => localStorage.clear());

  it('keeps the session across page loads', () => {
    TestBed.inject(SessionStore).start(liveSession());
    TestBed.resetTestingModule();
    const again = TestBed.inject(SessionStore);
    expect(again.token()).toBe('tok-123');
    expect(again.user()?.firstName).toBe('Ada');
  });

  it('treats an expired session as signed out, and forgets it', () => {
    const store = TestBed.inject(SessionStore);
    store.start({ ...liveSession(), expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(store.isSignedIn()).toBe(false);
    expect(store.signedIn()).toBe(false);
    expect(localStorage.getItem('empctl.session')).toBeNull();
  });

  it('ignores unreadable storage', () => {
    localStorage.setItem('empctl.session', '{not json');
    expect(TestBed.inject(SessionStore).isSignedIn()).toBe(false);
  });
});
