import { AbstractControl, ValidationErrors, ValidatorFn } from '@angular/forms';

// Client-side mirrors of the API's rules (server/README.md, "Validation rules"), so most
// mistakes are caught before a round trip; the server's answer remains the authority.

export const NAME_MAX = 100;
export const EMAIL_MAX = 254;
export const PASSWORD_MIN_BYTES = 8;
export const PASSWORD_MAX_BYTES = 72;
export const EARLIEST_BIRTH_DATE = '1900-01-01';

/** Required after trimming spaces, as the API trims names. */
export const trimmedRequired: ValidatorFn = (c) =>
  typeof c.value === 'string' && c.value.trim() === '' ? { required: true } : null;

export function trimmedMaxLength(max: number): ValidatorFn {
  return (c) =>
    typeof c.value === 'string' && c.value.trim().length > max
      ? { maxlength: { requiredLength: max, actualLength: c.value.trim().length } }
      : null;
}

/** A plain address: something@domain.tld, no spaces or display name. */
export const emailAddress: ValidatorFn = (c) => {
  const v = typeof c.value === 'string' ? c.value.trim() : '';
  if (v === '') return null;
  return /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;.]{2,}$/.test(v) ? null : { email: true };
};

/** bcrypt's limit is in bytes, so count UTF-8 bytes, not characters. */
export const passwordLength: ValidatorFn = (c) => {
  const v = typeof c.value === 'string' ? c.value : '';
  if (v === '') return null;
  const bytes = new TextEncoder().encode(v).length;
  return bytes < PASSWORD_MIN_BYTES || bytes > PASSWORD_MAX_BYTES
    ? { passwordLength: { min: PASSWORD_MIN_BYTES, max: PASSWORD_MAX_BYTES, actual: bytes } }
    : null;
};

/** Today's date as YYYY-MM-DD in the user's time zone. */
export function today(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** A real calendar date YYYY-MM-DD, not in the future, not before 1900-01-01. */
export function birthDate(now: () => Date = () => new Date()): ValidatorFn {
  return (c) => {
    const v = typeof c.value === 'string' ? c.value : '';
    if (v === '') return null;
    if (!isRealDate(v)) return { date: true };
    if (v > today(now())) return { futureDate: true };
    if (v < EARLIEST_BIRTH_DATE) return { tooEarly: true };
    return null;
  };
}

export function isRealDate(v: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** Group validator: the named control must equal `other`. Sets `mismatch` on the control. */
export function matchesField(field: string, other: string): ValidatorFn {
  return (group: AbstractControl): ValidationErrors | null => {
    const a = group.get(field);
    const b = group.get(other);
    if (!a || !b) return null;
    const mismatch = a.value !== '' && a.value !== b.value;
    const errors = { ...(a.errors ?? {}) };
    if (mismatch) errors['mismatch'] = true;
    else delete errors['mismatch'];
    a.setErrors(Object.keys(errors).length ? errors : null);
    return null;
  };
}

/** The first message for a control's errors, in plain words. */
export function errorMessage(errors: ValidationErrors | null, label: string): string | null {
  if (!errors) return null;
  if (errors['server']) return serverMessage(String(errors['server']), label);
  if (errors['required']) return `Enter your ${label.toLowerCase()}.`;
  if (errors['email']) return 'Enter an email address like name@example.com.';
  if (errors['maxlength'])
    return `${label} must be at most ${errors['maxlength'].requiredLength} characters.`;
  if (errors['passwordLength'])
    return `Use ${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} characters (at most ${PASSWORD_MAX_BYTES} bytes).`;
  if (errors['date']) return 'Enter a real date (YYYY-MM-DD).';
  if (errors['futureDate']) return `${label} cannot be in the future.`;
  if (errors['tooEarly']) return `${label} cannot be before ${EARLIEST_BIRTH_DATE}.`;
  if (errors['mismatch']) return 'The two passwords do not match.';
  return `Check your ${label.toLowerCase()}.`;
}

/** The API words field errors as fragments ("is required"): make them sentences. */
export function serverMessage(message: string, label: string): string {
  let text = message.trim();
  if (/^[a-z]/.test(text)) text = `${label} ${text}`;
  return /[.!?]$/.test(text) ? text : text + '.';
}
