import { DestroyRef, Signal, effect, inject, signal, untracked } from '@angular/core';
import { Observable, Subscription } from 'rxjs';
import { ApiError, toApiError } from '../core/api/api-error';
import { BackendStatusService } from '../core/status/backend-status.service';

export type LoadState<T> =
  { status: 'loading' } | { status: 'ready'; value: T } | { status: 'error'; error: ApiError };

export interface Loader<T> {
  readonly state: Signal<LoadState<T>>;
  /** Loads again, showing the loading state. */
  reload(): void;
  /** Replaces the loaded value (after a save that returned the new one). */
  set(value: T): void;
}

/**
 * Loads data for a page and keeps a state the template can show. When the API could not be
 * reached, it keeps showing that and loads again on its own once the API answers.
 * Call in an injection context (a component's field initialiser); with `immediate: false`
 * nothing loads until reload().
 */
export function createLoader<T>(
  source: () => Observable<T>,
  { immediate = true }: { immediate?: boolean } = {},
): Loader<T> {
  const backend = inject(BackendStatusService);
  const state = signal<LoadState<T>>({ status: 'loading' });
  let sub: Subscription | undefined;
  inject(DestroyRef).onDestroy(() => sub?.unsubscribe());

  const load = (quiet: boolean) => {
    sub?.unsubscribe();
    if (!quiet) state.set({ status: 'loading' });
    sub = source().subscribe({
      next: (value) => state.set({ status: 'ready', value }),
      error: (err: unknown) => state.set({ status: 'error', error: toApiError(err) }),
    });
  };

  effect(() => {
    const s = state();
    if (s.status === 'error' && s.error.kind === 'unreachable' && backend.reachable()) {
      untracked(() => load(true));
    }
  });

  if (immediate) load(false);
  return {
    state: state.asReadonly(),
    reload: () => load(false),
    set: (value: T) => state.set({ status: 'ready', value }),
  };
}
