import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { apiError, provideTestHttp } from '../../testing/http';
import { ChangePassword } from './change-password';

describe('ChangePassword', () => {
  let fixture: ComponentFixture<ChangePassword>;
  let el: HTMLElement;
  let backend: HttpTestingController;

  beforeEach(async () => {
    TestBed.configureTestingModule({ imports: [ChangePassword], providers: provideTestHttp() });
    backend = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(ChangePassword);
    el = fixture.nativeElement;
    await fixture.whenStable();
  });

  afterEach(() => backend.verify());

  function fill(values: Record<string, string>) {
    for (const [name, value] of Object.entries(values)) {
      const input = el.querySelector<HTMLInputElement>('#password-' + name)!;
      input.value = value;
      input.dispatchEvent(new Event('input'));
    }
  }

  async function submit() {
    el.querySelector<HTMLButtonElement>('button[type=submit]')!.click();
    await fixture.whenStable();
  }

  it('asks for the same new password twice', async () => {
    fill({
      currentPassword: 'old password',
      newPassword: 'new password 1',
      confirmPassword: 'new password 2',
    });
    await submit();
    expect(el.querySelector('#password-confirmPassword-error')?.textContent).toContain(
      'do not match',
    );
    backend.expectNone('/api/me/password');
  });

  it('marks a wrong current password on its field', async () => {
    fill({
      currentPassword: 'wrong one',
      newPassword: 'new password 1',
      confirmPassword: 'new password 1',
    });
    await submit();
    backend.expectOne({ method: 'PUT', url: '/api/me/password' }).flush(
      apiError('invalid_credentials', 'the current password is wrong', {
        currentPassword: 'is incorrect',
      }),
      {
        status: 403,
        statusText: 'Forbidden',
      },
    );
    await fixture.whenStable();
    expect(el.querySelector('#password-currentPassword-error')?.textContent).toContain(
      'Current password is incorrect.',
    );
    expect(document.activeElement?.id).toBe('password-currentPassword');
  });

  it('confirms the change and clears the form', async () => {
    fill({
      currentPassword: 'old password',
      newPassword: 'new password 1',
      confirmPassword: 'new password 1',
    });
    await submit();
    const req = backend.expectOne('/api/me/password');
    expect(req.request.body).toEqual({
      currentPassword: 'old password',
      newPassword: 'new password 1',
    });
    req.flush(null, { status: 204, statusText: 'No Content' });
    await fixture.whenStable();
    expect(el.querySelector('[data-testid=password-changed]')).not.toBeNull();
    expect(el.querySelector<HTMLInputElement>('#password-newPassword')!.value).toBe('');
    expect(el.querySelectorAll('.field-error')).toHaveLength(0);
  });
});
