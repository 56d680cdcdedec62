import { Component, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Router, RouterLink } from '@angular/router';
import { switchMap, tap } from 'rxjs';
import { ApiError, toApiError } from '../../core/api/api-error';
import { AuthService } from '../../core/auth/auth.service';
import { ApiNotice } from '../../shared/api-notice';
import { FieldError, shown } from '../../shared/forms/field-error';
import { applyServerErrors, focusFirstInvalid } from '../../shared/forms/server-errors';
import { PersonFields, personControls } from '../../shared/forms/person-fields';
import { EMAIL_MAX, emailAddress, passwordLength } from '../../shared/forms/validators';
import { SubmitButton } from '../../shared/forms/submit-button';

@Component({
  selector: 'app-sign-up',
  imports: [ReactiveFormsModule, RouterLink, FieldError, PersonFields, ApiNotice, SubmitButton],
  templateUrl: './sign-up.html',
})
export class SignUp {
  private readonly auth = inject(AuthService);
  private readonly router = inject(Router);
  protected readonly form = inject(NonNullableFormBuilder).group({
    email: ['', [Validators.required, emailAddress, Validators.maxLength(EMAIL_MAX)]],
    password: ['', [Validators.required, passwordLength]],
    ...personControls(),
  });
  protected readonly submitted = signal(false);
  protected readonly pending = signal(false);
  protected readonly error = signal<ApiError | null>(null);
  protected readonly leftover = signal<string[]>([]);
  protected readonly emailTaken = signal(false);
  protected readonly shown = shown;

  protected submit(): void {
    this.submitted.set(true);
    this.error.set(null);
    if (this.form.invalid) {
      focusFirstInvalid(this.form, 'signup-');
      return;
    }
    const v = this.form.getRawValue();
    const req = {
      ...v,
      email: v.email.trim(),
      firstName: v.firstName.trim(),
      lastName: v.lastName.trim(),
    };
    this.pending.set(true);
    // Sign-up does not start a session: sign in straight after with the same credentials.
    let created = false;
    this.auth
      .signUp(req)
      .pipe(
        tap(() => (created = true)),
        switchMap(() => this.auth.signIn(req.email, req.password)),
      )
      .subscribe({
        next: () => void this.router.navigate(['/profile'], { state: { welcome: true } }),
        error: (err: unknown) => {
          this.pending.set(false);
          const e = toApiError(err);
          if (created) {
            // The account exists but the automatic sign-in failed: sign in by hand.
            void this.router.navigate(['/sign-in'], { queryParams: { reason: 'registered' } });
          } else if (e.kind === 'validation') {
            this.emailTaken.set(e.code === 'email_taken');
            this.leftover.set(applyServerErrors(this.form, e.fields));
            focusFirstInvalid(this.form, 'signup-');
          } else {
            this.error.set(e);
          }
        },
      });
  }
}
