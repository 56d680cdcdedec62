import { Injectable, computed, signal } from '@angular/core';
import { User } from '../api/models';

export interface Session {
  token: string;
  expiresAt: string;
  user: User;
}

const STORAGE_KEY = 'empctl.session';

/** The signed-in session, kept in localStorage so a reload or a new tab stays signed in. */
@Injectable({ providedIn: 'root' })
export class SessionStore {
  private readonly state = signal<Session | null>(readStored());

  readonly session = this.state.asReadonly();
  readonly user = computed(() => this.state()?.user ?? null);
  readonly signedIn = computed(() => this.state() !== null);

  /** The token, or null when there is none or it has expired (which also clears it). */
  token(now = Date.now()): string | null {
    const s = this.state();
    if (!s) return null;
    if (Date.parse(s.expiresAt) <= now) {
      this.clear();
      return null;
    }
    return s.token;
  }

  isSignedIn(now = Date.now()): boolean {
    return this.token(now) !== null;
  }

  start(session: Session): void {
    this.state.set(session);
    write(session);
  }

  updateUser(user: User): void {
    const s = this.state();
    if (s) this.start({ ...s, user });
  }

  clear(): void {
    this.state.set(null);
    write(null);
  }
}

function readStored(): Session | null {
  try {
    const raw = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.token === 'string' && typeof s.expiresAt === 'string' && s.user) {
      return s as Session;
    }
  } catch {
    // Unreadable storage means signed out.
  }
  return null;
}

function write(session: Session | null): void {
  try {
    if (session) globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(session));
    else globalThis.localStorage?.removeItem(STORAGE_KEY);
  } catch {
    // Private browsing may refuse storage: the session then lasts for this page only.
  }
}
