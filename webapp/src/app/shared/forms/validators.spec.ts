import { FormControl, FormGroup } from '@angular/forms';
import {
  birthDate,
  emailAddress,
  errorMessage,
  isRealDate,
  matchesField,
  passwordLength,
  trimmedMaxLength,
  trimmedRequired,
} from './validators';

const ctl = (v: string) => new FormControl(v);

describe('form validators', () => {
  it('checks email addresses', () => {
    expect(emailAddress(ctl('ada@example.com'))).toBeNull();
    expect(emailAddress(ctl(''))).toBeNull(); // left to required
    expect(emailAddress(ctl('ada'))).toEqual({ email: true });
    expect(emailAddress(ctl('Ada <ada@example.com>'))).toEqual({ email: true });
    expect(emailAddress(ctl('ada@example'))).toEqual({ email: true });
  });

  it('counts password length in bytes, as bcrypt does', () => {
    expect(passwordLength(ctl('short'))).not.toBeNull();
    expect(passwordLength(ctl('long enough'))).toBeNull();
    expect(passwordLength(ctl('x'.repeat(72)))).toBeNull();
    expect(passwordLength(ctl('x'.repeat(73)))).not.toBeNull();
    expect(passwordLength(ctl('é'.repeat(37)))).not.toBeNull(); // 74 bytes
  });

  it('trims names before checking them', () => {
    expect(trimmedRequired(ctl('   '))).toEqual({ required: true });
    expect(trimmedRequired(ctl(' Ada '))).toBeNull();
    expect(trimmedMaxLength(3)(ctl(' abc '))).toBeNull();
    expect(trimmedMaxLength(3)(ctl('abcd'))).not.toBeNull();
  });

  it('accepts only real, past birth dates from 1900 on', () => {
    const v = birthDate(() => new Date(2026, 5, 15));
    expect(v(ctl('2000-02-29'))).toBeNull();
    expect(v(ctl('2001-02-29'))).toEqual({ date: true });
    expect(v(ctl('2000-13-01'))).toEqual({ date: true });
    expect(v(ctl('15/06/2000'))).toEqual({ date: true });
    expect(v(ctl('2026-06-15'))).toBeNull();
    expect(v(ctl('2026-06-16'))).toEqual({ futureDate: true });
    expect(v(ctl('1899-12-31'))).toEqual({ tooEarly: true });
    expect(isRealDate('1900-01-01')).toBe(true);
  });

  it('flags a repeated password that differs', () => {
    const group = new FormGroup(
      { confirm: ctl('one password'), password: ctl('another one') },
      { validators: matchesField('confirm', 'password') },
    );
    expect(group.controls.confirm.hasError('mismatch')).toBe(true);
    group.controls.confirm.setValue('another one');
    expect(group.controls.confirm.valid).toBe(true);
  });

  it('words each error for people', () => {
    expect(errorMessage({ required: true }, 'First name')).toBe('Enter your first name.');
    expect(errorMessage({ server: 'is already used' }, 'Email')).toBe('Email is already used.');
    expect(errorMessage({ server: 'Pick another one.' }, 'Email')).toBe('Pick another one.');
    expect(errorMessage({ futureDate: true }, 'Birth date')).toBe(
      'Birth date cannot be in the future.',
    );
    expect(errorMessage(null, 'Email')).toBeNull();
  });
});
