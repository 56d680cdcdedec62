import { Directive } from '@angular/core';

/**
 * Pressing a form's submit button leaves focus in the field being edited. Otherwise that
 * field's blur, on mousedown, shows its error message, the button moves down under the
 * pointer, and the release lands beside it: the click, and so the submit, are lost. The
 * submit shows every error anyway and moves focus to the first invalid field.
 */
@Directive({
  selector: 'button[type=submit]',
  host: { '(mousedown)': '$event.preventDefault()' },
})
export class SubmitButton {}
