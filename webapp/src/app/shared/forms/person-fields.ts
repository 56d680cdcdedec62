import { Component, computed, input } from '@angular/core';
import { FormControl, ReactiveFormsModule, ValidatorFn, Validators } from '@angular/forms';
import { FieldError, shown } from './field-error';
import {
  EARLIEST_BIRTH_DATE,
  NAME_MAX,
  birthDate,
  today,
  trimmedMaxLength,
  trimmedRequired,
} from './validators';

export interface PersonControls {
  firstName: FormControl<string>;
  lastName: FormControl<string>;
  birthDate: FormControl<string>;
}

/** Fresh controls for a person's names and birth date, to spread into a form group. */
export function personControls(): PersonControls {
  const control = (validators: ValidatorFn[]) =>
    new FormControl('', { nonNullable: true, validators });
  return {
    firstName: control([trimmedRequired, trimmedMaxLength(NAME_MAX)]),
    lastName: control([trimmedRequired, trimmedMaxLength(NAME_MAX)]),
    birthDate: control([Validators.required, birthDate()]),
  };
}

/**
 * A person's names side by side, then the birth date: the fields sign-up and the profile
 * form share. Each input's id is `idPrefix` + its control's name, as focusFirstInvalid
 * expects.
 */
@Component({
  selector: 'app-person-fields',
  imports: [ReactiveFormsModule, FieldError],
  // The fields take part in the form's grid as if written in the form itself.
  host: { style: 'display: contents' },
  templateUrl: './person-fields.html',
})
export class PersonFields {
  readonly controls = input.required<PersonControls>();
  readonly idPrefix = input.required<string>();
  readonly submitted = input(false);
  /** Shown under the last name and named by its aria-describedby. */
  readonly lastNameHint = input<string>();

  protected readonly lastNameDescribedBy = computed(() => {
    const p = this.idPrefix();
    return this.lastNameHint() ? `${p}lastName-hint ${p}lastName-error` : `${p}lastName-error`;
  });
  protected readonly earliest = EARLIEST_BIRTH_DATE;
  protected readonly today = today();
  protected readonly shown = shown;
}
