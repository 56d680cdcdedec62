import { FormGroup } from '@angular/forms';

/**
 * Puts the API's per-field messages on the matching controls (the API names fields as the
 * forms do). Returns the messages no control took, for a form-level notice.
 */
export function applyServerErrors(form: FormGroup, fields: Record<string, string>): string[] {
  const leftover: string[] = [];
  for (const [name, message] of Object.entries(fields)) {
    const control = form.get(name);
    if (control) {
      control.setErrors({ ...(control.errors ?? {}), server: message });
      control.markAsTouched();
    } else {
      leftover.push(`${name}: ${message}`);
    }
  }
  return leftover;
}

/** Moves focus to the first invalid control, whose element id is `prefix + name`. */
export function focusFirstInvalid(form: FormGroup, prefix: string, doc: Document = document): void {
  for (const [name, control] of Object.entries(form.controls)) {
    if (control.invalid) {
      doc.getElementById(prefix + name)?.focus();
      return;
    }
  }
}
