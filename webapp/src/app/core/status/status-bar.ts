import { Component, OnInit, computed, inject } from '@angular/core';
import { BackendStatusService } from './backend-status.service';

/** One line at the bottom: which backend version and instance answered last, or that none did. */
@Component({
  selector: 'app-status-bar',
  template: `
    <div class="status-bar" [class.down]="!status.reachable()" data-testid="status-bar">
      <div class="container status-inner">
        <span class="dot" aria-hidden="true"></span>
        <!-- Announced: only reachability and version changes, not every instance switch. -->
        <span class="visually-hidden" role="status" aria-live="polite">{{ announcement() }}</span>
        <span class="status-text">
          @if (!status.reachable()) {
            <strong>Service unreachable</strong> · retrying…
          } @else if (identity(); as id) {
            <span
              >API <strong data-testid="backend-version">{{ id.version }}</strong></span
            >
            @if (id.instanceId) {
              <span>
                · instance
                <span [title]="id.instanceId" data-testid="backend-instance">{{
                  shortInstance()
                }}</span></span
              >
            }
            @if (id.availabilityZone) {
              <span>
                · zone <span data-testid="backend-zone">{{ id.availabilityZone }}</span></span
              >
            }
            @if (status.changedFrom(); as old) {
              <span class="changed"> · updated from {{ old }}</span>
            }
          } @else {
            Connecting…
          }
        </span>
      </div>
    </div>
  `,
  styles: `
    .status-bar {
      padding-block: 0.4rem;
      font-size: 0.8125rem;
      color: var(--muted);
      background: var(--surface-2);
      border-top: 1px solid var(--border);
    }
    .status-inner {
      display: flex;
      align-items: center;
      gap: 0.5rem;
    }
    .status-text {
      overflow-wrap: anywhere;
    }
    .dot {
      flex: none;
      width: 0.6rem;
      height: 0.6rem;
      border-radius: 50%;
      background: var(--ok);
    }
    .down .dot {
      background: var(--danger);
    }
    .down {
      color: var(--danger-text);
      background: var(--danger-bg);
    }
    .changed {
      color: var(--accent-text);
      font-weight: 600;
    }
  `,
})
export class StatusBar implements OnInit {
  protected readonly status = inject(BackendStatusService);
  protected readonly identity = this.status.identity;
  protected readonly announcement = computed(() => {
    if (!this.status.reachable()) return 'The service is unreachable. Retrying.';
    const version = this.identity()?.version;
    return version ? `Service version ${version}.` : '';
  });
  protected readonly shortInstance = computed(() => {
    const id = this.identity()?.instanceId ?? '';
    // ECS task ids are 32 hex digits: a prefix tells tasks apart. Names people chose (hostnames,
    // INSTANCE_ID) are shown whole: a cut one can be ambiguous.
    return /^[0-9a-f]{32}$/.test(id) ? id.slice(0, 12) + '…' : id;
  });

  ngOnInit(): void {
    this.status.start();
  }
}
