import { Component, DestroyRef, computed, inject, input, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Router, RouterLink } from '@angular/router';
import { ApiError, toApiError } from '../../core/api/api-error';
import { safeReturnUrl } from '../../core/auth/auth.guard';
import { AuthService } from '../../core/auth/auth.service';
import { ApiNotice } from '../../shared/api-notice';
import { Countdown } from '../../shared/countdown';
import { FieldError, shown } from '../../shared/forms/field-error';
import { focusFirstInvalid } from '../../shared/forms/server-errors';
import { emailAddress } from '../../shared/forms/validators';
import { SubmitButton } from '../../shared/forms/submit-button';

@Component({
  selector: 'app-sign-in',
  imports: [ReactiveFormsModule, RouterLink, FieldError, ApiNotice, SubmitButton],
  template: `
    <section class="card narrow">
      <h1 tabindex="-1">Sign in</h1>
      @if (reasonText(); as text) {
        <p class="notice notice-info" role="status">{{ text }}</p>
      }
      @if (error(); as e) {
        @if (e.kind === 'invalid_credentials') {
          <div class="notice" role="alert" data-testid="sign-in-error">
            <strong>That email and password don't match an account.</strong>
            <span>Check them and try again.</span>
          </div>
        } @else {
          <app-api-notice
            [error]="e"
            [remaining]="throttle.active() ? throttle.remaining() : null"
          />
        }
      }
      <form [formGroup]="form" (ngSubmit)="submit()" novalidate>
        <div class="field">
          <label for="signin-email">Email</label>
          <input
            id="signin-email"
            type="email"
            formControlName="email"
            autocomplete="username"
            [attr.aria-invalid]="shown(form.controls.email, submitted())"
            aria-describedby="signin-email-error"
          />
          <app-field-error
            [control]="form.controls.email"
            errorId="signin-email-error"
            label="Email"
            [submitted]="submitted()"
          />
        </div>
        <div class="field">
          <label for="signin-password">Password</label>
          <input
            id="signin-password"
            type="password"
            formControlName="password"
            autocomplete="current-password"
            [attr.aria-invalid]="shown(form.controls.password, submitted())"
            aria-describedby="signin-password-error"
          />
          <app-field-error
            [control]="form.controls.password"
            errorId="signin-password-error"
            label="Password"
            [submitted]="submitted()"
          />
        </div>
        <button type="submit" class="primary" [disabled]="pending() || throttle.active()">
          {{ pending() ? 'Signing in…' : 'Sign in' }}
        </button>
      </form>
      <p class="aside">New here? <a routerLink="/sign-up">Create an account</a>.</p>
    </section>
  `,
})
export class SignIn {
  /** Query parameters, bound by the router. */
  readonly returnUrl = input<string>();
  readonly reason = input<string>();

  private readonly auth = inject(AuthService);
  private readonly router = inject(Router);
  protected readonly form = inject(NonNullableFormBuilder).group({
    email: ['', [Validators.required, emailAddress]],
    password: ['', Validators.required],
  });
  protected readonly submitted = signal(false);
  protected readonly pending = signal(false);
  protected readonly error = signal<ApiError | null>(null);
  protected readonly throttle = new Countdown(inject(DestroyRef));
  protected readonly shown = shown;

  protected readonly reasonText = computed(() => {
    switch (this.reason()) {
      case 'expired':
        return 'Your session has ended. Sign in again to continue where you were.';
      case 'signed-out':
        return 'You have signed out.';
      case 'registered':
        return 'Your account is ready. Sign in to continue.';
      default:
        return returnNotice(this.returnUrl());
    }
  });

  protected submit(): void {
    this.submitted.set(true);
    if (this.form.invalid) {
      focusFirstInvalid(this.form, 'signin-');
      return;
    }
    const { email, password } = this.form.getRawValue();
    this.pending.set(true);
    this.error.set(null);
    this.auth.signIn(email.trim(), password).subscribe({
      next: () => void this.router.navigateByUrl(safeReturnUrl(this.returnUrl())),
      error: (err: unknown) => {
        this.pending.set(false);
        const e = toApiError(err);
        if (e.kind === 'throttled') this.throttle.start(e.retryAfterSeconds ?? 60);
        this.error.set(e);
        if (e.kind === 'invalid_credentials') {
          // A fresh, empty password field: the alert above says what went wrong.
          this.form.controls.password.reset();
          this.submitted.set(false);
          document.getElementById('signin-password')?.focus();
        }
      },
    });
  }
}

/** Why sign-in came up, when the guard sent someone here on the way to a particular page. */
export function returnNotice(returnUrl: string | undefined): string | null {
  const path = (returnUrl ?? '').split(/[?#]/)[0].replace(/\/+$/, '');
  if (path === '') return null;
  if (path === '/profile') return 'Sign in to see your profile.';
  if (path === '/profile/password') return 'Sign in to change your password.';
  if (path === '/users') return 'Sign in to look up other members.';
  if (path.startsWith('/users/')) return "Sign in to see that member's profile.";
  return 'Sign in to see that page.';
}
