import { Component, DestroyRef, Injector, afterNextRender, inject } from '@angular/core';
import { NavigationEnd, Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { filter } from 'rxjs';
import { AuthService } from './core/auth/auth.service';
import { SessionStore } from './core/auth/session.store';
import { UnexpectedFailure } from './core/errors/app-errors';
import { ReleaseNotice } from './core/release/release-notice';
import { StatusBar } from './core/status/status-bar';

@Component({
  selector: 'app-root',
  imports: [RouterOutlet, RouterLink, RouterLinkActive, StatusBar, ReleaseNotice],
  templateUrl: './app.html',
  styleUrl: './app.css',
})
export class App {
  protected readonly session = inject(SessionStore);
  protected readonly failure = inject(UnexpectedFailure).happened;
  private readonly auth = inject(AuthService);
  private readonly router = inject(Router);
  private readonly injector = inject(Injector);

  constructor() {
    // After each navigation, move focus to the new page's heading so screen readers and
    // keyboard users start at the top of the new content.
    let first = true;
    const sub = this.router.events.pipe(filter((e) => e instanceof NavigationEnd)).subscribe(() => {
      if (first) {
        first = false;
        return;
      }
      afterNextRender(() => document.querySelector<HTMLElement>('main h1')?.focus(), {
        injector: this.injector,
      });
    });
    inject(DestroyRef).onDestroy(() => sub.unsubscribe());
  }

  // With <base href="/">, a bare "#main-content" link would load "/" instead of moving focus.
  protected skipToContent(event: Event): void {
    event.preventDefault();
    document.getElementById('main-content')?.focus();
  }

  protected reload(): void {
    location.reload();
  }

  protected signOut(): void {
    this.auth.signOut().subscribe({
      complete: () =>
        void this.router.navigate(['/sign-in'], { queryParams: { reason: 'signed-out' } }),
    });
  }
}
