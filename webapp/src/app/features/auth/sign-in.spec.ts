import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { apiError, liveSession, provideTestHttp } from '../../testing/http';
import { SignIn, returnNotice } from './sign-in';

describe('SignIn', () => {
  let fixture: ComponentFixture<SignIn>;
  let el: HTMLElement;
  let backend: HttpTestingController;

  beforeEach(async () => {
    localStorage.clear();
    TestBed.configureTestingModule({ imports: [SignIn], providers: provideTestHttp() });
    backend = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(SignIn);
    el = fixture.nativeElement;
    await fixture.whenStable();
  });

  afterEach(() => backend.verify());

  function type(id: string, value: string) {
    const input = el.querySelector<HTMLInputElement>('#' + id)!;
    input.value = value;
    input.dispatchEvent(new Event('input'));
    input.dispatchEvent(new Event('blur'));
  }

  async function submit() {
    el.querySelector<HTMLButtonElement>('button[type=submit]')!.click();
    await fixture.whenStable();
  }

  it('shows field errors next to the fields and sends nothing', async () => {
    type('signin-email', 'not-an-email');
    await submit();
    expect(el.querySelector('#signin-email-error')?.textContent).toContain('name@example.com');
    expect(el.querySelector('#signin-password-error')?.textContent).toContain(
      'Enter your password',
    );
    expect(el.querySelector('#signin-email')?.getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement?.id).toBe('signin-email');
    backend.expectNone('/api/login');
  });

  it('says so when the email and password do not match', async () => {
    type('signin-email', 'ada@example.com');
    type('signin-password', 'wrong password');
    await submit();
    backend
      .expectOne('/api/login')
      .flush(apiError('invalid_credentials', 'invalid email or password'), {
        status: 401,
        statusText: 'Unauthorized',
      });
    await fixture.whenStable();
    expect(el.querySelector('[data-testid=sign-in-error]')?.textContent).toContain("don't match");
  });

  it('says when to try again after too many attempts, and waits', async () => {
    type('signin-email', 'ada@example.com');
    type('signin-password', 'wrong password');
    await submit();
    backend.expectOne('/api/login').flush(apiError('too_many_attempts', 'slow down'), {
      status: 429,
      statusText: 'Too Many Requests',
      headers: { 'Retry-After': '125' },
    });
    await fixture.whenStable();
    expect(el.textContent).toContain('Too many attempts');
    expect(el.textContent).toMatch(/wait 2 minutes \d+ seconds?/);
    expect(el.querySelector<HTMLButtonElement>('button[type=submit]')!.disabled).toBe(true);
  });

  it('says when the service cannot be reached', async () => {
    type('signin-email', 'ada@example.com');
    type('signin-password', 'a password');
    await submit();
    backend.expectOne('/api/login').error(new ProgressEvent('error'));
    await fixture.whenStable();
    expect(el.textContent).toContain("The service can't be reached");
  });

  it('goes back to the page the user wanted after signing in', async () => {
    const navigate = vi.spyOn(TestBed.inject(Router), 'navigateByUrl').mockResolvedValue(true);
    fixture.componentRef.setInput('returnUrl', '/users/3');
    type('signin-email', 'ada@example.com');
    type('signin-password', 'right password');
    await submit();
    const req = backend.expectOne('/api/login');
    expect(req.request.body).toEqual({ email: 'ada@example.com', password: 'right password' });
    req.flush(liveSession());
    expect(navigate).toHaveBeenCalledWith('/users/3');
  });

  it('explains itself only when it interrupted the way to a page', async () => {
    expect(el.querySelector('.notice')).toBeNull();
    fixture.componentRef.setInput('returnUrl', '/profile/password');
    await fixture.whenStable();
    expect(el.querySelector('.notice')?.textContent).toContain('Sign in to change your password.');
  });
});

describe('returnNotice', () => {
  it('names the page the user wanted, and says nothing for the home page', () => {
    expect(returnNotice(undefined)).toBeNull();
    expect(returnNotice('/')).toBeNull();
    expect(returnNotice('/profile')).toBe('Sign in to see your profile.');
    expect(returnNotice('/users')).toBe('Sign in to look up other members.');
    expect(returnNotice('/users/42?tab=x')).toBe("Sign in to see that member's profile.");
    expect(returnNotice('/somewhere')).toBe('Sign in to see that page.');
  });
});
