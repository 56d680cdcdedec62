import { Component, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Router, RouterLink } from '@angular/router';
import { SessionStore } from '../../core/auth/session.store';
import { FieldError, shown } from '../../shared/forms/field-error';
import { SubmitButton } from '../../shared/forms/submit-button';

@Component({
  selector: 'app-find-user',
  imports: [ReactiveFormsModule, RouterLink, FieldError, SubmitButton],
  template: `
    <section class="card narrow">
      <h1 tabindex="-1">People</h1>
      <p class="lead">Open someone's public profile by their member number.</p>
      <form [formGroup]="form" (ngSubmit)="open()" novalidate class="inline-form">
        <div class="field">
          <label for="find-id">Member number</label>
          <input
            id="find-id"
            type="text"
            inputmode="numeric"
            formControlName="id"
            autocomplete="off"
            [attr.aria-invalid]="shown(form.controls.id, submitted())"
            aria-describedby="find-id-error"
          />
          <app-field-error
            [control]="form.controls.id"
            errorId="find-id-error"
            label="Member number"
            [submitted]="submitted()"
          />
        </div>
        <button type="submit" class="primary">Open profile</button>
      </form>
      @if (session.user(); as me) {
        <p class="aside">
          Your member number is <strong>{{ me.id }}</strong>.
          <a [routerLink]="['/users', me.id]">See what others see about you</a>.
        </p>
      }
    </section>
  `,
})
export class FindUser {
  protected readonly session = inject(SessionStore);
  private readonly router = inject(Router);
  protected readonly form = inject(NonNullableFormBuilder).group({
    id: ['', [Validators.required, Validators.pattern(/^\s*[1-9]\d{0,17}\s*$/)]],
  });
  protected readonly submitted = signal(false);
  protected readonly shown = shown;

  protected open(): void {
    this.submitted.set(true);
    if (this.form.invalid) {
      if (this.form.controls.id.hasError('pattern')) {
        this.form.controls.id.setErrors({
          server: 'A member number is a whole number such as 42.',
        });
      }
      document.getElementById('find-id')?.focus();
      return;
    }
    void this.router.navigate(['/users', this.form.controls.id.value.trim()]);
  }
}
