import { Component, OnInit, inject } from '@angular/core';
import { ReleaseWatchService } from './release-watch.service';

/**
 * Offers a reload once a newer webapp release is live. The live region is always in the page,
 * so screen readers announce the notice when it appears; focus stays where the user is.
 */
@Component({
  selector: 'app-release-notice',
  template: `
    <div class="release-notice-region" role="status" aria-live="polite">
      @if (watch.newer()) {
        <div class="notice notice-info release-notice" data-testid="release-notice">
          <p>A new version of empctl is available.</p>
          <div class="release-notice-actions">
            <button type="button" class="button" (click)="watch.reload()">Reload to update</button>
            <button type="button" class="link-button" (click)="watch.dismiss()">Not now</button>
          </div>
        </div>
      }
    </div>
  `,
  styleUrl: './release-notice.css',
})
export class ReleaseNotice implements OnInit {
  protected readonly watch = inject(ReleaseWatchService);

  ngOnInit(): void {
    this.watch.start();
  }
}
