import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { AbstractControl } from '@angular/forms';
import { errorMessage } from './validators';

/**
 * The message under a field. The input names it with aria-describedby="<errorId>" and sets
 * aria-invalid when `shown(control, submitted)` is true.
 */
@Component({
  selector: 'app-field-error',
  changeDetection: ChangeDetectionStrategy.Default,
  template: `
    @if (shown(control(), submitted())) {
      <p class="field-error" [id]="errorId()">{{ message() }}</p>
    }
  `,
})
export class FieldError {
  readonly control = input.required<AbstractControl>();
  readonly errorId = input.required<string>();
  readonly label = input.required<string>();
  readonly submitted = input(false);

  protected readonly shown = shown;

  protected message(): string | null {
    return errorMessage(this.control().errors, this.label());
  }
}

/** Errors show once the user has left the field or tried to submit, not while first typing. */
export function shown(control: AbstractControl, submitted: boolean): boolean {
  return control.invalid && (control.touched || submitted);
}
