import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { USER, apiError, liveSession, provideTestHttp } from '../../testing/http';
import { SignUp } from './sign-up';

describe('SignUp', () => {
  let fixture: ComponentFixture<SignUp>;
  let el: HTMLElement;
  let backend: HttpTestingController;

  beforeEach(async () => {
    localStorage.clear();
    TestBed.configureTestingModule({ imports: [SignUp], providers: provideTestHttp() });
    backend = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(SignUp);
    el = fixture.nativeElement;
    await fixture.whenStable();
  });

  afterEach(() => backend.verify());

  function fill(values: Record<string, string>) {
    for (const [name, value] of Object.entries(values)) {
      const input = el.querySelector<HTMLInputElement>('#signup-' + name)!;
      input.value = value;
      input.dispatchEvent(new Event('input'));
    }
  }

  const valid = {
    email: ' ada@example.com ',
    password: 'correct horse',
    firstName: ' Ada ',
    lastName: 'Lovelace',
    birthDate: '1990-12-10',
  };

  async function submit() {
    el.querySelector<HTMLButtonElement>('button[type=submit]')!.click();
    await fixture.whenStable();
  }

  it('validates every field before sending', async () => {
    fill({ ...valid, password: 'short', birthDate: '2999-01-01', firstName: '  ' });
    await submit();
    expect(el.querySelector('#signup-password-error')?.textContent).toContain('8 to 72');
    expect(el.querySelector('#signup-birthDate-error')?.textContent).toContain('future');
    expect(el.querySelector('#signup-firstName-error')?.textContent).toContain(
      'Enter your first name',
    );
    expect(el.querySelector('#signup-email-error')).toBeNull();
    backend.expectNone('/api/users');
  });

  it('puts the API field messages next to the fields (duplicate email)', async () => {
    fill(valid);
    await submit();
    backend.expectOne('/api/users').flush(
      apiError('email_taken', 'email taken', {
        email: 'An account with this email already exists.',
      }),
      {
        status: 409,
        statusText: 'Conflict',
      },
    );
    await fixture.whenStable();
    expect(el.querySelector('#signup-email-error')?.textContent).toContain('already exists');
  });

  it('creates the account with trimmed values, then signs in', async () => {
    const navigate = vi.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
    fill(valid);
    await submit();
    const create = backend.expectOne('/api/users');
    expect(create.request.body).toEqual({ ...valid, email: 'ada@example.com', firstName: 'Ada' });
    create.flush(USER, { status: 201, statusText: 'Created' });
    const login = backend.expectOne('/api/login');
    expect(login.request.body).toEqual({ email: 'ada@example.com', password: 'correct horse' });
    login.flush(liveSession());
    expect(navigate).toHaveBeenCalledWith(['/profile'], { state: { welcome: true } });
  });
});
