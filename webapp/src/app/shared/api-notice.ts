import { Component, computed, input } from '@angular/core';
import { ApiError } from '../core/api/api-error';
import { formatDuration } from './countdown';

/**
 * Shows an API failure in plain words. `context` says whether a page was loading data (which
 * retries on its own) or a form was submitted (which the user sends again).
 */
@Component({
  selector: 'app-api-notice',
  template: `
    @let e = error();
    <div class="notice" [class.notice-warn]="warn()" role="alert">
      @switch (e.kind) {
        @case ('unreachable') {
          <strong>The service can't be reached right now.</strong>
          @if (context() === 'load') {
            <span>We'll try again automatically and show this page as soon as it answers.</span>
          } @else {
            <span
              >Nothing was sent. Try again in a moment: the status bar below shows when it's
              back.</span
            >
          }
        }
        @case ('throttled') {
          <strong>Too many attempts.</strong>
          @if ((remaining() ?? e.retryAfterSeconds ?? 0) > 0) {
            <span>For your security, please wait {{ wait() }} before trying again.</span>
          } @else {
            <span>You can try again now.</span>
          }
        }
        @case ('not_found') {
          <strong>Not found.</strong> <span>{{ e.message || 'There is nothing here.' }}</span>
        }
        @default {
          <strong>Something went wrong.</strong>
          <span>{{ e.message || 'Please try again.' }}</span>
        }
      }
    </div>
  `,
})
export class ApiNotice {
  readonly error = input.required<ApiError>();
  readonly context = input<'load' | 'submit'>('submit');
  /** Live seconds left for a throttle, when the page runs a countdown. */
  readonly remaining = input<number | null>(null);

  protected readonly warn = computed(() =>
    ['unreachable', 'throttled'].includes(this.error().kind),
  );
  protected readonly wait = computed(() =>
    formatDuration(this.remaining() ?? this.error().retryAfterSeconds ?? 0),
  );
}
