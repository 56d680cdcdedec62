import { Component, DestroyRef, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { ApiError, toApiError } from '../../core/api/api-error';
import { ApiNotice } from '../../shared/api-notice';
import { Countdown } from '../../shared/countdown';
import { FieldError, shown } from '../../shared/forms/field-error';
import { applyServerErrors, focusFirstInvalid } from '../../shared/forms/server-errors';
import { matchesField, passwordLength } from '../../shared/forms/validators';
import { ProfileService } from './profile.service';
import { SubmitButton } from '../../shared/forms/submit-button';

@Component({
  selector: 'app-change-password',
  imports: [ReactiveFormsModule, RouterLink, FieldError, ApiNotice, SubmitButton],
  templateUrl: './change-password.html',
})
export class ChangePassword {
  private readonly profile = inject(ProfileService);
  protected readonly form = inject(NonNullableFormBuilder).group(
    {
      currentPassword: ['', Validators.required],
      newPassword: ['', [Validators.required, passwordLength]],
      confirmPassword: ['', Validators.required],
    },
    { validators: matchesField('confirmPassword', 'newPassword') },
  );
  protected readonly submitted = signal(false);
  protected readonly pending = signal(false);
  protected readonly done = signal(false);
  protected readonly error = signal<ApiError | null>(null);
  protected readonly throttle = new Countdown(inject(DestroyRef));
  protected readonly shown = shown;

  protected submit(): void {
    this.submitted.set(true);
    this.error.set(null);
    this.done.set(false);
    if (this.form.invalid) {
      focusFirstInvalid(this.form, 'password-');
      return;
    }
    const { currentPassword, newPassword } = this.form.getRawValue();
    this.pending.set(true);
    this.profile.changePassword(currentPassword, newPassword).subscribe({
      next: () => {
        this.pending.set(false);
        this.form.reset();
        this.submitted.set(false);
        this.done.set(true);
      },
      error: (err: unknown) => {
        this.pending.set(false);
        const e = toApiError(err);
        if (e.kind === 'validation' || e.kind === 'invalid_credentials') {
          if (e.kind === 'invalid_credentials' && !e.fields['currentPassword']) {
            e.fields['currentPassword'] = 'is incorrect';
          }
          applyServerErrors(this.form, e.fields);
          focusFirstInvalid(this.form, 'password-');
          return;
        }
        if (e.kind === 'throttled') this.throttle.start(e.retryAfterSeconds ?? 60);
        this.error.set(e);
      },
    });
  }
}
