import { DatePipe } from '@angular/common';
import { Component, inject, signal } from '@angular/core';
import { FormGroup, ReactiveFormsModule } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { ApiError, toApiError } from '../../core/api/api-error';
import { User } from '../../core/api/models';
import { ApiNotice } from '../../shared/api-notice';
import { applyServerErrors, focusFirstInvalid } from '../../shared/forms/server-errors';
import { PersonFields, personControls } from '../../shared/forms/person-fields';
import { createLoader } from '../../shared/loader';
import { ProfileService } from './profile.service';
import { SubmitButton } from '../../shared/forms/submit-button';

@Component({
  selector: 'app-profile-page',
  imports: [ReactiveFormsModule, RouterLink, DatePipe, PersonFields, ApiNotice, SubmitButton],
  templateUrl: './profile-page.html',
})
export class ProfilePage {
  private readonly profile = inject(ProfileService);
  protected readonly me = createLoader(() => this.profile.me());
  protected readonly form = new FormGroup(personControls());
  protected readonly editing = signal(false);
  protected readonly submitted = signal(false);
  protected readonly pending = signal(false);
  protected readonly error = signal<ApiError | null>(null);
  protected readonly saved = signal(false);
  protected readonly welcome = signal(takeWelcome());

  protected edit(user: User): void {
    this.form.reset({
      firstName: user.firstName,
      lastName: user.lastName,
      birthDate: user.birthDate,
    });
    this.submitted.set(false);
    this.error.set(null);
    this.saved.set(false);
    this.welcome.set(false);
    this.editing.set(true);
    setTimeout(() => document.getElementById('profile-firstName')?.focus());
  }

  protected cancel(): void {
    this.editing.set(false);
    setTimeout(() => document.getElementById('profile-edit')?.focus());
  }

  protected save(): void {
    this.submitted.set(true);
    this.error.set(null);
    if (this.form.invalid) {
      focusFirstInvalid(this.form, 'profile-');
      return;
    }
    const v = this.form.getRawValue();
    this.pending.set(true);
    this.profile
      .update({
        firstName: v.firstName.trim(),
        lastName: v.lastName.trim(),
        birthDate: v.birthDate,
      })
      .subscribe({
        next: (user) => {
          this.pending.set(false);
          this.me.set(user);
          this.editing.set(false);
          this.saved.set(true);
          setTimeout(() => document.getElementById('profile-edit')?.focus());
        },
        error: (err: unknown) => {
          this.pending.set(false);
          const e = toApiError(err);
          if (e.kind === 'validation') {
            applyServerErrors(this.form, e.fields);
            focusFirstInvalid(this.form, 'profile-');
          } else {
            this.error.set(e);
          }
        },
      });
  }
}

/** Sign-up navigates here with {welcome: true}; show it once, not again on reload. */
function takeWelcome(): boolean {
  const state = history.state as Record<string, unknown> | null;
  if (state?.['welcome'] !== true) return false;
  history.replaceState({ ...state, welcome: false }, '');
  return true;
}
