import { HttpBackend, HttpClient } from '@angular/common/http';
import { DestroyRef, Injectable, inject, signal } from '@angular/core';
import { firstValueFrom } from 'rxjs';

/**
 * How often an open tab checks whether another webapp release went live. A deploy (or a
 * frontend rollback) replaces index.html last, so index.html names the live release: its
 * script names carry content hashes, and the tab compares them with its own. index.html is
 * small and served `Cache-Control: no-cache` everywhere (pkg/webassets, by the local web root
 * and by the S3 deploy), and the request asks for revalidation, so no cache answers for it.
 */
export const RELEASE_CHECK_MS = 60_000;
export const RELEASE_URL = '/index.html';

/**
 * Watches for a newer webapp release than the one this tab runs, on an interval and whenever
 * the tab is shown again. It only ever offers a reload: the tab is never reloaded under a user
 * who may be typing.
 */
@Injectable({ providedIn: 'root' })
export class ReleaseWatchService {
  // No interceptors: this is no API call.
  private readonly http = new HttpClient(inject(HttpBackend));
  private readonly running = releaseFingerprint(document);
  private readonly newerState = signal(false);
  private live = '';
  private dismissed = '';
  private timer: ReturnType<typeof setInterval> | undefined;
  private checking = false;

  /** True once a release other than this tab's is live (and the notice was not dismissed). */
  readonly newer = this.newerState.asReadonly();

  constructor() {
    inject(DestroyRef).onDestroy(() => this.stop());
  }

  /** Starts watching; calling it again does nothing. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.check(), RELEASE_CHECK_MS);
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    document.removeEventListener('visibilitychange', this.onVisibility);
  }

  private readonly onVisibility = () => {
    if (!document.hidden) void this.check();
  };

  /** Reads the live index.html and compares its release with this tab's. */
  async check(): Promise<void> {
    // A hidden tab does not poll (no load from forgotten tabs); it checks when shown.
    if (this.checking || document.hidden || !this.running) return;
    this.checking = true;
    try {
      const html = await firstValueFrom(
        this.http.get(RELEASE_URL, {
          responseType: 'text',
          headers: { 'Cache-Control': 'no-cache' },
        }),
      );
      const live = releaseFingerprint(new DOMParser().parseFromString(html, 'text/html'));
      this.live = live;
      this.newerState.set(live !== '' && live !== this.running && live !== this.dismissed);
    } catch {
      // Offline or the site is down: the status bar says so; the next check tries again.
    } finally {
      this.checking = false;
    }
  }

  /** Hides the notice until yet another release goes live. */
  dismiss(): void {
    this.dismissed = this.live;
    this.newerState.set(false);
  }

  reload(): void {
    location.reload();
  }
}

/** The release a document belongs to: the paths of its scripts, whose names carry content hashes. */
export function releaseFingerprint(doc: Document): string {
  return Array.from(doc.querySelectorAll<HTMLScriptElement>('script[src]'))
    .map((s) => new URL(s.getAttribute('src') ?? '', 'http://x/').pathname)
    .sort()
    .join(' ');
}
