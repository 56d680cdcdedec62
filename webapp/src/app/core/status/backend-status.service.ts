import { HttpClient, HttpHeaders } from '@angular/common/http';
import { DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import { AppConfigService } from '../config/app-config.service';
import { VersionInfo } from '../api/models';

/** How often GET /api/version is polled while the service answers, and while it does not. */
export const POLL_INTERVAL_MS = 5000;
export const RETRY_INTERVAL_MS = 2000;
/** How long the "updated from … to …" notice stays after a version change. */
export const CHANGE_NOTICE_MS = 20000;

export interface BackendIdentity {
  version: string;
  /** Empty unless the server shows it (PUBLIC_DEBUG_INFO). */
  instanceId: string;
  /** Empty outside AWS, or when the instance that answered last has not reported it yet. */
  availabilityZone: string;
}

/**
 * Which backend answered the last API request, and whether the API can be reached at all.
 * Fed by every API response's X-App-Version / X-App-Instance headers (see statusInterceptor)
 * and by polling GET /api/version, which also brings the availability zone.
 */
@Injectable({ providedIn: 'root' })
export class BackendStatusService {
  private readonly http = inject(HttpClient);
  private readonly config = inject(AppConfigService);

  private readonly identityState = signal<BackendIdentity | null>(null);
  private readonly reachableState = signal(true);
  private readonly changedFromState = signal<string | null>(null);
  private readonly zones = new Map<string, string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;
  private polling = false;
  private inFlight = false;

  readonly identity = this.identityState.asReadonly();
  /** False from the first unanswered request until the API answers again. */
  readonly reachable = this.reachableState.asReadonly();
  /** The previous version, for a while after the version changed (a rollout in progress). */
  readonly changedFrom = this.changedFromState.asReadonly();
  readonly known = computed(() => this.identityState() !== null);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.stop());
  }

  /** Starts polling; calling it again does nothing. */
  start(): void {
    if (this.polling) return;
    this.polling = true;
    document.addEventListener('visibilitychange', this.onVisibility);
    this.poll();
  }

  stop(): void {
    this.polling = false;
    document.removeEventListener('visibilitychange', this.onVisibility);
    clearTimeout(this.timer);
    clearTimeout(this.noticeTimer);
  }

  // A hidden tab skips its polls (no load from forgotten tabs) and checks at once when shown.
  private readonly onVisibility = () => {
    if (!document.hidden) this.checkNow();
  };

  /** Polls now rather than at the next tick (after a failure, to notice recovery quickly). */
  checkNow(): void {
    if (!this.polling) return;
    clearTimeout(this.timer);
    this.poll();
  }

  /** Records the backend named by an API response's headers; any answer means reachable. */
  observeHeaders(headers: HttpHeaders): void {
    const version = headers.get('X-App-Version');
    // The instance is named only where the server's PUBLIC_DEBUG_INFO is on.
    if (version) this.record(version, headers.get('X-App-Instance') ?? '');
  }

  /** Called when an API request got no answer. */
  reportUnreachable(): void {
    if (this.reachableState()) {
      this.reachableState.set(false);
      this.reschedule(RETRY_INTERVAL_MS);
    }
  }

  private poll(): void {
    if (this.inFlight) return;
    if (document.hidden) {
      this.reschedule(POLL_INTERVAL_MS);
      return;
    }
    this.inFlight = true;
    // The status interceptor records headers and reachability for this call like any other.
    this.http.get<VersionInfo>(this.config.api('/version')).subscribe({
      next: (info) => {
        this.inFlight = false;
        const instanceId = info.instanceId ?? '';
        this.zones.set(instanceId, info.availabilityZone ?? '');
        this.record(info.version, instanceId);
        this.reschedule(POLL_INTERVAL_MS);
      },
      error: () => {
        this.inFlight = false;
        this.reschedule(this.reachableState() ? POLL_INTERVAL_MS : RETRY_INTERVAL_MS);
      },
    });
  }

  private reschedule(delay: number): void {
    if (!this.polling) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.poll(), delay);
  }

  private record(version: string, instanceId: string): void {
    const previous = this.identityState();
    if (previous && previous.version !== version) {
      this.changedFromState.set(previous.version);
      clearTimeout(this.noticeTimer);
      this.noticeTimer = setTimeout(() => this.changedFromState.set(null), CHANGE_NOTICE_MS);
    }
    const availabilityZone = this.zones.get(instanceId) ?? '';
    if (
      !previous ||
      previous.version !== version ||
      previous.instanceId !== instanceId ||
      previous.availabilityZone !== availabilityZone
    ) {
      this.identityState.set({ version, instanceId, availabilityZone });
    }
    if (!this.reachableState()) {
      this.reachableState.set(true);
      this.reschedule(POLL_INTERVAL_MS);
    }
  }
}
