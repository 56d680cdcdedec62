import { ErrorHandler, Injectable, inject, signal } from '@angular/core';
import { NavigationError, RedirectCommand, Router } from '@angular/router';

/** Set when something failed that no page handled: the shell then says so on screen. */
@Injectable({ providedIn: 'root' })
export class UnexpectedFailure {
  readonly happened = signal(false);
}

/** Logs as Angular's default handler does, and makes the failure visible, not console-only. */
@Injectable()
export class AppErrorHandler implements ErrorHandler {
  private readonly failure = inject(UnexpectedFailure);

  handleError(error: unknown): void {
    console.error(error);
    this.failure.happened.set(true);
  }
}

const RELOAD_KEY = 'empctl.reloadedFor';
/** A second failure for the same address this soon after reloading for it is not retried. */
const RELOAD_GUARD_MS = 30_000;

/** Browsers' words for a lazy chunk that could not be fetched (Chromium, Firefox, Safari). */
export function isChunkLoadError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /dynamically imported module|Importing a module script failed|Loading chunk \S+ failed/i.test(
    message,
  );
}

/**
 * A page's code could not be loaded: usually a new release replaced the files this tab was
 * started with. Load the page afresh, which brings the new release; a second failure for the same
 * address right after that (a real outage) is not retried, so it cannot loop: the error then
 * reaches AppErrorHandler.
 */
export function reloadOnChunkError(
  e: NavigationError,
  load: (url: string) => void = (url) => location.assign(url),
  storage: Pick<Storage, 'getItem' | 'setItem'> | undefined = globalThis.sessionStorage,
  now = Date.now(),
): RedirectCommand | void {
  if (!isChunkLoadError(e.error)) return;
  try {
    const [url, at] = (storage?.getItem(RELOAD_KEY) ?? '').split('\n');
    if (url === e.url && now - Number(at) < RELOAD_GUARD_MS) return;
    storage?.setItem(RELOAD_KEY, `${e.url}\n${now}`);
  } catch {
    return;
  }
  load(e.url);
  // Stay on the current page until the fresh one arrives, instead of failing the navigation.
  const router = inject(Router);
  if (router.navigated) {
    return new RedirectCommand(router.parseUrl(router.url), { skipLocationChange: true });
  }
}
