import { DestroyRef, computed, signal } from '@angular/core';

/** Seconds left until a moment (a throttle's Retry-After), ticking once a second. */
export class Countdown {
  private readonly until = signal(0);
  private readonly now = signal(Date.now());
  private timer: ReturnType<typeof setInterval> | undefined;

  readonly remaining = computed(() => Math.max(0, Math.ceil((this.until() - this.now()) / 1000)));
  readonly active = computed(() => this.remaining() > 0);

  constructor(destroyRef: DestroyRef) {
    destroyRef.onDestroy(() => clearInterval(this.timer));
  }

  start(seconds: number): void {
    const now = Date.now();
    this.now.set(now);
    this.until.set(now + seconds * 1000);
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      this.now.set(Date.now());
      if (!this.active()) clearInterval(this.timer);
    }, 1000);
  }
}

/** "45 seconds", "1 minute", "14 minutes 5 seconds". */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.ceil(totalSeconds));
  const minutes = Math.floor(s / 60);
  const seconds = s % 60;
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (minutes === 0) return unit(seconds, 'second');
  return seconds === 0
    ? unit(minutes, 'minute')
    : `${unit(minutes, 'minute')} ${unit(seconds, 'second')}`;
}
